// Prometheus exposition of the relay's own state (firehose_relay_*): what it received
// from each pair and what it did with it, the followed epochs, readiness, upstream
// connections, and its subscribers and replay ring. Built from a snapshot at scrape
// time.
#ifndef FIREHOSE_RELAY_RELAY_COLLECTOR_H_
#define FIREHOSE_RELAY_RELAY_COLLECTOR_H_

#include <functional>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace firehose::relay {

struct RelaySnapshot;

class RelayCollector : public prometheus::Collectable {
 public:
  explicit RelayCollector(std::function<RelaySnapshot()> snapshot)
      : snapshot_(std::move(snapshot)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::function<RelaySnapshot()> snapshot_;
};

}  // namespace firehose::relay

#endif  // FIREHOSE_RELAY_RELAY_COLLECTOR_H_
