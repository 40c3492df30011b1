// One running ingest node: the whole data path wired from a config, from EAL and ports
// through workers, batchers and the export thread to the gRPC service and /metrics.
//
// ingestd_main.cc is a thin shell around this class so that the start-up order and the
// shutdown order (stop workers, publish what they flushed, drain subscribers, stop the
// server, release DPDK) live in one place.
#ifndef FIREHOSE_NODE_INGEST_NODE_H_
#define FIREHOSE_NODE_INGEST_NODE_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "node/batch/batcher.h"
#include "node/config/ingest_config.h"
#include "node/dataplane/port.h"
#include "node/dataplane/rx_worker.h"
#include "node/dataplane/socket_worker.h"
#include "node/dataplane/tsc_clock.h"
#include "node/decode/decoder.h"
#include "node/export/ingest_service.h"
#include "node/export/publisher.h"
#include "node/export/subscriber_hub.h"
#include "node/metrics/ingest_collector.h"

namespace grpc {
class Server;
}  // namespace grpc
namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace firehose {

class IngestNode {
 public:
  // Initialises EAL, starts the ports, the export thread, the gRPC server and the
  // metrics endpoint, and launches the workers (which wait for Go()).
  static absl::StatusOr<std::unique_ptr<IngestNode>> Start(const config::IngestConfig& config,
                                                           const std::string& program);
  ~IngestNode();

  // Lets the workers start polling their queues.
  void Go() { go_.store(true, std::memory_order_release); }
  // Stops receiving, publishes everything already decoded, gives subscribers up to
  // `drain_timeout` to receive it, then stops the server and releases DPDK.
  void Stop(absl::Duration drain_timeout);

  std::string grpc_address() const { return grpc_address_; }
  std::string metrics_address() const { return metrics_address_; }
  const exporter::SubscriberHub& hub() const { return *hub_; }
  // For following controld's role and epoch (Publisher::SetRole is thread-safe).
  exporter::Publisher& publisher() { return *publisher_; }

  // Sends one gratuitous ARP for `ipv4` from every DPDK worker's TX queue. Returns once
  // requested; the workers send at their next poll.
  absl::Status SendGratuitousArp(const std::string& ipv4);
  // Makes every DPDK worker answer for the service address `address` (while active):
  // ARP and ping for IPv4, NDP and ICMPv6 echo for IPv6; or stop answering for it
  // (empty, on demotion), from its next poll.
  absl::Status SetServiceAddress(const std::string& address);
  // Announces the service address set last from every DPDK worker's TX queue, once, on
  // promotion: a gratuitous ARP for IPv4, an unsolicited Neighbor Advertisement for IPv6.
  absl::Status AnnounceServiceAddress();

  // NetFlow v9/IPFIX template sharing with the other node of a pair (each worker's
  // caches are touched only by that worker: these go through its TemplateMailbox).
  // Whether any worker runs a NetFlow decoder.
  bool has_templates() const;
  // Templates learned + withdrawn over all workers: moves whenever the caches change.
  uint64_t template_changes() const;
  // Every worker's caches merged into one export; fails when a worker does not answer
  // within `timeout` (e.g. before Go()).
  absl::StatusOr<std::string> ExportTemplates(absl::Duration timeout);
  // Every worker imports `templates` (replacing its caches) at its next poll.
  void ImportTemplates(const std::string& templates);

  // A one-line account of what moved, for the log at exit.
  std::string Summary() const;

 private:
  // What a worker lcore needs, behind the single pointer rte_eal_remote_launch passes.
  struct WorkerLaunch {
    dataplane::RxWorker* rx;
    const std::atomic<bool>* go;
    const std::atomic<bool>* stop;
  };
  struct Worker {
    std::vector<std::unique_ptr<decode::Decoder>> decoders;
    std::unique_ptr<batch::Batcher> batcher;
    std::unique_ptr<dataplane::RxWorker> rx;          // DPDK backend
    std::unique_ptr<dataplane::SocketWorker> socket;  // kernel backend
    std::thread thread;                               // kernel backend's receive thread
    std::string port_name;
    unsigned lcore = 0;
    std::unique_ptr<WorkerLaunch> launch;
  };

  IngestNode() = default;
  absl::Status StartDataPath(const config::IngestConfig& config);
  absl::Status StartKernelPath(const config::IngestConfig& config);
  // Decoders for every configured UDP port, owned by `worker`, as routes.
  static absl::StatusOr<std::vector<dataplane::DecoderRoute>> MakeRoutes(
      const config::IngestConfig& config, Worker& worker);
  static const dataplane::QueueCounters& CountersOf(const Worker& worker);
  static dataplane::TemplateMailbox& MailboxOf(Worker& worker);
  // Logs the NUMA node `worker`'s state was built for and where the kernel put it.
  static void LogPlacement(const Worker& worker, const dataplane::PortQueues& port,
                           uint16_t queue, const absl::Status& policy);
  absl::Status StartExport(const config::IngestConfig& config);
  absl::Status StartMetrics(const config::IngestConfig& config);
  static int WorkerMain(void* worker);

  bool kernel_backend_ = false;
  bool eal_started_ = false;
  bool stopped_ = false;
  std::unique_ptr<dataplane::TscClock> clock_;
  std::vector<dataplane::PortQueues> ports_;
  std::vector<Worker> workers_;
  std::atomic<bool> go_{false};
  std::atomic<bool> stop_workers_{false};
  std::atomic<bool> stop_publisher_{false};

  std::unique_ptr<exporter::SubscriberHub> hub_;
  std::unique_ptr<exporter::Publisher> publisher_;
  std::thread publisher_thread_;
  std::unique_ptr<exporter::IngestService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string grpc_address_;

  std::shared_ptr<metrics::IngestCollector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string metrics_address_;
};

}  // namespace firehose

#endif  // FIREHOSE_NODE_INGEST_NODE_H_
