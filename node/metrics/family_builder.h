// A small helper for building Prometheus metric families by hand at scrape time.
//
// firehose's data path keeps its own single-writer counters (RelaxedCounter); rather
// than mirror every increment into prometheus-cpp's atomics, a Collectable reads them
// when Prometheus scrapes and builds the families with this helper.
#ifndef FIREHOSE_NODE_METRICS_FAMILY_BUILDER_H_
#define FIREHOSE_NODE_METRICS_FAMILY_BUILDER_H_

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "prometheus/metric_family.h"

namespace firehose::metrics {

using Labels = std::initializer_list<std::pair<const char*, std::string>>;

class FamilyBuilder {
 public:
  FamilyBuilder(std::string name, std::string help, prometheus::MetricType type) {
    family_.name = std::move(name);
    family_.help = std::move(help);
    family_.type = type;
  }

  FamilyBuilder& Add(Labels labels, double value) {
    prometheus::ClientMetric metric;
    for (const auto& [name, label_value] : labels) metric.label.push_back({name, label_value});
    if (family_.type == prometheus::MetricType::Counter) {
      metric.counter.value = value;
    } else {
      metric.gauge.value = value;
    }
    family_.metric.push_back(std::move(metric));
    return *this;
  }

  // One histogram sample: `bounds` are the bucket upper bounds (scaled by `scale`, e.g.
  // 1e-6 for microseconds to seconds), `counts` the non-cumulative count per bucket
  // with one more entry for +Inf.
  template <typename Bounds, typename Counts>
  FamilyBuilder& AddHistogram(Labels labels, const Bounds& bounds, const Counts& counts,
                              double sum, double scale = 1.0) {
    prometheus::ClientMetric metric;
    for (const auto& [name, label_value] : labels) metric.label.push_back({name, label_value});
    uint64_t cumulative = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      cumulative += counts[i].Get();
      prometheus::ClientMetric::Bucket bucket;
      bucket.cumulative_count = cumulative;
      bucket.upper_bound = i < bounds.size() ? static_cast<double>(bounds[i]) * scale
                                             : std::numeric_limits<double>::infinity();
      metric.histogram.bucket.push_back(bucket);
    }
    metric.histogram.sample_count = cumulative;
    metric.histogram.sample_sum = sum;
    family_.metric.push_back(std::move(metric));
    return *this;
  }

  // Moves the family out; the builder is spent afterwards.
  prometheus::MetricFamily Build() { return std::move(family_); }

 private:
  prometheus::MetricFamily family_;
};

inline FamilyBuilder Counter(std::string name, std::string help) {
  return FamilyBuilder(std::move(name), std::move(help), prometheus::MetricType::Counter);
}
inline FamilyBuilder Histogram(std::string name, std::string help) {
  return FamilyBuilder(std::move(name), std::move(help), prometheus::MetricType::Histogram);
}
inline FamilyBuilder Gauge(std::string name, std::string help) {
  return FamilyBuilder(std::move(name), std::move(help), prometheus::MetricType::Gauge);
}

}  // namespace firehose::metrics

#endif  // FIREHOSE_NODE_METRICS_FAMILY_BUILDER_H_
