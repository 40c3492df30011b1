// Wiring and ordered shutdown of one ingest node; see the header.
#include "node/ingest_node.h"

#include <arpa/inet.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"
#include "node/config/grpc_config.h"
#include "node/dataplane/eal.h"
#include "node/dataplane/numa_placement.h"
#include "node/decode/decoder_registry.h"
#include "node/decode/netflow_decoder.h"
#include "node/decode/separator_index.h"
#include "node/export/epoch_file.h"
#include "node/export/grpc_server.h"
#include "prometheus/exposer.h"
#include "spdlog/spdlog.h"

namespace firehose {
namespace {

// "host:port" with the port replaced by `port` (after binding port 0).
std::string WithPort(const std::string& listen, int port) {
  return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
}

// Says which SIMD builder the statsd decoder's separator scan runs, and warns when
// FIREHOSE_SEPARATOR_INDEX asked for one this CPU cannot run or that does not exist (the
// scan then silently uses the preferred one, which an operator comparing runs must know).
void LogSeparatorScan() {
  const char* const requested = std::getenv(decode::SeparatorIndex::kImplEnv);
  const char* const used = decode::SeparatorIndexImplName(decode::SeparatorIndex::Best());
  if (requested != nullptr && std::string_view(requested) != used) {
    spdlog::warn(
        "{}={} names no separator-scan builder this CPU runs (known: sse2, avx2, avx512vl, "
        "avx512bw, each where the CPU supports it); statsd uses {}",
        decode::SeparatorIndex::kImplEnv, requested, used);
    return;
  }
  spdlog::info("statsd separator scan: {}{}", used,
               requested != nullptr ? " (set by FIREHOSE_SEPARATOR_INDEX)" : "");
}

}  // namespace

absl::StatusOr<std::unique_ptr<IngestNode>> IngestNode::Start(const config::IngestConfig& config,
                                                              const std::string& program) {
  // Check decoder names before touching DPDK, so a typo fails fast and cleanly.
  for (const auto& [port, format] : config.udp_decoders) {
    if (auto decoder = decode::MakeDecoder(format); !decoder.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("decoders.", port, ": ", decoder.status().message()));
    }
  }
  LogSeparatorScan();
  std::unique_ptr<IngestNode> node(new IngestNode());
  if (config.backend == config::IngestConfig::Backend::kKernel) {
    node->kernel_backend_ = true;
    if (absl::Status s = node->StartKernelPath(config); !s.ok()) return s;
  } else {
    if (absl::Status s = dataplane::InitEal(config, program); !s.ok()) return s;
    node->eal_started_ = true;
    node->clock_ = std::make_unique<dataplane::TscClock>();
    if (absl::Status s = node->StartDataPath(config); !s.ok()) return s;
  }
  if (absl::Status s = node->StartExport(config); !s.ok()) return s;
  if (absl::Status s = node->StartMetrics(config); !s.ok()) return s;

  for (Worker& worker : node->workers_) {
    if (worker.socket != nullptr) {
      dataplane::SocketWorker* socket = worker.socket.get();
      IngestNode* self = node.get();
      worker.thread = std::thread([socket, self] { socket->Run(self->go_, self->stop_workers_); });
      continue;
    }
    worker.launch = std::make_unique<WorkerLaunch>(
        WorkerLaunch{worker.rx.get(), &node->go_, &node->stop_workers_});
    if (int rc = rte_eal_remote_launch(&IngestNode::WorkerMain, worker.launch.get(), worker.lcore);
        rc != 0) {
      return absl::InternalError(
          absl::StrFormat("cannot launch a worker on lcore %d (rc %d)", worker.lcore, rc));
    }
  }
  return node;
}

int IngestNode::WorkerMain(void* arg) {
  // rte_eal_remote_launch passes one pointer: the worker and the node's flags.
  const auto* launch = static_cast<const WorkerLaunch*>(arg);
  launch->rx->Run(*launch->go, *launch->stop);
  return 0;
}

absl::StatusOr<std::vector<dataplane::DecoderRoute>> IngestNode::MakeRoutes(
    const config::IngestConfig& config, Worker& worker) {
  std::vector<dataplane::DecoderRoute> routes;
  for (const auto& [udp_port, format] : config.udp_decoders) {
    absl::StatusOr<std::unique_ptr<decode::Decoder>> decoder = decode::MakeDecoder(format);
    if (!decoder.ok()) return decoder.status();
    routes.push_back({udp_port, decoder->get()});
    worker.decoders.push_back(*std::move(decoder));
  }
  return routes;
}

const dataplane::QueueCounters& IngestNode::CountersOf(const Worker& worker) {
  return worker.socket != nullptr ? worker.socket->counters() : worker.rx->counters();
}

absl::Status IngestNode::StartKernelPath(const config::IngestConfig& config) {
  const batch::BatchLimits limits{config.batch.max_records, config.batch.max_bytes};
  dataplane::SocketWorkerOptions options;
  options.bind_address = config.kernel.bind_address;
  options.rcvbuf_bytes = static_cast<int>(config.kernel.rcvbuf_bytes);
  options.recv_batch = static_cast<int>(config.kernel.recv_batch);
  options.coalesce_nanos = int64_t{config.kernel.coalesce_us} * 1000;
  for (uint32_t i = 0; i < config.kernel.workers; ++i) {
    Worker worker;
    worker.port_name = "kernel";
    const uint16_t worker_id = static_cast<uint16_t>(workers_.size());
    worker.batcher =
        std::make_unique<batch::Batcher>(worker_id, limits, config.handoff_ring_batches,
                                         static_cast<int64_t>(config.batch.max_delay_us) * 1000);
    absl::StatusOr<std::vector<dataplane::DecoderRoute>> routes = MakeRoutes(config, worker);
    if (!routes.ok()) return routes.status();
    absl::StatusOr<std::unique_ptr<dataplane::SocketWorker>> socket =
        dataplane::SocketWorker::Open(worker_id, *routes, worker.batcher.get(), options);
    if (!socket.ok()) return socket.status();
    worker.socket = *std::move(socket);
    workers_.push_back(std::move(worker));
  }
  spdlog::info("kernel backend: {} worker(s) on {} (SO_REUSEPORT, recvmmsg x{}, coalesce {} us)",
               config.kernel.workers, config.kernel.bind_address, config.kernel.recv_batch,
               config.kernel.coalesce_us);
  return absl::OkStatus();
}

absl::Status IngestNode::StartDataPath(const config::IngestConfig& config) {
  for (size_t i = 0; i < config.ports.size(); ++i) {
    absl::StatusOr<dataplane::PortQueues> port = dataplane::StartPort(
        config.ports[i], static_cast<int>(i), config.mbufs_per_queue, config.mbuf_cache);
    if (!port.ok()) return port.status();
    ports_.push_back(*std::move(port));
  }
  const batch::BatchLimits limits{config.batch.max_records, config.batch.max_bytes};
  size_t lcore_index = 0;
  for (size_t port_index = 0; port_index < ports_.size(); ++port_index) {
    const dataplane::PortQueues& port = ports_[port_index];
    for (uint16_t q = 0; q < port.rx_queues; ++q) {
      Worker worker;
      worker.port_name = port.name;
      worker.lcore = config.worker_lcores.at(lcore_index++);
      const uint16_t worker_id = static_cast<uint16_t>(workers_.size());
      if (rte_lcore_to_socket_id(worker.lcore) != static_cast<unsigned>(port.socket_id) &&
          port.socket_id >= 0) {
        spdlog::warn(
            "lcore {} is on NUMA socket {} but port {} is on socket {}: every "
            "packet will cross the interconnect",
            worker.lcore, rte_lcore_to_socket_id(worker.lcore), port.name, port.socket_id);
      }
      // The worker's own memory (batcher: hand-off rings, builders, probe tables; its
      // decoders and counters) is built on its lcore with that thread's memory policy
      // preferring the port's node, so first touch puts the pages there (like the
      // mempools); the policy stays for the worker's Run(). See numa_placement.h.
      absl::Status policy;
      absl::Status built = dataplane::BuildOnLcore(
          worker.lcore, port.socket_id,
          [&]() -> absl::Status {
            worker.batcher = std::make_unique<batch::Batcher>(
                worker_id, limits, config.handoff_ring_batches,
                static_cast<int64_t>(config.batch.max_delay_us) * 1000);
            absl::StatusOr<std::vector<dataplane::DecoderRoute>> routes =
                MakeRoutes(config, worker);
            if (!routes.ok()) return routes.status();
            worker.rx = std::make_unique<dataplane::RxWorker>(
                port.port_id, q, *routes, worker.batcher.get(), clock_.get(), port.pools[q]);
            return absl::OkStatus();
          },
          &policy);
      if (!built.ok()) return built;
      LogPlacement(worker, port, q, policy);
      if (config.ports[port_index].validate_udp_checksum) {
        worker.rx->EnableUdpChecksumValidation();
      }
      const std::vector<std::string>& addresses = config.ports[port_index].addresses;
      if (!addresses.empty() && q >= port.tx_queues) {
        return absl::FailedPreconditionError(
            absl::StrCat("ports[", port_index, "].addresses: port ", port.name,
                         " has no TX queue for worker ", q,
                         " to answer ARP/ICMP from (a net_pcap "
                         "device needs a tx_pcap= or tx_iface= argument)"));
      }
      // Every worker with a TX queue gets its MAC and queue, even without addresses:
      // the service IP (SetServiceAddress) and gratuitous ARPs go out through them.
      if (q < port.tx_queues) {
        net::HostIdentity identity;
        rte_ether_addr mac;
        rte_eth_macaddr_get(port.port_id, &mac);
        std::copy(mac.addr_bytes, mac.addr_bytes + 6, identity.mac.begin());
        for (const std::string& address : addresses) {
          if (!identity.AddAddress(address)) {  // the config loader checked them already
            return absl::InvalidArgumentError(
                absl::StrCat("ports[", port_index, "].addresses: cannot use ", address));
          }
        }
        worker.rx->EnableResponder(identity, q);
      }
      workers_.push_back(std::move(worker));
    }
  }
  return absl::OkStatus();
}

void IngestNode::LogPlacement(const Worker& worker, const dataplane::PortQueues& port,
                              uint16_t queue, const absl::Status& policy) {
  // Asks the kernel where the pages went; on a single-node machine this is always node
  // 0, so the log also says which node was asked for.
  const std::string batcher_pages = dataplane::DescribePages(
      dataplane::PagesByNode(worker.batcher.get(), sizeof(batch::Batcher)));
  const std::string worker_pages = dataplane::DescribePages(
      dataplane::PagesByNode(worker.rx.get(), sizeof(dataplane::RxWorker)));
  if (!policy.ok()) {
    spdlog::warn(
        "port {} queue {} (lcore {}): {}; batcher and worker state built there with "
        "the default policy: batcher on {}, worker on {}",
        port.name, queue, worker.lcore, std::string(policy.message()), batcher_pages, worker_pages);
    return;
  }
  spdlog::info(
      "port {} queue {} (lcore {}): batcher and worker state built on the lcore "
      "preferring NUMA node {} (the port's socket); the kernel has the batcher on {}, "
      "the worker on {}",
      port.name, queue, worker.lcore, port.socket_id, batcher_pages, worker_pages);
}

absl::Status IngestNode::StartExport(const config::IngestConfig& config) {
  absl::StatusOr<std::vector<exporter::ConsumerToken>> tokens = config::LoadConsumerTokens(config);
  if (!tokens.ok()) return tokens.status();
  // Without election every node runs active (DESIGN.md: embedded default), in epoch 1
  // or, with grpc.epoch_file, in one more than its previous run.
  uint64_t epoch = 1;
  if (!config.epoch_file.empty()) {
    absl::StatusOr<uint64_t> advanced = exporter::AdvanceEpochFile(config.epoch_file);
    if (!advanced.ok()) return advanced.status();
    epoch = *advanced;
  }
  hub_ = std::make_unique<exporter::SubscriberHub>(config::HubOptionsFor(config));
  std::vector<batch::Batcher*> batchers;
  for (Worker& worker : workers_) batchers.push_back(worker.batcher.get());
  publisher_ =
      std::make_unique<exporter::Publisher>(config.node_id, epoch, std::move(batchers), hub_.get());
  publisher_thread_ = std::thread([this] { publisher_->Run(stop_publisher_); });

  exporter::IngestServiceOptions service_options;
  service_options.heartbeat_interval = absl::Milliseconds(config.heartbeat_ms);
  service_options.tokens = *std::move(tokens);
  service_options.active = [this] { return publisher_->active(); };
  service_ = std::make_unique<exporter::IngestService>(
      hub_.get(), [this] { return publisher_->last_seq(); }, [this] { return publisher_->epoch(); },
      std::move(service_options));
  absl::StatusOr<exporter::StartedServer> started =
      exporter::StartGrpcServer(config::ServerOptionsFor(config), service_.get());
  if (!started.ok()) return started.status();
  server_ = std::move(started->server);
  grpc_address_ = started->address;
  return absl::OkStatus();
}

absl::Status IngestNode::StartMetrics(const config::IngestConfig& config) {
  if (config.metrics_listen.empty()) return absl::OkStatus();
  metrics::IngestSources sources;
  sources.node_id = config.node_id;
  for (const Worker& worker : workers_) {
    metrics::WorkerSources w;
    w.port_name = worker.port_name;
    w.counters = &CountersOf(worker);
    if (worker.socket != nullptr) {
      const dataplane::SocketWorker* socket = worker.socket.get();
      w.queue_id = socket->queue_id();
      w.cpu_seconds = [socket] { return socket->cpu_seconds(); };
      w.receive_queues = [socket] { return socket->receive_queues(); };
    } else {
      const dataplane::RxWorker* rx = worker.rx.get();
      w.queue_id = rx->queue_id();
      w.cpu_seconds = [rx] { return rx->cpu_seconds(); };
    }
    w.batcher = worker.batcher.get();
    for (const auto& decoder : worker.decoders) w.decoders.push_back(decoder.get());
    sources.workers.push_back(std::move(w));
  }
  for (const dataplane::PortQueues& port : ports_) {
    sources.ports.push_back({port.name, port.port_id});
  }
  sources.publisher = publisher_.get();
  sources.hub = hub_.get();
  collector_ = std::make_shared<metrics::IngestCollector>(std::move(sources));
  // prometheus-cpp reports a failed bind by throwing; this is start-up, not the data
  // path, and the exception does not leave this function.
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(config.metrics_listen);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", config.metrics_listen,
                                               " (metrics.listen): ", e.what()));
  }
  exposer_->RegisterCollectable(collector_);
  const std::vector<int> ports = exposer_->GetListeningPorts();
  metrics_address_ = WithPort(config.metrics_listen, ports.empty() ? 0 : ports.front());
  return absl::OkStatus();
}

void IngestNode::Stop(absl::Duration drain_timeout) {
  if (stopped_) return;
  stopped_ = true;
  stop_workers_.store(true, std::memory_order_release);
  if (eal_started_) rte_eal_mp_wait_lcore();
  for (Worker& worker : workers_) {
    if (worker.thread.joinable()) worker.thread.join();
  }
  // The workers flushed their last batches; the publisher's final poll takes them.
  stop_publisher_.store(true, std::memory_order_release);
  if (publisher_thread_.joinable()) publisher_thread_.join();
  // Nothing more is published: the connected subscribers receive the rest.
  exporter::DrainAndShutdown(server_.get(), hub_.get(), drain_timeout);
  exposer_.reset();
  for (dataplane::PortQueues& port : ports_) dataplane::StopPort(port);
  ports_.clear();
  if (eal_started_) dataplane::CleanupEal();
  eal_started_ = false;
}

IngestNode::~IngestNode() { Stop(absl::ZeroDuration()); }

absl::Status IngestNode::SetServiceAddress(const std::string& address) {
  const std::optional<net::ServiceAddress> parsed = net::ServiceAddress::Parse(address);
  if (!parsed.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("not an IPv4 or IPv6 address: ", address));
  }
  int set = 0;
  for (Worker& worker : workers_) {
    if (worker.rx == nullptr) continue;
    worker.rx->SetServiceAddress(*parsed);
    ++set;
  }
  if (set == 0) return absl::FailedPreconditionError("a service IP needs the DPDK backend");
  return absl::OkStatus();
}

absl::Status IngestNode::AnnounceServiceAddress() {
  int requested = 0;
  for (Worker& worker : workers_) {
    if (worker.rx == nullptr) continue;
    worker.rx->AnnounceServiceAddress();
    ++requested;
  }
  if (requested == 0) {
    return absl::FailedPreconditionError("announcing a service IP needs the DPDK backend");
  }
  return absl::OkStatus();
}

absl::Status IngestNode::SendGratuitousArp(const std::string& ipv4) {
  uint32_t address;
  if (inet_pton(AF_INET, ipv4.c_str(), &address) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("not an IPv4 address: ", ipv4));
  }
  int requested = 0;
  for (Worker& worker : workers_) {
    if (worker.rx == nullptr) continue;
    worker.rx->RequestGratuitousArp(address);
    ++requested;
  }
  if (requested == 0) {
    return absl::FailedPreconditionError("gratuitous ARP needs the DPDK backend");
  }
  return absl::OkStatus();
}

dataplane::TemplateMailbox& IngestNode::MailboxOf(Worker& worker) {
  return worker.socket != nullptr ? worker.socket->templates() : worker.rx->templates();
}

bool IngestNode::has_templates() const {
  for (const Worker& worker : workers_) {
    for (const auto& decoder : worker.decoders) {
      if (decoder->name() == "netflow") return true;
    }
  }
  return false;
}

uint64_t IngestNode::template_changes() const {
  uint64_t changes = 0;
  for (const Worker& worker : workers_) {
    for (const auto& decoder : worker.decoders) {
      if (decoder->name() != "netflow") continue;
      const auto* netflow = static_cast<const decode::NetflowDecoder*>(decoder.get());
      changes += netflow->templates_learned() + netflow->templates_withdrawn();
    }
  }
  return changes;
}

absl::StatusOr<std::string> IngestNode::ExportTemplates(absl::Duration timeout) {
  std::vector<std::string> exports;
  for (Worker& worker : workers_) {
    std::optional<std::vector<std::string>> answer = MailboxOf(worker).Export(timeout);
    if (!answer.has_value()) {
      return absl::UnavailableError(
          absl::StrCat("worker ", &worker - workers_.data(), " did not export its templates"));
    }
    for (std::string& one : *answer) exports.push_back(std::move(one));
  }
  return decode::FlowTemplateCache::MergeExports(exports);
}

void IngestNode::ImportTemplates(const std::string& templates) {
  for (Worker& worker : workers_) MailboxOf(worker).PostImport(templates);
}

std::string IngestNode::Summary() const {
  uint64_t rx = 0, delivered = 0, answered = 0, dropped = 0, records = 0, errors = 0;
  for (const Worker& w : workers_) {
    const dataplane::QueueCounters& c = CountersOf(w);
    rx += c.rx_packets.Get();
    delivered += c.delivered.Get();
    for (const auto& d : c.parse_drops) dropped += d.Get();
    for (const auto& d : c.worker_drops) dropped += d.Get();
    for (const auto& a : c.answered) answered += a.Get();
    for (const auto& decoder : w.decoders) {
      records += decoder->records();
      errors += decoder->total_errors();
    }
  }
  return absl::StrFormat(
      "packets received %d = delivered %d + answered %d + dropped %d; records decoded %d, "
      "malformed %d; published %d records in %d batches",
      rx, delivered, answered, dropped, records, errors,
      publisher_->counters().records_published.Get(),
      publisher_->counters().batches_published.Get());
}

}  // namespace firehose
