// Reads ingestd's YAML config into an IngestConfig with yaml-cpp; see
// ingest_config_reader.h.
//
// Reading walks the YAML tree, rejects unknown and duplicate keys and values of the
// wrong shape, and fills the struct; range and cross-field rules on the values are
// ValidateIngestConfig's (ingest_config_validator.cc). Numbers are range-checked here as
// well, against the same Range, because a value too large for its C++ field would
// otherwise wrap before the validator could see it. yaml-cpp reports errors by throwing;
// every call into it is inside the try block of ReadIngestConfig and its exceptions
// become absl::Status, so nothing escapes to callers.
#include "node/config/ingest_config_reader.h"

#include <arpa/inet.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "node/config/config_rules.h"
#include "node/config/yaml_fields.h"
#include "yaml-cpp/yaml.h"

namespace firehose::config {
namespace {

// Reads a YAML tree into an IngestConfig, checking shapes, keys and ranges.
class Reader {
 public:
  explicit Reader(absl::string_view source) : source_(source) {}

  absl::Status Read(const YAML::Node& root, IngestConfig* config) const;

 private:
  absl::Status Error(absl::string_view path, absl::string_view what) const {
    return FieldError(source_, path, what);
  }

  // `map[key]` when `map` is a map holding `key`. Looks keys up by their text rather
  // than through yaml-cpp's conversions, which throw on odd keys.
  static std::optional<YAML::Node> Field(const YAML::Node& map, absl::string_view key);

  // Fails unless `node` is a map (or empty, which reads as no fields) whose keys are
  // scalars in `allowed`, each at most once.
  absl::Status CheckFields(const YAML::Node& node, absl::string_view path,
                           std::initializer_list<absl::string_view> allowed) const;

  // Fails with "must be <what>, got <kind>" unless `node` is a list. An empty value
  // (`key:` alone) reads as an empty list where `null_is_empty`.
  absl::Status CheckList(const YAML::Node& node, absl::string_view path, absl::string_view what,
                         bool null_is_empty) const;

  absl::Status ReadString(const YAML::Node& node, absl::string_view path, std::string* out) const;

  // Only the words true and false: YAML 1.1's yes/no/on/off are too easy to misread.
  absl::Status ReadBool(const YAML::Node& node, absl::string_view path, bool* out) const;

  template <typename T>
  absl::Status ReadUnsigned(const YAML::Node& node, absl::string_view path, const Range& range,
                            T* out) const;

  // A list (an empty value reads as an empty one) of strings, replacing `*out`.
  absl::Status ReadStringList(const YAML::Node& node, absl::string_view path,
                              absl::string_view what, std::vector<std::string>* out) const;

  // A list of numbers in `range`, replacing `*out`.
  absl::Status ReadUnsignedList(const YAML::Node& node, absl::string_view path,
                                absl::string_view what, bool null_is_empty, const Range& range,
                                std::vector<unsigned>* out) const;

  absl::Status ReadEal(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadPorts(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadPort(const YAML::Node& node, absl::string_view path, PortConfig* port) const;
  absl::Status ReadAddresses(const YAML::Node& node, absl::string_view path,
                             PortConfig* port) const;
  absl::Status ReadLcores(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadDecoders(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadBatch(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadMempool(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadGrpc(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadTls(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadTokens(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadMetrics(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadKernel(const YAML::Node& node, IngestConfig* config) const;

  absl::string_view source_;
};

std::optional<YAML::Node> Reader::Field(const YAML::Node& map, absl::string_view key) {
  if (!map.IsMap()) {
    return std::nullopt;
  }
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) {
      return entry.second;
    }
  }
  return std::nullopt;
}

absl::Status Reader::CheckFields(const YAML::Node& node, absl::string_view path,
                                 std::initializer_list<absl::string_view> allowed) const {
  std::optional<std::string> problem = YamlFieldsProblem(node, allowed);
  if (!problem) return absl::OkStatus();
  // The top level has no path to name: say it is the document.
  return Error(path, absl::StrCat(path.empty() && !node.IsMap() ? "the document " : "", *problem));
}

absl::Status Reader::CheckList(const YAML::Node& node, absl::string_view path,
                               absl::string_view what, bool null_is_empty) const {
  if (node.IsSequence() || (null_is_empty && node.IsNull())) {
    return absl::OkStatus();
  }
  return Error(path, absl::StrCat("must be ", what, ", got ", YamlKindOf(node)));
}

absl::Status Reader::ReadString(const YAML::Node& node, absl::string_view path,
                                std::string* out) const {
  if (!node.IsScalar()) {
    return Error(path, absl::StrCat("must be a string, got ", YamlKindOf(node)));
  }
  *out = node.Scalar();
  return absl::OkStatus();
}

absl::Status Reader::ReadBool(const YAML::Node& node, absl::string_view path, bool* out) const {
  if (!node.IsScalar() || (node.Scalar() != "true" && node.Scalar() != "false")) {
    return Error(path, "must be true or false");
  }
  *out = node.Scalar() == "true";
  return absl::OkStatus();
}

template <typename T>
absl::Status Reader::ReadUnsigned(const YAML::Node& node, absl::string_view path,
                                  const Range& range, T* out) const {
  static_assert(std::is_unsigned_v<T> && sizeof(T) <= sizeof(uint64_t));
  if (!node.IsScalar()) {
    return Error(path, absl::StrCat("must be an integer, got ", YamlKindOf(node)));
  }
  const std::string& text = node.Scalar();
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    // Digits that overflow int64 are a range error, anything else is not a number.
    if (IsDigits(absl::StripPrefix(absl::StripPrefix(text, "-"), "+"))) {
      return RangeError(source_, path, range, text);
    }
    return Error(path, absl::StrCat("must be an integer, got ", Quote(text)));
  }
  if (value < 0) {
    return RangeError(source_, path, range, absl::StrCat(value));
  }
  FIREHOSE_RETURN_IF_ERROR(CheckRange(source_, path, range, static_cast<uint64_t>(value)));
  // Every Range fits the type of its field, so this never truncates.
  *out = static_cast<T>(value);
  return absl::OkStatus();
}

absl::Status Reader::ReadStringList(const YAML::Node& node, absl::string_view path,
                                    absl::string_view what, std::vector<std::string>* out) const {
  FIREHOSE_RETURN_IF_ERROR(CheckList(node, path, what, /*null_is_empty=*/true));
  out->clear();
  size_t i = 0;
  for (const YAML::Node& element : node) {
    std::string value;
    FIREHOSE_RETURN_IF_ERROR(ReadString(element, IndexPath(path, i++), &value));
    out->push_back(std::move(value));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadUnsignedList(const YAML::Node& node, absl::string_view path,
                                      absl::string_view what, bool null_is_empty,
                                      const Range& range, std::vector<unsigned>* out) const {
  FIREHOSE_RETURN_IF_ERROR(CheckList(node, path, what, null_is_empty));
  out->clear();
  size_t i = 0;
  for (const YAML::Node& element : node) {
    unsigned value = 0;
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(element, IndexPath(path, i++), range, &value));
    out->push_back(value);
  }
  return absl::OkStatus();
}

absl::Status Reader::Read(const YAML::Node& root, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(
      CheckFields(root, "",
                  {"node_id", "eal", "ports", "lcores", "decoders", "batch", "handoff_ring_batches",
                   "mempool", "grpc", "metrics", "backend", "kernel"}));
  std::optional<YAML::Node> node_id = Field(root, "node_id");
  if (!node_id.has_value()) {
    return Error("node_id", "required field is missing");
  }
  FIREHOSE_RETURN_IF_ERROR(ReadString(*node_id, "node_id", &config->node_id));

  if (auto eal = Field(root, "eal")) {
    FIREHOSE_RETURN_IF_ERROR(ReadEal(*eal, config));
  }
  if (auto backend = Field(root, "backend")) {
    std::string name;
    FIREHOSE_RETURN_IF_ERROR(ReadString(*backend, "backend", &name));
    if (name == "dpdk") {
      config->backend = IngestConfig::Backend::kDpdk;
    } else if (name == "kernel") {
      config->backend = IngestConfig::Backend::kKernel;
    } else {
      return Error("backend", absl::StrCat("must be \"dpdk\" or \"kernel\", got ", Quote(name)));
    }
  }
  if (auto kernel = Field(root, "kernel")) {
    FIREHOSE_RETURN_IF_ERROR(ReadKernel(*kernel, config));
  }
  std::optional<YAML::Node> ports = Field(root, "ports");
  if (ports.has_value()) {
    FIREHOSE_RETURN_IF_ERROR(ReadPorts(*ports, config));
  } else if (config->backend == IngestConfig::Backend::kDpdk) {
    return Error("ports", "required field is missing (or set backend: kernel)");
  }
  if (auto lcores = Field(root, "lcores")) {
    FIREHOSE_RETURN_IF_ERROR(ReadLcores(*lcores, config));
  }
  if (auto decoders = Field(root, "decoders")) {
    FIREHOSE_RETURN_IF_ERROR(ReadDecoders(*decoders, config));
  }
  if (auto batch = Field(root, "batch")) {
    FIREHOSE_RETURN_IF_ERROR(ReadBatch(*batch, config));
  }
  if (auto ring = Field(root, "handoff_ring_batches")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*ring, "handoff_ring_batches", kHandoffRing, &config->handoff_ring_batches));
  }
  if (auto mempool = Field(root, "mempool")) {
    FIREHOSE_RETURN_IF_ERROR(ReadMempool(*mempool, config));
  }
  if (auto grpc = Field(root, "grpc")) {
    FIREHOSE_RETURN_IF_ERROR(ReadGrpc(*grpc, config));
  }
  if (auto metrics = Field(root, "metrics")) {
    FIREHOSE_RETURN_IF_ERROR(ReadMetrics(*metrics, config));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadEal(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(CheckFields(node, "eal", {"args", "file_prefix"}));
  if (auto args = Field(node, "args")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadStringList(*args, "eal.args", "a list of strings", &config->eal_args));
  }
  if (auto prefix = Field(node, "file_prefix")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*prefix, "eal.file_prefix", &config->file_prefix));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadPorts(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(CheckList(node, "ports", "a list of ports", /*null_is_empty=*/true));
  config->ports.clear();
  size_t i = 0;
  for (const YAML::Node& port_node : node) {
    PortConfig port;
    FIREHOSE_RETURN_IF_ERROR(ReadPort(port_node, IndexPath("ports", i++), &port));
    config->ports.push_back(std::move(port));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadPort(const YAML::Node& node, absl::string_view path,
                              PortConfig* port) const {
  if (node.IsNull()) {
    return Error(path, "must be a map of fields, got nothing");
  }
  FIREHOSE_RETURN_IF_ERROR(CheckFields(
      node, path, {"device", "rx_queues", "rx_descriptors", "addresses", "validate_udp_checksum"}));
  const std::string device_path = JoinPath(path, "device");
  std::optional<YAML::Node> device = Field(node, "device");
  if (!device.has_value()) {
    return Error(device_path, "required field is missing");
  }
  FIREHOSE_RETURN_IF_ERROR(ReadString(*device, device_path, &port->device));
  if (auto queues = Field(node, "rx_queues")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*queues, JoinPath(path, "rx_queues"), kRxQueues, &port->rx_queues));
  }
  if (auto descriptors = Field(node, "rx_descriptors")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*descriptors, JoinPath(path, "rx_descriptors"),
                                          kRxDescriptors, &port->rx_descriptors));
  }
  if (auto addresses = Field(node, "addresses")) {
    FIREHOSE_RETURN_IF_ERROR(ReadAddresses(*addresses, JoinPath(path, "addresses"), port));
  }
  if (auto validate = Field(node, "validate_udp_checksum")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadBool(*validate, JoinPath(path, "validate_udp_checksum"), &port->validate_udp_checksum));
  }
  return absl::OkStatus();
}

// Addresses are parsed here rather than by the validator: the responder's table is
// filled from this text, and inet_pton is the one judge of what it accepts.
absl::Status Reader::ReadAddresses(const YAML::Node& node, absl::string_view path,
                                   PortConfig* port) const {
  FIREHOSE_RETURN_IF_ERROR(
      CheckList(node, path, "a list of IPv4 or IPv6 addresses", /*null_is_empty=*/false));
  size_t i = 0;
  for (const YAML::Node& element : node) {
    const std::string element_path = IndexPath(path, i++);
    std::string address;
    FIREHOSE_RETURN_IF_ERROR(ReadString(element, element_path, &address));
    in_addr parsed4;
    in6_addr parsed6;
    if (inet_pton(AF_INET, address.c_str(), &parsed4) != 1 &&
        inet_pton(AF_INET6, address.c_str(), &parsed6) != 1) {
      return Error(element_path, absl::StrCat("not an IPv4 or IPv6 address: ", Quote(address)));
    }
    if (port->addresses.size() == kMaxPortAddresses) {
      return Error(element_path,
                   absl::StrCat("at most ", kMaxPortAddresses, " addresses per port"));
    }
    port->addresses.push_back(address);
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadLcores(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(CheckFields(node, "lcores", {"main", "workers", "cpus"}));
  if (auto main = Field(node, "main")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*main, "lcores.main", kLcore, &config->main_lcore));
  }
  if (auto workers = Field(node, "workers")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsignedList(*workers, "lcores.workers", "a list of lcore ids",
                                              /*null_is_empty=*/true, kLcore,
                                              &config->worker_lcores));
  }
  if (auto cpus = Field(node, "cpus")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsignedList(*cpus, "lcores.cpus", "a list of CPU ids",
                                              /*null_is_empty=*/false, kLcore,
                                              &config->lcore_cpus));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadDecoders(const YAML::Node& node, IngestConfig* config) const {
  if (!node.IsMap() && !node.IsNull()) {
    return Error("decoders",
                 absl::StrCat("must be a map of UDP port to decoder name, got ", YamlKindOf(node)));
  }
  // Present means "exactly these": the default is replaced, not extended.
  config->udp_decoders.clear();
  if (node.IsNull()) {
    return absl::OkStatus();
  }
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      return Error("decoders",
                   absl::StrCat("keys must be UDP port numbers, got ", YamlKindOf(entry.first)));
    }
    const std::string& key = entry.first.Scalar();
    std::string path = JoinPath("decoders", key);
    uint32_t port = 0;
    if (!IsDigits(key) || key.size() > 5 || !absl::SimpleAtoi(key, &port) ||
        !InRange(kUdpPort, port)) {
      return Error(path, "not a UDP port number");
    }
    std::string name;
    FIREHOSE_RETURN_IF_ERROR(ReadString(entry.second, path, &name));
    if (!config->udp_decoders.emplace(static_cast<uint16_t>(port), std::move(name)).second) {
      return Error(path, absl::StrCat("UDP port ", port, " is given twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadBatch(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(
      CheckFields(node, "batch", {"max_records", "max_bytes", "max_delay_us"}));
  if (auto v = Field(node, "max_records")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*v, "batch.max_records", kMaxRecords, &config->batch.max_records));
  }
  if (auto v = Field(node, "max_bytes")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*v, "batch.max_bytes", kMaxBytes, &config->batch.max_bytes));
  }
  if (auto v = Field(node, "max_delay_us")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*v, "batch.max_delay_us", kMaxDelayUs, &config->batch.max_delay_us));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadMempool(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(CheckFields(node, "mempool", {"mbufs_per_queue", "cache"}));
  if (auto v = Field(node, "mbufs_per_queue")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*v, "mempool.mbufs_per_queue", kMbufs, &config->mbufs_per_queue));
  }
  if (auto v = Field(node, "cache")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*v, "mempool.cache", kMbufCache, &config->mbuf_cache));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadGrpc(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(CheckFields(
      node, "grpc",
      {"listen", "subscriber_queue_batches", "subscriber_queue_bytes", "slow_subscriber",
       "replay_bytes", "heartbeat_ms", "insecure", "tls", "tokens", "epoch_file"}));
  if (auto v = Field(node, "listen")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "grpc.listen", &config->grpc_listen));
  }
  if (auto v = Field(node, "subscriber_queue_batches")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*v, "grpc.subscriber_queue_batches", kSubscriberQueue,
                                          &config->subscriber_queue_batches));
  }
  if (auto v = Field(node, "subscriber_queue_bytes")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*v, "grpc.subscriber_queue_bytes", kSubscriberQueueBytes,
                                          &config->subscriber_queue_bytes));
  }
  if (auto v = Field(node, "slow_subscriber")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "grpc.slow_subscriber", &config->slow_subscriber));
  }
  if (auto v = Field(node, "replay_bytes")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*v, "grpc.replay_bytes", kReplayBytes, &config->replay_bytes));
  }
  if (auto v = Field(node, "heartbeat_ms")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*v, "grpc.heartbeat_ms", kHeartbeatMs, &config->heartbeat_ms));
  }
  if (auto v = Field(node, "insecure")) {
    FIREHOSE_RETURN_IF_ERROR(ReadBool(*v, "grpc.insecure", &config->grpc_insecure));
  }
  if (auto v = Field(node, "epoch_file")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "grpc.epoch_file", &config->epoch_file));
  }
  if (auto tls = Field(node, "tls")) {
    FIREHOSE_RETURN_IF_ERROR(ReadTls(*tls, config));
  }
  if (auto tokens = Field(node, "tokens")) {
    FIREHOSE_RETURN_IF_ERROR(ReadTokens(*tokens, config));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadTls(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(CheckFields(node, "grpc.tls", {"cert", "key", "client_ca"}));
  if (auto v = Field(node, "cert")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "grpc.tls.cert", &config->grpc_tls.cert));
  }
  if (auto v = Field(node, "key")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "grpc.tls.key", &config->grpc_tls.key));
  }
  if (auto v = Field(node, "client_ca")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "grpc.tls.client_ca", &config->grpc_tls.client_ca));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadTokens(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(CheckList(node, "grpc.tokens", "a list", /*null_is_empty=*/true));
  size_t i = 0;
  for (const YAML::Node& entry : node) {
    const std::string path = IndexPath("grpc.tokens", i++);
    FIREHOSE_RETURN_IF_ERROR(CheckFields(entry, path, {"name", "token_file", "kinds"}));
    IngestConfig::Token token;
    if (auto v = Field(entry, "name")) {
      FIREHOSE_RETURN_IF_ERROR(ReadString(*v, JoinPath(path, "name"), &token.name));
    }
    if (auto v = Field(entry, "token_file")) {
      FIREHOSE_RETURN_IF_ERROR(ReadString(*v, JoinPath(path, "token_file"), &token.token_file));
    }
    if (auto kinds = Field(entry, "kinds")) {
      FIREHOSE_RETURN_IF_ERROR(
          ReadStringList(*kinds, JoinPath(path, "kinds"), "a list", &token.kinds));
    }
    config->grpc_tokens.push_back(std::move(token));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadMetrics(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(CheckFields(node, "metrics", {"listen"}));
  if (auto v = Field(node, "listen")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "metrics.listen", &config->metrics_listen));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadKernel(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(CheckFields(
      node, "kernel", {"bind_address", "workers", "rcvbuf_bytes", "recv_batch", "coalesce_us"}));
  IngestConfig::KernelBackend& k = config->kernel;
  if (auto v = Field(node, "bind_address")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "kernel.bind_address", &k.bind_address));
  }
  if (auto v = Field(node, "workers")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*v, "kernel.workers", kKernelWorkers, &k.workers));
  }
  if (auto v = Field(node, "rcvbuf_bytes")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*v, "kernel.rcvbuf_bytes", kRcvbuf, &k.rcvbuf_bytes));
  }
  if (auto v = Field(node, "recv_batch")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*v, "kernel.recv_batch", kRecvBatch, &k.recv_batch));
  }
  if (auto v = Field(node, "coalesce_us")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*v, "kernel.coalesce_us", kCoalesceUs, &k.coalesce_us));
  }
  return absl::OkStatus();
}

absl::Status SyntaxError(absl::string_view source, const YAML::Exception& e) {
  if (e.mark.is_null()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": YAML error: ", e.msg));
  }
  // yaml-cpp counts lines and columns from 0; editors count from 1.
  return absl::InvalidArgumentError(absl::StrCat(
      source, ":", e.mark.line + 1, ":", e.mark.column + 1, ": YAML syntax error: ", e.msg));
}

}  // namespace

absl::Status ReadIngestConfig(std::string_view yaml_text, std::string_view source_name,
                              IngestConfig* config) {
  // Debian's abseil has its own string_view type, distinct from std::string_view.
  absl::string_view source(source_name.data(), source_name.size());
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml_text));
    if (documents.size() > 1) {
      return FieldError(
          source, "",
          absl::StrCat("holds ", documents.size(), " YAML documents; a config is exactly one"));
    }
    // An empty file is an empty document: it fails on the missing node_id.
    YAML::Node root = documents.empty() ? YAML::Node() : documents[0];
    return Reader(source).Read(root, config);
  } catch (const YAML::Exception& e) {
    return SyntaxError(source, e);
  }
}

}  // namespace firehose::config
