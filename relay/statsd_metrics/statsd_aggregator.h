// Aggregates the statsd records of columnar batches into Prometheus metrics in the
// manner of prometheus/statsd_exporter, for the relay's /metrics (register it with a
// prometheus::Registry-backed Exposer via Exposer::RegisterCollectable).
//
// Counters are summed (value / sample rate), gauges keep the last value (signed
// deltas add), timers, histograms and distributions become Prometheus histograms with
// the configured buckets; sets are not aggregated (dropped, counted). Names go through
// the mapping rules or are sanitized; DogStatsD "key:value" tags become labels. See
// docs/relay_statsd_metrics.md for every rule and decision.
//
// Add() runs on the relay's export side, never on a node's data path: one mutex guards
// everything. Repeated (name, type, tags) combinations are resolved through a cache
// keyed by their raw bytes, so a record of a known series costs a hash lookup into a
// reused key buffer and no allocation.
#ifndef FIREHOSE_RELAY_STATSD_METRICS_STATSD_AGGREGATOR_H_
#define FIREHOSE_RELAY_STATSD_METRICS_STATSD_AGGREGATOR_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/client_metric.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "relay/statsd_metrics/name_mapper.h"
#include "relay/statsd_metrics/statsd_metrics_config.h"

namespace firehose::v1 {
class Batch;
}  // namespace firehose::v1

namespace firehose::relay {

// Why a statsd record was not aggregated (label `reason` of
// firehose_statsd_metrics_dropped_total).
enum class StatsdDropReason : uint8_t {
  kMalformedBatch,   // the statsd columns disagree in length: the whole section
  kMalformedRecord,  // a string, tag or type out of range
  kInvalidName,      // empty metric name
  kInvalidValue,     // NaN or infinite value
  kNegativeCounter,  // a counter cannot go down
  kSetUnsupported,   // statsd sets are not aggregated
  kTypeConflict,     // the metric name already exists with another type
  kSeriesLimit,      // max_series reached
  kCount,
};

// Why a tag was not turned into a label (label `reason` of
// firehose_statsd_metrics_tags_ignored_total); the record itself is kept.
enum class StatsdTagIgnoreReason : uint8_t {
  kNoValue,        // a bare "key" or "key:" tag
  kEmptyKey,       // ":value"
  kReservedLabel,  // "le" or "quantile": reserved for histograms and summaries
  kInvalidUtf8,    // a label value Prometheus would refuse
  kCount,
};

absl::string_view StatsdDropReasonName(StatsdDropReason reason);
absl::string_view StatsdTagIgnoreReasonName(StatsdTagIgnoreReason reason);

class StatsdAggregator : public prometheus::Collectable {
 public:
  // Fails when `config` does not pass ValidateStatsdMetricsConfig.
  static absl::StatusOr<std::unique_ptr<StatsdAggregator>> Create(StatsdMetricsConfig config);

  StatsdAggregator(const StatsdAggregator&) = delete;
  StatsdAggregator& operator=(const StatsdAggregator&) = delete;

  // Aggregates the batch's statsd section; other sections are ignored. Thread-safe.
  void Add(const v1::Batch& batch);

  // The aggregated metrics (families sorted by name) followed by the aggregator's own
  // counters (firehose_statsd_metrics_*). Thread-safe.
  std::vector<prometheus::MetricFamily> Collect() const override;

  // The own counters, for tests and logs. records == aggregated + sum(dropped).
  struct Stats {
    uint64_t records = 0;
    uint64_t aggregated = 0;
    std::array<uint64_t, static_cast<size_t>(StatsdDropReason::kCount)> dropped{};
    std::array<uint64_t, static_cast<size_t>(StatsdTagIgnoreReason::kCount)> tags_ignored{};
    uint64_t series = 0;
    uint64_t dropped_total() const;
  };
  Stats GetStats() const;

 private:
  enum class Kind : uint8_t { kCounter, kGauge, kHistogram };
  struct Family;
  struct Series {
    Family* family = nullptr;
    std::vector<prometheus::ClientMetric::Label> labels;  // sorted by name
    double value = 0;                                     // counter, gauge
    uint64_t count = 0;                                   // histogram
    double sum = 0;
    std::vector<uint64_t> buckets;  // per bound (not cumulative), then +Inf
  };
  struct Family {
    std::string name;
    Kind kind;
    std::vector<std::unique_ptr<Series>> series;
  };
  // What a raw (name, kind, tags) key resolved to.
  struct Resolved {
    Series* series = nullptr;  // null: dropped for `drop`
    StatsdDropReason drop = StatsdDropReason::kCount;
    std::array<uint8_t, static_cast<size_t>(StatsdTagIgnoreReason::kCount)> tags_ignored{};
  };

  StatsdAggregator(StatsdMetricsConfig config, NameMapper mapper);

  // Maps, sanitizes and finds or creates the series for one record's name and tags.
  Resolved Resolve(absl::string_view statsd_name, Kind kind, const v1::Batch& batch, int tag_begin,
                   int tag_end) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The names a family `name` of `kind` takes: its own; a histogram's _bucket, _sum
  // and _count; a counter's name without "_total" (OpenMetrics calls the counter that,
  // and a gauge of that name is the same statsd metric sent with another type).
  static std::vector<std::string> ReservedNames(absl::string_view name, Kind kind);
  // Whether a new family would take a name already taken, or one of the own metrics'.
  bool Collides(const std::vector<std::string>& reserved) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Drop(StatsdDropReason reason, uint64_t n = 1) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Observe(Series* series, double value, uint64_t weight) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CollectOwn(std::vector<prometheus::MetricFamily>* out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const StatsdMetricsConfig config_;
  const NameMapper mapper_;
  const double timer_scale_;  // multiplies timer values into seconds
  // Raw-key cache bound: past it, new keys are resolved every time (still correct).
  const size_t max_cache_entries_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Family>> families_ ABSL_GUARDED_BY(mu_);
  // Every name taken (see ReservedNames) -> its family.
  absl::flat_hash_map<std::string, Family*> sample_names_ ABSL_GUARDED_BY(mu_);
  // Canonical key (name, sorted labels) -> series.
  absl::flat_hash_map<std::string, Series*> series_by_labels_ ABSL_GUARDED_BY(mu_);
  // Raw key (statsd name, kind, tags as sent) -> what it resolved to.
  absl::flat_hash_map<std::string, Resolved> cache_ ABSL_GUARDED_BY(mu_);
  std::string key_ ABSL_GUARDED_BY(mu_);  // reused for raw keys
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace firehose::relay

#endif  // FIREHOSE_RELAY_STATSD_METRICS_STATSD_AGGREGATOR_H_
