// firehose_relay_* families from a relay snapshot; see the header.
#include "relay/relay_collector.h"

#include <string>

#include "node/metrics/family_builder.h"
#include "relay/relay.h"

namespace firehose::relay {

using metrics::Counter;
using metrics::Gauge;

std::vector<prometheus::MetricFamily> RelayCollector::Collect() const {
  const RelaySnapshot s = snapshot_();
  std::vector<prometheus::MetricFamily> out;
  out.push_back(Gauge("firehose_relay_info", "The relay's id and its own epoch (start time, ms).")
                    .Add({{"relay_id", s.relay_id}, {"epoch", std::to_string(s.epoch)}}, 1)
                    .Build());
  out.push_back(Gauge("firehose_relay_ready",
                      "1 while connected to the active node of every pair (readiness).")
                    .Add({}, s.ready ? 1 : 0)
                    .Build());
  out.push_back(
      Gauge("firehose_relay_published_seq", "Last seq of the relay's own stream (in its epoch).")
          .Add({}, static_cast<double>(s.last_seq))
          .Build());

  auto received_b = Counter("firehose_relay_received_batches_total",
                            "Batches received from the pair's nodes (= forwarded + dropped).");
  auto received_r = Counter("firehose_relay_received_records_total",
                            "Records received from the pair's nodes (= forwarded + dropped).");
  auto forwarded_b =
      Counter("firehose_relay_forwarded_batches_total", "Batches passed on to the relay's stream.");
  auto forwarded_r =
      Counter("firehose_relay_forwarded_records_total", "Records passed on to the relay's stream.");
  auto dropped_b = Counter("firehose_relay_dropped_batches_total",
                           "Batches not passed on, by reason: duplicate (epoch, seq) or "
                           "stale_epoch (older than the epoch followed).");
  auto dropped_r = Counter("firehose_relay_dropped_records_total",
                           "Records not passed on, by reason (see dropped_batches).");
  auto gaps = Counter("firehose_relay_gap_batches_total",
                      "Batches of the followed epoch never received (holes in seq).");
  auto gap_notices =
      Counter("firehose_relay_upstream_gap_notices_total", "Gap notices received from the nodes.");
  auto gap_records = Counter("firehose_relay_upstream_gap_records_total",
                             "Records the nodes' Gap notices say were lost before the relay.");
  auto changes = Counter("firehose_relay_epoch_changes_total",
                         "Times the pair's followed epoch moved up (failovers seen).");
  auto epoch = Gauge("firehose_relay_pair_epoch", "The epoch followed for the pair.");
  auto pair_ready =
      Gauge("firehose_relay_pair_ready", "1 while connected to the pair's active node.");
  auto connected = Gauge("firehose_relay_node_connected",
                         "1 while the node's stream is up (a message seen since connecting).");
  auto active =
      Gauge("firehose_relay_node_active", "1 for the connected node active in the followed epoch.");
  auto connections =
      Counter("firehose_relay_node_connections_total", "Subscribe streams opened to the node.");
  auto resume_dups = Counter("firehose_relay_node_resume_duplicates_total",
                             "Batches a resumed stream sent again, skipped by the client.");
  for (const PairSnapshot& pair : s.pairs) {
    const PairCounters& c = pair.counters;
    received_b.Add({{"pair", pair.name}}, static_cast<double>(c.received_batches));
    received_r.Add({{"pair", pair.name}}, static_cast<double>(c.received_records));
    forwarded_b.Add({{"pair", pair.name}}, static_cast<double>(c.forwarded_batches));
    forwarded_r.Add({{"pair", pair.name}}, static_cast<double>(c.forwarded_records));
    dropped_b.Add({{"pair", pair.name}, {"reason", "duplicate"}},
                  static_cast<double>(c.duplicate_batches));
    dropped_b.Add({{"pair", pair.name}, {"reason", "stale_epoch"}},
                  static_cast<double>(c.stale_batches));
    dropped_r.Add({{"pair", pair.name}, {"reason", "duplicate"}},
                  static_cast<double>(c.duplicate_records));
    dropped_r.Add({{"pair", pair.name}, {"reason", "stale_epoch"}},
                  static_cast<double>(c.stale_records));
    gaps.Add({{"pair", pair.name}}, static_cast<double>(c.gap_batches));
    gap_notices.Add({{"pair", pair.name}}, static_cast<double>(c.upstream_gap_notices));
    gap_records.Add({{"pair", pair.name}}, static_cast<double>(c.upstream_gap_records));
    changes.Add({{"pair", pair.name}}, static_cast<double>(c.epoch_changes));
    epoch.Add({{"pair", pair.name}}, static_cast<double>(pair.epoch));
    pair_ready.Add({{"pair", pair.name}}, pair.ready ? 1 : 0);
    for (const PairSnapshot::Node& node : pair.nodes) {
      connected.Add({{"pair", pair.name}, {"node", node.address}}, node.connected ? 1 : 0);
      active.Add({{"pair", pair.name}, {"node", node.address}}, node.active ? 1 : 0);
      connections.Add({{"pair", pair.name}, {"node", node.address}},
                      static_cast<double>(node.connections));
      resume_dups.Add({{"pair", pair.name}, {"node", node.address}},
                      static_cast<double>(node.resume_duplicates));
    }
  }
  for (auto* family : {&received_b, &received_r, &forwarded_b, &forwarded_r, &dropped_b, &dropped_r,
                       &gaps, &gap_notices, &gap_records, &changes, &epoch, &pair_ready, &connected,
                       &active, &connections, &resume_dups}) {
    out.push_back(family->Build());
  }

  const exporter::HubStats& hub = s.hub;
  out.push_back(Gauge("firehose_relay_subscribers", "Subscribers connected to the relay.")
                    .Add({}, static_cast<double>(hub.subscribers))
                    .Build());
  auto lag = Gauge("firehose_relay_subscriber_lag_batches",
                   "Batches the relay has published that a subscriber has not been sent yet.");
  for (const exporter::SubscriberSnapshot& subscriber : s.subscribers) {
    lag.Add({{"subscriber", subscriber.name}, {"id", std::to_string(subscriber.id)}},
            static_cast<double>(subscriber.lag_batches));
  }
  out.push_back(lag.Build());
  out.push_back(Counter("firehose_relay_subscriber_delivered_records_total",
                        "Records written to the relay's subscribers.")
                    .Add({}, static_cast<double>(hub.delivered_records))
                    .Build());
  out.push_back(Counter("firehose_relay_subscriber_dropped_records_total",
                        "Records dropped for the relay's slow subscribers (Gap notices).")
                    .Add({}, static_cast<double>(hub.dropped_records))
                    .Build());
  out.push_back(Gauge("firehose_relay_replay_bytes", "Bytes held in the relay's replay ring.")
                    .Add({}, static_cast<double>(hub.replay.bytes))
                    .Build());
  out.push_back(Gauge("firehose_relay_replay_batches", "Batches held in the relay's replay ring.")
                    .Add({}, static_cast<double>(hub.replay.batches))
                    .Build());
  return out;
}

}  // namespace firehose::relay
