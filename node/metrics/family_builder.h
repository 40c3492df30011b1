// A small helper for building Prometheus metric families by hand at scrape time.
//
// firehose's data path keeps its own single-writer counters (RelaxedCounter); rather
// than mirror every increment into prometheus-cpp's atomics, a Collectable reads them
// when Prometheus scrapes and builds the families with this helper.
#ifndef FIREHOSE_NODE_METRICS_FAMILY_BUILDER_H_
#define FIREHOSE_NODE_METRICS_FAMILY_BUILDER_H_

#include <initializer_list>
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

  // Moves the family out; the builder is spent afterwards.
  prometheus::MetricFamily Build() { return std::move(family_); }

 private:
  prometheus::MetricFamily family_;
};

inline FamilyBuilder Counter(std::string name, std::string help) {
  return FamilyBuilder(std::move(name), std::move(help), prometheus::MetricType::Counter);
}
inline FamilyBuilder Gauge(std::string name, std::string help) {
  return FamilyBuilder(std::move(name), std::move(help), prometheus::MetricType::Gauge);
}

}  // namespace firehose::metrics

#endif  // FIREHOSE_NODE_METRICS_FAMILY_BUILDER_H_
