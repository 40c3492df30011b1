// controld's view of its ingestd's health: is it alive, is it making progress, is it
// losing data. Measured every interval from outside the data path: liveness from
// ingestd's standard gRPC health check on grpc.listen, the rest as rates between two
// scrapes of its Prometheus /metrics. The verdict (HEALTHY, DEGRADED, DOWN, with one
// reason line per problem) goes into `ingestctl status`, and an unhealthy active
// resigns on it.
#ifndef FIREHOSE_CONTROLPLANE_CONTROLD_HEALTH_MONITOR_H_
#define FIREHOSE_CONTROLPLANE_CONTROLD_HEALTH_MONITOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/firehose/v1/control.pb.h"

namespace firehose::controld {

// Counters read from one /metrics scrape.
struct MetricsSample {
  absl::Time at;
  uint64_t rx_packets = 0;
  // Data the node lost for lack of capacity: NIC imissed + ierrors, and batches
  // dropped on a full hand-off ring. Not unknown_port and other "not ours" drops,
  // which say nothing about the node.
  uint64_t dropped = 0;
  uint64_t rx_nombuf = 0;
  uint32_t subscribers = 0;
};

// When a live node counts as DEGRADED.
struct HealthLimits {
  // No packet received for this long.
  absl::Duration stall_after = absl::Seconds(5);
  // Drops above this fraction of received packets over an interval.
  double max_drop_ratio = 0.01;
  // Any mbuf allocation failure (mempool exhausted) in an interval.
  bool nombuf_degrades = true;
};

// Sums every sample of each metric family in Prometheus text ("name{labels} value"),
// by metric name. Lines that do not parse are skipped. Records a standby drops on
// purpose (reason="standby": it publishes nothing) are summed under
// "NAME:standby" instead, so they never count as losses.
inline constexpr char kStandbyReason[] = "reason=\"standby\"";
std::map<std::string, double> SumPrometheusText(const std::string& text);
MetricsSample SampleFromMetrics(const std::map<std::string, double>& sums, absl::Time at);

// The verdict from a liveness answer and two samples (previous may be absent on the
// first round). `last_progress` is when rx_packets last grew.
firehose::v1::Health EvaluateHealth(bool serving, const std::string& liveness_error,
                                    const std::optional<MetricsSample>& previous,
                                    const std::optional<MetricsSample>& current,
                                    absl::Time last_progress, const HealthLimits& limits);

// GET http://host:port/metrics with a deadline; the body on a 200.
absl::StatusOr<std::string> ScrapeMetrics(const std::string& host_port, absl::Duration timeout);

// Asks grpc.health.v1.Health/Check at `target`; OK when SERVING, else why not.
absl::Status CheckServing(const std::string& target, absl::Duration timeout);

class HealthMonitor {
 public:
  struct Options {
    std::string grpc_target;     // ingestd's grpc.listen
    std::string metrics_target;  // its metrics.listen; empty: liveness only
    absl::Duration interval = absl::Seconds(1);
    HealthLimits limits;
  };

  explicit HealthMonitor(Options options);
  ~HealthMonitor();  // stops the thread

  void Start();
  firehose::v1::Health Latest() const;

 private:
  void Loop();
  void MeasureOnce();

  const Options options_;
  mutable absl::Mutex mu_;
  firehose::v1::Health latest_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Only the monitor thread touches these.
  std::optional<MetricsSample> previous_;
  absl::Time last_progress_;
  std::thread thread_;
};

}  // namespace firehose::controld

#endif  // FIREHOSE_CONTROLPLANE_CONTROLD_HEALTH_MONITOR_H_
