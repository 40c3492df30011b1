// The relay's config: the contract's example loads; grpc/metrics follow ingestd's rules
// (read by its code); upstream and relay_id errors name the file and field.
#include "relay/relay_config.h"

#include <string>

#include "gtest/gtest.h"

namespace firehose::relay {
namespace {

constexpr char kContractExample[] = R"(
relay_id: relay-0
grpc:
  listen: "0.0.0.0:7070"
  insecure: true
  replay_bytes: 67108864
  subscriber_queue_batches: 256
  slow_subscriber: drop_oldest
  heartbeat_ms: 1000
metrics:
  listen: "0.0.0.0:9102"
upstream:
  pairs:
    - name: edge-1
      nodes: ["10.0.0.11:50051", "10.0.0.12:50051"]
  tls:
    ca: /etc/firehose-relay/upstream/ca.crt
    cert: /etc/firehose-relay/upstream/tls.crt
    key: /etc/firehose-relay/upstream/tls.key
    server_name: ""
  token_file: /etc/firehose-relay/upstream/token
  reconnect_backoff_ms: 500
  idle_timeout_ms: 5000
statsd_metrics:
  enabled: false
  histogram_buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
  timer_unit: milliseconds
  mappings:
    - match: "api.*.requests"
      name: "api_requests_total"
      labels: {endpoint: "$1"}
  max_series: 100000
)";

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<RelayConfig> config = ParseRelayConfig(yaml, "relay.yaml");
  return config.ok() ? "OK" : std::string(config.status().message());
}

TEST(RelayConfigTest, TheContractExampleLoads) {
  absl::StatusOr<RelayConfig> config = ParseRelayConfig(kContractExample, "relay.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->relay_id, "relay-0");
  EXPECT_EQ(config->server.grpc_listen, "0.0.0.0:7070");
  EXPECT_TRUE(config->server.grpc_insecure);
  EXPECT_EQ(config->server.replay_bytes, 67108864u);
  EXPECT_EQ(config->server.metrics_listen, "0.0.0.0:9102");
  ASSERT_EQ(config->pairs.size(), 1u);
  EXPECT_EQ(config->pairs[0].name, "edge-1");
  EXPECT_EQ(config->pairs[0].nodes.size(), 2u);
  EXPECT_EQ(config->upstream_tls.ca, "/etc/firehose-relay/upstream/ca.crt");
  EXPECT_EQ(config->upstream_token_file, "/etc/firehose-relay/upstream/token");
  EXPECT_EQ(config->idle_timeout_ms, 5000u);
  EXPECT_FALSE(config->statsd_metrics.enabled);
  ASSERT_EQ(config->statsd_metrics.mappings.size(), 1u);
  EXPECT_EQ(config->statsd_metrics.mappings[0].name, "api_requests_total");
  EXPECT_EQ(config->statsd_metrics.histogram_buckets.size(), 11u);
}

TEST(RelayConfigTest, DefaultsListenOnLoopback) {
  absl::StatusOr<RelayConfig> config = ParseRelayConfig(
      "relay_id: r\nupstream: {pairs: [{name: p, nodes: ['127.0.0.1:1']}]}\n", "relay.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server.grpc_listen, "127.0.0.1:7070");
  EXPECT_EQ(config->server.metrics_listen, "127.0.0.1:9102");
  EXPECT_EQ(config->reconnect_backoff_ms, 500u);
  EXPECT_FALSE(config->statsd_metrics.enabled);
}

TEST(RelayConfigTest, ErrorsNameTheFileAndField) {
  const std::string pairs = "upstream: {pairs: [{name: p, nodes: ['127.0.0.1:1']}]}\n";
  EXPECT_EQ(ErrorOf(pairs), "relay.yaml: relay_id: required field is missing");
  EXPECT_NE(ErrorOf("relay_id: 'a b'\n" + pairs).find("relay.yaml: relay_id: must be"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("relay_id: r\nbogus: 1\n" + pairs),
            "relay.yaml: (top level): unknown field \"bogus\" (expected one of: relay_id, grpc, "
            "health, metrics, upstream, statsd_metrics)");
  EXPECT_EQ(ErrorOf("relay_id: r\nupstream: {pairs: []}\n"),
            "relay.yaml: upstream.pairs: required: a list of at least one pair");
  EXPECT_EQ(ErrorOf("relay_id: r\nupstream: {pairs: [{name: p, nodes: []}]}\n"),
            "relay.yaml: upstream.pairs[0].nodes: needs at least one node");
  EXPECT_EQ(ErrorOf("relay_id: r\nupstream: {pairs: [{name: p, nodes: [a:1]}, "
                    "{name: p, nodes: [b:1]}]}\n"),
            "relay.yaml: upstream.pairs[1].name: \"p\" is given twice");
  EXPECT_EQ(ErrorOf("relay_id: r\nupstream: {pairs: [{name: p, nodes: [a:1]}], "
                    "tls: {cert: c}}\n"),
            "relay.yaml: upstream.tls.ca: required when upstream.tls is used");
  EXPECT_NE(ErrorOf("relay_id: r\nupstream: {pairs: [{name: p, nodes: [a:1]}], "
                    "idle_timeout_ms: 5}\n")
                .find("upstream.idle_timeout_ms: must be an integer in 100..600000"),
            std::string::npos);
  // The statsd section is checked at load time too, by its own reader.
  const std::string statsd = ErrorOf("relay_id: r\n" + pairs + "statsd_metrics: {max_series: x}\n");
  EXPECT_NE(statsd.find("relay.yaml"), std::string::npos) << statsd;
  EXPECT_NE(statsd.find("statsd_metrics.max_series"), std::string::npos) << statsd;
  EXPECT_EQ(ErrorOf("relay_id: r\ngrpc: {epoch_file: /x}\n" + pairs),
            "relay.yaml: grpc.epoch_file: is not used by the relay (its epoch is its start "
            "time); remove it");
}

TEST(RelayConfigTest, HealthListenIsOptionalAndChecked) {
  const std::string pairs = "upstream: {pairs: [{name: p, nodes: ['127.0.0.1:1']}]}\n";
  absl::StatusOr<RelayConfig> off = ParseRelayConfig("relay_id: r\n" + pairs, "relay.yaml");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->health_listen, "");
  // Plaintext off the host needs no `insecure`: the port carries health statuses only.
  absl::StatusOr<RelayConfig> on =
      ParseRelayConfig("relay_id: r\nhealth: {listen: '0.0.0.0:8081'}\n" + pairs, "relay.yaml");
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_EQ(on->health_listen, "0.0.0.0:8081");
  EXPECT_TRUE(ParseRelayConfig("relay_id: r\nhealth: {listen: ''}\n" + pairs, "relay.yaml").ok());

  EXPECT_EQ(ErrorOf("relay_id: r\nhealth: {listen: 8081}\n" + pairs),
            "relay.yaml: health.listen: must be \"host:port\" (e.g. \"0.0.0.0:8081\" or "
            "\"[::]:8081\"), got \"8081\"");
  EXPECT_EQ(ErrorOf("relay_id: r\nhealth: {listen: [a]}\n" + pairs),
            "relay.yaml: health.listen: must be a string");
  EXPECT_EQ(ErrorOf("relay_id: r\nhealth: {port: 8081}\n" + pairs),
            "relay.yaml: health: unknown field \"port\" (expected one of: listen)");
  EXPECT_EQ(ErrorOf("relay_id: r\nhealth: on\n" + pairs), "relay.yaml: health: must be a map");
  EXPECT_EQ(ErrorOf("relay_id: r\nhealth: {listen: '0.0.0.0:7070'}\n" + pairs),
            "relay.yaml: health.listen: \"0.0.0.0:7070\" clashes with grpc.listen "
            "\"127.0.0.1:7070\"");
  EXPECT_EQ(ErrorOf("relay_id: r\nhealth: {listen: '127.0.0.1:9102'}\n" + pairs),
            "relay.yaml: health.listen: \"127.0.0.1:9102\" clashes with metrics.listen "
            "\"127.0.0.1:9102\"");
  // Port 0 (a free port each) never clashes; different hosts on one port do not either.
  EXPECT_TRUE(ParseRelayConfig("relay_id: r\ngrpc: {listen: '127.0.0.1:0'}\nhealth: {listen: "
                               "'127.0.0.1:0'}\n" +
                                   pairs,
                               "relay.yaml")
                  .ok());
  EXPECT_TRUE(
      ParseRelayConfig("relay_id: r\nhealth: {listen: '127.0.0.2:7070'}\n" + pairs, "relay.yaml")
          .ok());
}

TEST(RelayConfigTest, NamesKeepTheirMessages) {
  // relay_id and pair names share ingestd's name rule (config_rules); the texts stay.
  EXPECT_EQ(ErrorOf("relay_id: 'a b'\nupstream: {pairs: [{name: p, nodes: [a:1]}]}\n"),
            "relay.yaml: relay_id: must be 1 to 64 of the characters A-Z a-z 0-9 . _ -, got "
            "\"a b\"");
  EXPECT_EQ(ErrorOf("relay_id: r\nupstream: {pairs: [{name: '" + std::string(65, 'p') +
                    "', nodes: [a:1]}]}\n"),
            "relay.yaml: upstream.pairs[0].name: must be 1 to 64 of the characters A-Z a-z 0-9 "
            ". _ -, got \"" +
                std::string(65, 'p') + "\"");
}

TEST(RelayConfigTest, TheGrpcSectionFollowsIngestdsRules) {
  const std::string pairs = "upstream: {pairs: [{name: p, nodes: ['127.0.0.1:1']}]}\n";
  // Plaintext off the host must be asked for, exactly as for ingestd.
  const std::string plaintext = ErrorOf("relay_id: r\ngrpc: {listen: '0.0.0.0:7070'}\n" + pairs);
  EXPECT_NE(plaintext.find("relay.yaml"), std::string::npos) << plaintext;
  EXPECT_NE(plaintext.find("grpc.listen"), std::string::npos) << plaintext;
  const std::string policy = ErrorOf("relay_id: r\ngrpc: {slow_subscriber: maybe}\n" + pairs);
  EXPECT_NE(policy.find("grpc.slow_subscriber"), std::string::npos) << policy;
  const std::string unknown = ErrorOf("relay_id: r\ngrpc: {colour: red}\n" + pairs);
  EXPECT_NE(unknown.find("grpc: unknown field \"colour\""), std::string::npos) << unknown;
  const std::string clash = ErrorOf(
      "relay_id: r\ngrpc: {listen: '127.0.0.1:7070'}\nmetrics: {listen: "
      "'127.0.0.1:7070'}\n" +
      pairs);
  EXPECT_NE(clash.find("metrics.listen"), std::string::npos) << clash;
}

}  // namespace
}  // namespace firehose::relay
