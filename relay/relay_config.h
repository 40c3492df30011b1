// The relay's config file (docs/relay.md, contract in the Helm chart's values): which
// pairs of ingest nodes to follow and how to reach them, the relay's own Subscribe
// listener (the same `grpc:` keys and rules as ingestd's, read by ingestd's own config
// code), its optional plaintext health-only listener, its /metrics listener, and the
// statsd aggregation section. Unknown keys are
// errors; every error names the file and the field.
#ifndef FIREHOSE_RELAY_RELAY_CONFIG_H_
#define FIREHOSE_RELAY_RELAY_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "node/config/ingest_config.h"
#include "relay/statsd_metrics/statsd_metrics_config.h"

namespace firehose::relay {

struct RelayConfig {
  // YAML `relay_id` (required): 1-64 of A-Za-z0-9._- ; the relay's name in logs, in
  // metrics and as node_id of the batches it serves.
  std::string relay_id;

  // YAML `grpc` and `metrics.listen`, read and validated by ingestd's config code, so
  // both have the same keys, defaults and rules (grpc.epoch_file excepted: the relay's
  // epoch is its start time). Only the grpc_* fields, subscriber_queue_batches/_bytes,
  // slow_subscriber, replay_bytes, heartbeat_ms and metrics_listen are used.
  config::IngestConfig server;

  // YAML `health.listen`: "host:port" of a plaintext listener serving only
  // grpc.health.v1.Health (the same statuses as grpc.listen's), for probes that cannot
  // speak TLS. Empty (the default): no such listener.
  std::string health_listen;

  // YAML `upstream.pairs` (at least one): each an active/standby pair of nodes.
  struct Pair {
    // YAML `name`: 1-64 of A-Za-z0-9._- , unique; label of the pair's metrics.
    std::string name;
    // YAML `nodes`: gRPC targets ("host:port") of the pair's nodes, at least one.
    std::vector<std::string> nodes;
  };
  std::vector<Pair> pairs;

  // YAML `upstream.tls`: the relay as a TLS client of the nodes. Empty ca: plaintext.
  struct UpstreamTls {
    std::string ca;
    std::string cert;
    std::string key;
    std::string server_name;
  };
  UpstreamTls upstream_tls;
  // YAML `upstream.token_file`: bearer token sent to the nodes; empty: none.
  std::string upstream_token_file;
  // YAML `upstream.reconnect_backoff_ms` (10..60000): first delay before reconnecting to
  // a node; doubles up to 10 times that.
  uint32_t reconnect_backoff_ms = 500;
  // YAML `upstream.idle_timeout_ms` (100..600000): no batch or heartbeat from a node for
  // this long: reconnect. Keep it above the nodes' grpc.heartbeat_ms.
  uint32_t idle_timeout_ms = 5000;

  // YAML `statsd_metrics`: statsd_exporter-style aggregation exposed on /metrics, read
  // and checked by the aggregation's own config reader (defaults when absent: off).
  StatsdMetricsConfig statsd_metrics;
};

// Reads and validates the file at `path`.
absl::StatusOr<RelayConfig> LoadRelayConfig(const std::string& path);
// Parses and validates config text; `source_name` starts every error message.
absl::StatusOr<RelayConfig> ParseRelayConfig(std::string_view yaml_text,
                                             std::string_view source_name);

}  // namespace firehose::relay

#endif  // FIREHOSE_RELAY_RELAY_CONFIG_H_
