// The `statsd_metrics:` section of the relay's config: statsd_exporter-style
// aggregation of statsd records into Prometheus metrics (see
// docs/relay_statsd_metrics.md). This file reads and validates that one section; the
// relay's loader hands it the section's YAML node and the file name for messages.
#ifndef FIREHOSE_RELAY_STATSD_METRICS_STATSD_METRICS_CONFIG_H_
#define FIREHOSE_RELAY_STATSD_METRICS_STATSD_METRICS_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace firehose::relay {

// Unit in which statsd timers ("ms" records) arrive; they are exposed in seconds.
enum class TimerUnit { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds };

// One name-mapping rule; the first rule whose `match` fits a statsd name wins.
struct StatsdMapping {
  // Dot-separated components; a component that is exactly "*" matches any one
  // non-empty component and is captured as $1, $2, ... in order.
  std::string match;
  // Prometheus metric name; may use $1..$9.
  std::string name;
  // Extra labels: label name -> value, values may use $1..$9.
  std::map<std::string, std::string> labels;
};

struct StatsdMetricsConfig {
  bool enabled = false;
  // Upper bounds of the histogram buckets, in seconds for timers, strictly increasing;
  // +Inf is always added.
  std::vector<double> histogram_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  TimerUnit timer_unit = TimerUnit::kMilliseconds;
  std::vector<StatsdMapping> mappings;
  // Most series (label sets over all metric names) kept; records that would make a
  // new series beyond it are dropped and counted.
  uint64_t max_series = 100000;
};

// Reads the `statsd_metrics:` section. `section` may be undefined or null (the
// section is absent): the defaults apply. Errors name the file and field, e.g.
// `relay.yaml: statsd_metrics.mappings[2].name: "9bad" is not a valid metric name`.
absl::StatusOr<StatsdMetricsConfig> ReadStatsdMetricsConfig(const YAML::Node& section,
                                                            absl::string_view source_name);

// Range and cross-field checks of a config built in code (also applied by
// ReadStatsdMetricsConfig). `source_name` prefixes the messages.
absl::Status ValidateStatsdMetricsConfig(const StatsdMetricsConfig& config,
                                         absl::string_view source_name);

// Bounds of the fields, exposed for tests and docs.
inline constexpr uint64_t kMaxStatsdSeriesLimit = 10'000'000;
inline constexpr size_t kMaxHistogramBuckets = 64;
inline constexpr size_t kMaxStatsdMappings = 10000;

}  // namespace firehose::relay

#endif  // FIREHOSE_RELAY_STATSD_METRICS_STATSD_METRICS_CONFIG_H_
