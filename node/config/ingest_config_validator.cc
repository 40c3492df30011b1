// ValidateIngestConfig (see ingest_config.h): the value and cross-field rules of
// ingestd's config, checked on the struct so that configs built or changed in code (e.g.
// by command-line overrides) get exactly the checks a file gets after
// ingest_config_reader.cc has read it. Device identities, lcore and mempool sizing, the
// listen addresses and the subscription settings are judged here; the shared ranges,
// paths and message shapes come from config_rules.h.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "node/config/config_rules.h"
#include "node/config/ingest_config.h"

namespace firehose::config {
namespace {

// "a:b" with a PCI domain added when missing and hex digits lower-cased, so that two
// spellings of one device compare equal.
std::optional<std::string> NormalizedPciAddress(absl::string_view device) {
  std::string address(device);
  if (address.size() == 7) {
    address = "0000:" + address;  // bus:dev.fn
  }
  if (address.size() != 12) {
    return std::nullopt;
  }
  for (size_t i = 0; i < address.size(); ++i) {
    char c = address[i];
    bool ok;
    switch (i) {
      case 4:
      case 7:
        ok = c == ':';
        break;
      case 10:
        ok = c == '.';
        break;
      case 11:
        ok = c >= '0' && c <= '7';
        break;
      default:
        ok = absl::ascii_isxdigit(static_cast<unsigned char>(c));
    }
    if (!ok) {
      return std::nullopt;
    }
  }
  return absl::AsciiStrToLower(address);
}

// The name part of a vdev string ("net_pcap0" of "net_pcap0,rx_pcap=x") when it looks
// like a DPDK network virtual device; EAL names those net_<driver><n> (eth_ is an old
// alias). Kernel interface names such as "eth0" are rejected here rather than by EAL.
std::optional<std::string> VdevName(absl::string_view device) {
  absl::string_view name = device.substr(0, device.find(','));
  if (!absl::StartsWith(name, "net_") && !absl::StartsWith(name, "eth_")) {
    return std::nullopt;
  }
  if (name.size() <= 4) {
    return std::nullopt;
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return std::nullopt;
    }
  }
  return std::string(name.data(), name.size());
}

// Which field an EAL argument belongs to if the loader builds it from the config;
// nullopt for arguments passed through.
std::optional<absl::string_view> OwnerOfEalArg(absl::string_view arg) {
  auto is_option = [&](absl::string_view name) {
    return arg == name || absl::StartsWith(arg, absl::StrCat(name, "="));
  };
  if (is_option("--file-prefix")) {
    return "eal.file_prefix";
  }
  if (is_option("--lcores") || is_option("--main-lcore") || is_option("--master-lcore")) {
    return "lcores";
  }
  // Short options may carry their value attached ("-l1-3").
  if (absl::StartsWith(arg, "-l") || absl::StartsWith(arg, "-c")) {
    if (!absl::StartsWith(arg, "--")) {
      return "lcores";
    }
  }
  return std::nullopt;
}

absl::Status CheckListen(absl::string_view source, absl::string_view path, absl::string_view value,
                         absl::string_view example_port) {
  if (ParseHostPort(value).has_value()) {
    return absl::OkStatus();
  }
  return FieldError(source, path,
                    absl::StrCat("must be \"host:port\" (e.g. \"127.0.0.1:", example_port,
                                 "\" or \"[::]:", example_port, "\"), got ", Quote(value)));
}

absl::Status ValidatePorts(const IngestConfig& config, absl::string_view source) {
  if (config.ports.empty()) {
    return FieldError(source, "ports", "at least one port is required");
  }
  bool no_pci = std::find(config.eal_args.begin(), config.eal_args.end(), "--no-pci") !=
                config.eal_args.end();
  // Normalised device identity -> index of the port that has it.
  std::map<std::string, size_t> devices;
  for (size_t i = 0; i < config.ports.size(); ++i) {
    const PortConfig& port = config.ports[i];
    std::string path = IndexPath("ports", i);
    std::string device_path = JoinPath(path, "device");
    std::optional<std::string> identity;
    if (port.device.empty()) {
      return FieldError(source, device_path, "must not be empty");
    }
    if (auto pci = NormalizedPciAddress(port.device)) {
      if (no_pci) {
        return FieldError(source, device_path,
                          absl::StrCat(Quote(port.device),
                                       " is a PCI address but eal.args has --no-pci, which "
                                       "hides every PCI device from DPDK"));
      }
      identity = *pci;
    } else if (auto vdev = VdevName(port.device)) {
      identity = *vdev;
    } else {
      return FieldError(
          source, device_path,
          absl::StrCat(Quote(port.device),
                       " is neither a PCI address (\"0000:3b:00.0\") nor a DPDK virtual "
                       "device (\"net_pcap0,rx_pcap=/path.pcap\"); for a kernel interface "
                       "use \"net_af_packet0,iface=NAME\""));
    }
    auto [it, inserted] = devices.emplace(*identity, i);
    if (!inserted) {
      return FieldError(
          source, device_path,
          absl::StrCat(Quote(*identity), " is already used by ports[", it->second, "]"));
    }
    FIREHOSE_RETURN_IF_ERROR(
        CheckRange(source, JoinPath(path, "rx_queues"), kRxQueues, port.rx_queues));
    FIREHOSE_RETURN_IF_ERROR(
        CheckRange(source, JoinPath(path, "rx_descriptors"), kRxDescriptors, port.rx_descriptors));
  }
  return absl::OkStatus();
}

absl::Status ValidateLcores(const IngestConfig& config, absl::string_view source) {
  FIREHOSE_RETURN_IF_ERROR(CheckRange(source, "lcores.main", kLcore, config.main_lcore));
  std::map<unsigned, size_t> seen;
  for (size_t i = 0; i < config.worker_lcores.size(); ++i) {
    unsigned lcore = config.worker_lcores[i];
    std::string path = IndexPath("lcores.workers", i);
    FIREHOSE_RETURN_IF_ERROR(CheckRange(source, path, kLcore, lcore));
    if (lcore == config.main_lcore) {
      return FieldError(source, path,
                        absl::StrCat("lcore ", lcore,
                                     " is the main lcore (lcores.main); workers need "
                                     "lcores of their own"));
    }
    auto [it, inserted] = seen.emplace(lcore, i);
    if (!inserted) {
      return FieldError(
          source, path,
          absl::StrCat("lcore ", lcore, " is already lcores.workers[", it->second, "]"));
    }
  }
  if (!config.lcore_cpus.empty() && config.lcore_cpus.size() != config.worker_lcores.size() + 1) {
    return FieldError(source, "lcores.cpus",
                      absl::StrCat("has ", config.lcore_cpus.size(), " CPU(s) for ",
                                   config.worker_lcores.size() + 1,
                                   " lcores; list one CPU for the main lcore, then one per "
                                   "worker"));
  }
  uint64_t queues = 0;
  for (const PortConfig& port : config.ports) {
    queues += port.rx_queues;
  }
  if (queues != config.worker_lcores.size()) {
    return FieldError(
        source, "lcores.workers",
        absl::StrCat("has ", config.worker_lcores.size(), " lcore(s) for ", queues,
                     " RX queue(s) in total (sum of ports[*].rx_queues); list exactly one "
                     "worker lcore per RX queue"));
  }
  return absl::OkStatus();
}

absl::Status ValidateMempool(const IngestConfig& config, absl::string_view source) {
  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "mempool.mbufs_per_queue", kMbufs, config.mbufs_per_queue));
  FIREHOSE_RETURN_IF_ERROR(CheckRange(source, "mempool.cache", kMbufCache, config.mbuf_cache));
  // rte_mempool_create also refuses a cache whose flush threshold (1.5 x size)
  // exceeds the pool; the rule below is stricter, so it needs no check of its own.
  uint64_t cache_threshold = static_cast<uint64_t>(config.mbuf_cache) * 3 / 2;
  // A queue whose pool cannot refill its whole RX ring, with the worker's cache full
  // and a burst in flight, starves: the NIC drops packets while mbufs sit idle.
  for (size_t i = 0; i < config.ports.size(); ++i) {
    uint64_t needed = config.ports[i].rx_descriptors + cache_threshold + kRxBurst;
    if (config.mbufs_per_queue < needed) {
      return FieldError(
          source, "mempool.mbufs_per_queue",
          absl::StrCat("must be at least ", needed, " to fill ports[", i, "]'s RX ring (",
                       config.ports[i].rx_descriptors, " descriptors) plus a full lcore cache (",
                       cache_threshold, ") and one burst (", kRxBurst, "), got ",
                       config.mbufs_per_queue));
    }
  }
  return absl::OkStatus();
}

// The subscription settings of grpc.*: policies, TLS files, tokens, and the rule that
// plaintext off the host must be asked for.
absl::Status ValidateSubscriptions(const IngestConfig& config, absl::string_view source) {
  if (config.slow_subscriber != "drop_oldest" && config.slow_subscriber != "disconnect") {
    return FieldError(source, "grpc.slow_subscriber",
                      absl::StrCat("must be \"drop_oldest\" or \"disconnect\", got ",
                                   Quote(config.slow_subscriber)));
  }
  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "grpc.replay_bytes", kReplayBytes, config.replay_bytes));
  FIREHOSE_RETURN_IF_ERROR(CheckRange(source, "grpc.subscriber_queue_bytes", kSubscriberQueueBytes,
                                      config.subscriber_queue_bytes));
  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "grpc.heartbeat_ms", kHeartbeatMs, config.heartbeat_ms));
  const IngestConfig::Tls& tls = config.grpc_tls;
  const bool has_tls = !tls.cert.empty() || !tls.key.empty() || !tls.client_ca.empty();
  if (has_tls && (tls.cert.empty() || tls.key.empty())) {
    return FieldError(source, tls.cert.empty() ? "grpc.tls.cert" : "grpc.tls.key",
                      "TLS needs both a certificate chain (cert) and its private key (key)");
  }
  if (has_tls && config.grpc_insecure) {
    return FieldError(source, "grpc.insecure", "is true but grpc.tls is set; choose one");
  }
  const HostPort listen = *ParseHostPort(config.grpc_listen);
  if (!has_tls && !config.grpc_insecure && !IsLoopbackHost(listen.host)) {
    return FieldError(
        source, "grpc.listen",
        absl::StrCat(Quote(config.grpc_listen),
                     " is not a loopback address, so subscribers would connect in plaintext: "
                     "set grpc.tls (cert, key, optionally client_ca) or, knowingly, "
                     "grpc.insecure: true"));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < config.grpc_tokens.size(); ++i) {
    const IngestConfig::Token& token = config.grpc_tokens[i];
    const std::string path = IndexPath("grpc.tokens", i);
    FIREHOSE_RETURN_IF_ERROR(CheckSafeName(source, JoinPath(path, "name"), token.name));
    if (!names.insert(token.name).second) {
      return FieldError(source, JoinPath(path, "name"),
                        absl::StrCat(Quote(token.name), " is given twice"));
    }
    if (token.token_file.empty()) {
      return FieldError(source, JoinPath(path, "token_file"), "required field is missing or empty");
    }
    for (size_t k = 0; k < token.kinds.size(); ++k) {
      const std::string& kind = token.kinds[k];
      if (kind != "statsd" && kind != "flow" && kind != "line_protocol") {
        return FieldError(source, IndexPath(JoinPath(path, "kinds"), k),
                          absl::StrCat("must be statsd, flow or line_protocol, got ", Quote(kind)));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateListen(const IngestConfig& config, absl::string_view source) {
  FIREHOSE_RETURN_IF_ERROR(CheckListen(source, "grpc.listen", config.grpc_listen, "50051"));
  FIREHOSE_RETURN_IF_ERROR(CheckRange(source, "grpc.subscriber_queue_batches", kSubscriberQueue,
                                      config.subscriber_queue_batches));
  if (config.metrics_listen.empty()) {
    return ValidateSubscriptions(config, source);
  }
  FIREHOSE_RETURN_IF_ERROR(CheckListen(source, "metrics.listen", config.metrics_listen, "9100"));
  HostPort grpc = *ParseHostPort(config.grpc_listen);
  HostPort metrics = *ParseHostPort(config.metrics_listen);
  if (grpc.port == metrics.port && grpc.port != 0 &&
      (grpc.host == metrics.host || IsWildcardHost(grpc.host) || IsWildcardHost(metrics.host))) {
    return FieldError(source, "metrics.listen",
                      absl::StrCat(Quote(config.metrics_listen), " clashes with grpc.listen ",
                                   Quote(config.grpc_listen)));
  }
  return ValidateSubscriptions(config, source);
}

}  // namespace

absl::Status ValidateIngestConfig(const IngestConfig& config, std::string_view source_name) {
  // Debian's abseil has its own string_view type, distinct from std::string_view.
  absl::string_view source(source_name.data(), source_name.size());
  if (config.node_id.empty()) {
    return FieldError(source, "node_id", "required field is missing or empty");
  }
  FIREHOSE_RETURN_IF_ERROR(CheckSafeName(source, "node_id", config.node_id));
  for (size_t i = 0; i < config.eal_args.size(); ++i) {
    std::string path = IndexPath("eal.args", i);
    const std::string& arg = config.eal_args[i];
    if (arg.empty()) {
      return FieldError(source, path, "must not be empty");
    }
    if (auto owner = OwnerOfEalArg(arg)) {
      return FieldError(
          source, path,
          absl::StrCat(Quote(arg), " is built from ", *owner, "; set it there instead"));
    }
  }
  FIREHOSE_RETURN_IF_ERROR(CheckSafeName(source, "eal.file_prefix", config.file_prefix));
  const bool dpdk = config.backend == IngestConfig::Backend::kDpdk;
  if (dpdk) {
    FIREHOSE_RETURN_IF_ERROR(ValidatePorts(config, source));
    FIREHOSE_RETURN_IF_ERROR(ValidateLcores(config, source));
  } else {
    FIREHOSE_RETURN_IF_ERROR(
        CheckRange(source, "kernel.workers", kKernelWorkers, config.kernel.workers));
    FIREHOSE_RETURN_IF_ERROR(
        CheckRange(source, "kernel.rcvbuf_bytes", kRcvbuf, config.kernel.rcvbuf_bytes));
    FIREHOSE_RETURN_IF_ERROR(
        CheckRange(source, "kernel.recv_batch", kRecvBatch, config.kernel.recv_batch));
    FIREHOSE_RETURN_IF_ERROR(
        CheckRange(source, "kernel.coalesce_us", kCoalesceUs, config.kernel.coalesce_us));
  }

  if (config.udp_decoders.empty()) {
    return FieldError(source, "decoders", "must map at least one UDP port to a decoder");
  }
  for (const auto& [port, name] : config.udp_decoders) {
    std::string path = JoinPath("decoders", absl::StrCat(port));
    if (port == 0) {
      return FieldError(source, path, "not a UDP port number");
    }
    if (name.empty()) {
      return FieldError(source, path, "decoder name must not be empty");
    }
  }

  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "batch.max_records", kMaxRecords, config.batch.max_records));
  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "batch.max_bytes", kMaxBytes, config.batch.max_bytes));
  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "batch.max_delay_us", kMaxDelayUs, config.batch.max_delay_us));
  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "handoff_ring_batches", kHandoffRing, config.handoff_ring_batches));
  if (dpdk) FIREHOSE_RETURN_IF_ERROR(ValidateMempool(config, source));
  return ValidateListen(config, source);
}

}  // namespace firehose::config
