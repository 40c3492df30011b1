// The Prometheus view of one ingestd: reads every stage's counters at scrape time.
//
// Metric names and labels are documented in README.md ("Metrics"). The invariant an
// operator (and every test) can check from them alone:
//   firehose_rx_packets_total = firehose_rx_delivered_packets_total
//                               + sum(firehose_rx_dropped_packets_total)
// and, for records,
//   sum(firehose_decoder_records_total) = firehose_batch_records_total
//                                         + firehose_batch_dropped_records_total
//   firehose_batch_records_total = firehose_published_records_total (+ in flight)
#ifndef FIREHOSE_NODE_METRICS_INGEST_COLLECTOR_H_
#define FIREHOSE_NODE_METRICS_INGEST_COLLECTOR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "node/batch/batcher.h"
#include "node/dataplane/rx_worker.h"
#include "node/dataplane/socket_worker.h"
#include "node/decode/decoder.h"
#include "node/export/publisher.h"
#include "node/export/subscriber_hub.h"
#include "prometheus/collectable.h"

namespace firehose::metrics {

struct WorkerSources {
  std::string port_name;
  uint16_t queue_id = 0;
  // A DPDK RxWorker's or a kernel SocketWorker's counters and CPU clock.
  const dataplane::QueueCounters* counters = nullptr;
  std::function<double()> cpu_seconds;
  // A kernel SocketWorker's socket receive queues; empty for a DPDK worker.
  std::function<std::vector<dataplane::SocketWorker::ReceiveQueue>()> receive_queues;
  const batch::Batcher* batcher = nullptr;
  std::vector<const decode::Decoder*> decoders;
};

struct PortSources {
  std::string name;
  uint16_t port_id = 0;
};

struct IngestSources {
  std::string node_id;
  std::vector<WorkerSources> workers;
  std::vector<PortSources> ports;
  const exporter::Publisher* publisher = nullptr;
  const exporter::SubscriberHub* hub = nullptr;
};

class IngestCollector final : public prometheus::Collectable {
 public:
  explicit IngestCollector(IngestSources sources) : sources_(std::move(sources)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const IngestSources sources_;
};

}  // namespace firehose::metrics

#endif  // FIREHOSE_NODE_METRICS_INGEST_COLLECTOR_H_
