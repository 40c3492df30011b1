// Wiring and ordered shutdown of one ingest node; see the header.
#include "node/ingest_node.h"

#include <rte_launch.h>
#include <rte_lcore.h>

#include <exception>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"
#include "node/dataplane/eal.h"
#include "node/decode/decoder_registry.h"
#include "prometheus/exposer.h"
#include "spdlog/spdlog.h"

namespace firehose {
namespace {

// "host:port" with the port replaced by `port` (after binding port 0).
std::string WithPort(const std::string& listen, int port) {
  return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<IngestNode>> IngestNode::Start(
    const config::IngestConfig& config, const std::string& program) {
  // Check decoder names before touching DPDK, so a typo fails fast and cleanly.
  for (const auto& [port, format] : config.udp_decoders) {
    if (auto decoder = decode::MakeDecoder(format); !decoder.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("decoders.", port, ": ", decoder.status().message()));
    }
  }
  std::unique_ptr<IngestNode> node(new IngestNode());
  if (absl::Status s = dataplane::InitEal(config, program); !s.ok()) return s;
  node->eal_started_ = true;
  node->clock_ = std::make_unique<dataplane::TscClock>();
  if (absl::Status s = node->StartDataPath(config); !s.ok()) return s;
  if (absl::Status s = node->StartExport(config); !s.ok()) return s;
  if (absl::Status s = node->StartMetrics(config); !s.ok()) return s;

  for (Worker& worker : node->workers_) {
    worker.launch = std::make_unique<WorkerLaunch>(
        WorkerLaunch{worker.rx.get(), &node->go_, &node->stop_workers_});
    if (int rc = rte_eal_remote_launch(&IngestNode::WorkerMain, worker.launch.get(),
                                       worker.lcore);
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

absl::Status IngestNode::StartDataPath(const config::IngestConfig& config) {
  for (size_t i = 0; i < config.ports.size(); ++i) {
    absl::StatusOr<dataplane::PortQueues> port = dataplane::StartPort(
        config.ports[i], static_cast<int>(i), config.mbufs_per_queue, config.mbuf_cache);
    if (!port.ok()) return port.status();
    ports_.push_back(*std::move(port));
  }
  const batch::BatchLimits limits{config.batch.max_records, config.batch.max_bytes};
  size_t lcore_index = 0;
  for (const dataplane::PortQueues& port : ports_) {
    for (uint16_t q = 0; q < port.rx_queues; ++q) {
      Worker worker;
      worker.port_name = port.name;
      worker.lcore = config.worker_lcores.at(lcore_index++);
      const uint16_t worker_id = static_cast<uint16_t>(workers_.size());
      worker.batcher = std::make_unique<batch::Batcher>(
          worker_id, limits, config.handoff_ring_batches,
          static_cast<int64_t>(config.batch.max_delay_us) * 1000);
      std::vector<dataplane::DecoderRoute> routes;
      for (const auto& [udp_port, format] : config.udp_decoders) {
        absl::StatusOr<std::unique_ptr<decode::Decoder>> decoder = decode::MakeDecoder(format);
        if (!decoder.ok()) return decoder.status();
        routes.push_back({udp_port, decoder->get()});
        worker.decoders.push_back(*std::move(decoder));
      }
      if (rte_lcore_to_socket_id(worker.lcore) != static_cast<unsigned>(port.socket_id) &&
          port.socket_id >= 0) {
        spdlog::warn("lcore {} is on NUMA socket {} but port {} is on socket {}: every "
                     "packet will cross the interconnect",
                     worker.lcore, rte_lcore_to_socket_id(worker.lcore), port.name,
                     port.socket_id);
      }
      worker.rx = std::make_unique<dataplane::RxWorker>(port.port_id, q, routes,
                                                        worker.batcher.get(), clock_.get());
      workers_.push_back(std::move(worker));
    }
  }
  return absl::OkStatus();
}

absl::Status IngestNode::StartExport(const config::IngestConfig& config) {
  hub_ = std::make_unique<exporter::SubscriberHub>(config.subscriber_queue_batches);
  std::vector<batch::Batcher*> batchers;
  for (Worker& worker : workers_) batchers.push_back(worker.batcher.get());
  // Without election every node runs active in epoch 1 (DESIGN.md: embedded default).
  publisher_ = std::make_unique<exporter::Publisher>(config.node_id, /*epoch=*/1,
                                                     std::move(batchers), hub_.get());
  publisher_thread_ = std::thread([this] { publisher_->Run(stop_publisher_); });

  service_ = std::make_unique<exporter::IngestService>(
      hub_.get(), [this] { return publisher_->last_seq(); });
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(config.grpc_listen, grpc::InsecureServerCredentials(),
                           &selected_port);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || selected_port == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen for gRPC on ", config.grpc_listen,
        " (grpc.listen): address in use or not local?"));
  }
  grpc_address_ = WithPort(config.grpc_listen, selected_port);
  return absl::OkStatus();
}

absl::Status IngestNode::StartMetrics(const config::IngestConfig& config) {
  if (config.metrics_listen.empty()) return absl::OkStatus();
  metrics::IngestSources sources;
  sources.node_id = config.node_id;
  for (const Worker& worker : workers_) {
    metrics::WorkerSources w;
    w.port_name = worker.port_name;
    w.queue_id = worker.rx->queue_id();
    w.worker = worker.rx.get();
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
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ",
                                               config.metrics_listen,
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
  // The workers flushed their last batches; the publisher's final poll takes them.
  stop_publisher_.store(true, std::memory_order_release);
  if (publisher_thread_.joinable()) publisher_thread_.join();
  if (hub_ != nullptr) {
    if (!hub_->WaitUntilDrained(drain_timeout)) {
      spdlog::warn("subscribers did not receive every batch within {}",
                   absl::FormatDuration(drain_timeout));
    }
    hub_->Close();
  }
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  exposer_.reset();
  for (dataplane::PortQueues& port : ports_) dataplane::StopPort(port);
  ports_.clear();
  if (eal_started_) dataplane::CleanupEal();
  eal_started_ = false;
}

IngestNode::~IngestNode() { Stop(absl::ZeroDuration()); }

std::string IngestNode::Summary() const {
  uint64_t rx = 0, delivered = 0, dropped = 0, records = 0, errors = 0;
  for (const Worker& w : workers_) {
    const dataplane::QueueCounters& c = w.rx->counters();
    rx += c.rx_packets.Get();
    delivered += c.delivered.Get();
    for (const auto& d : c.parse_drops) dropped += d.Get();
    for (const auto& d : c.worker_drops) dropped += d.Get();
    for (const auto& decoder : w.decoders) {
      records += decoder->records();
      errors += decoder->total_errors();
    }
  }
  return absl::StrFormat(
      "packets received %d = delivered %d + dropped %d; records decoded %d, malformed %d; "
      "published %d records in %d batches",
      rx, delivered, dropped, records, errors, publisher_->counters().records_published.Get(),
      publisher_->counters().batches_published.Get());
}

}  // namespace firehose
