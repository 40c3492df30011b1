// firehose-relay: follows the active node of one or more ingest pairs and serves their
// de-duplicated stream with the same Subscribe API inside the cluster (docs/relay.md).
// Runs until SIGINT or SIGTERM, then drains its subscribers like ingestd and exits 0.
//
//   firehose-relay --config=/etc/firehose-relay/relay.yaml
#include <signal.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "node/common/mutex_checks.h"
#include "node/common/stop_signals.h"
#include "relay/relay.h"
#include "relay/relay_config.h"
#include "relay/statsd_metrics/statsd_aggregator.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, config, "", "Relay config file (YAML, see docs/relay.md).");
ABSL_FLAG(std::string, log_level, "info", "trace, debug, info, warn, error or off.");
ABSL_FLAG(int, drain_timeout_ms, 5000,
          "On SIGTERM, how long subscribers get to receive what was already forwarded.");

int main(int argc, char** argv) {
  firehose::DisableMutexDeadlockGraph();  // before any thread locks (node/common/mutex_checks.h)
  absl::SetProgramUsageMessage("firehose-relay --config=FILE: the firehose cloud relay");
  absl::ParseCommandLine(argc, argv);
  spdlog::set_default_logger(spdlog::stderr_color_mt("relay"));
  spdlog::set_level(spdlog::level::from_str(absl::GetFlag(FLAGS_log_level)));

  const std::string config_path = absl::GetFlag(FLAGS_config);
  if (config_path.empty()) {
    spdlog::error("--config is required (see docs/relay.md)");
    return 2;
  }
  absl::StatusOr<firehose::relay::RelayConfig> config =
      firehose::relay::LoadRelayConfig(config_path);
  if (!config.ok()) {
    spdlog::error("{}", std::string(config.status().message()));
    return 2;
  }
  // statsd_exporter-style metrics: fed every batch the relay forwards (de-duplicated,
  // of each pair's followed epoch), exposed on the relay's /metrics.
  firehose::relay::RelayHooks hooks;
  if (config->statsd_metrics.enabled) {
    absl::StatusOr<std::unique_ptr<firehose::relay::StatsdAggregator>> created =
        firehose::relay::StatsdAggregator::Create(config->statsd_metrics);
    if (!created.ok()) {
      spdlog::error("{}: {}", config_path, std::string(created.status().message()));
      return 2;
    }
    std::shared_ptr<firehose::relay::StatsdAggregator> aggregator = *std::move(created);
    hooks.on_forwarded = [aggregator](const firehose::v1::Batch& batch) { aggregator->Add(batch); };
    hooks.collectables.push_back(aggregator);
  }

  const sigset_t stop_signals = firehose::BlockStopSignals();
  absl::StatusOr<std::unique_ptr<firehose::relay::Relay>> relay =
      firehose::relay::Relay::Start(*config, std::move(hooks));
  if (!relay.ok()) {
    spdlog::error("{}: {}", config_path, std::string(relay.status().message()));
    return 1;
  }
  std::printf("READY grpc=%s metrics=%s health=%s\n", (*relay)->grpc_address().c_str(),
              (*relay)->metrics_address().empty() ? "off" : (*relay)->metrics_address().c_str(),
              (*relay)->health_address().empty() ? "off" : (*relay)->health_address().c_str());
  std::fflush(stdout);
  spdlog::info(
      "relay {} up: Subscribe on {}, metrics on {}, health-only on {}, following {} pair(s)",
      config->relay_id, (*relay)->grpc_address(), (*relay)->metrics_address(),
      (*relay)->health_address().empty() ? "off" : (*relay)->health_address(),
      config->pairs.size());
  while (true) {
    const timespec slice = {0, 200'000'000};
    const int signal = sigtimedwait(&stop_signals, nullptr, &slice);
    if (signal == SIGINT || signal == SIGTERM) {
      spdlog::info("received {}, draining", signal == SIGINT ? "SIGINT" : "SIGTERM");
      break;
    }
  }
  (*relay)->Stop(absl::Milliseconds(absl::GetFlag(FLAGS_drain_timeout_ms)));
  const firehose::relay::RelaySnapshot summary = (*relay)->Snapshot();
  for (const firehose::relay::PairSnapshot& pair : summary.pairs) {
    spdlog::info(
        "pair {}: received {} batches, forwarded {}, dropped {} duplicate + {} stale, "
        "{} missed upstream",
        pair.name, pair.counters.received_batches, pair.counters.forwarded_batches,
        pair.counters.duplicate_batches, pair.counters.stale_batches, pair.counters.gap_batches);
  }
  return 0;
}
