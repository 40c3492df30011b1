// controld: the control daemon beside each ingestd. Runs preflight for the node's
// config, watches ingestd's health, decides its role, and serves
// proto/firehose/v1/control.proto on a unix socket of mode 0600.
//
// Role: with --etcd, the node campaigns in the pair's election (controlplane/etcd) and
// is active while it leads, with the leader key's revision as epoch; an active whose
// ingestd stays unhealthy for --resign_unhealthy_after_ms resigns. Without --etcd a
// single node runs active.
//
// On start it prints one line to stdout, which scripts and tests wait for:
//   READY control=unix:PATH metrics=HOST:PORT|off
// and runs until SIGINT or SIGTERM. Exit codes: 0 after a signal, 1 when the socket
// cannot be served, 2 for bad flags or config.
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "controlplane/controld/control_service.h"
#include "controlplane/controld/health_monitor.h"
#include "controlplane/controld/template_relay.h"
#include "controlplane/etcd/elector.h"
#include "controlplane/etcd/template_store.h"
#include "controlplane/preflight/preflight.h"
#include "controlplane/systemd/sd_notify.h"
#include "grpcpp/grpcpp.h"
#include "node/common/mutex_checks.h"
#include "node/config/ingest_config.h"
#include "prometheus/exposer.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, config, "", "Path to the node's ingestd YAML config (required).");
ABSL_FLAG(std::string, socket, "/run/firehose/controld.sock",
          "Unix socket path of the control API (created with mode 0600).");
ABSL_FLAG(std::string, preflight_root, "/",
          "Directory that stands for / when preflight reads sysfs and procfs (tests).");
ABSL_FLAG(int, lease_ttl_ms, 2000,
          "Lease TTL: how long a role assignment pushed to ingestd stays valid.");
ABSL_FLAG(int, health_interval_ms, 1000, "How often ingestd's health is measured.");
ABSL_FLAG(std::string, etcd, "",
          "etcd gRPC target (\"127.0.0.1:2379\" or \"ipv4:A:2379,B:2379\"); empty: standalone, "
          "always active.");
ABSL_FLAG(std::string, election, "/firehose/pairs/default/leader",
          "Election name shared by the two nodes of a pair.");
ABSL_FLAG(int, resign_unhealthy_after_ms, 5000,
          "An active node whose ingestd is not HEALTHY for this long resigns; 0: never.");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port for controld's Prometheus /metrics (role, epoch, lease, health); empty: "
          "off; port 0 picks one and the READY line says which.");
ABSL_FLAG(std::string, log_level, "info", "trace, debug, info, warn, error or off.");

namespace {

// ingestd's listen address as a connect address: wildcards become loopback.
std::string LocalTarget(const std::string& listen) {
  if (absl::StartsWith(listen, "0.0.0.0:")) return "127.0.0.1" + listen.substr(7);
  if (absl::StartsWith(listen, "[::]:")) return "[::1]" + listen.substr(4);
  return listen;
}

}  // namespace

int main(int argc, char** argv) {
  firehose::DisableMutexDeadlockGraph();  // before any thread locks (node/common/mutex_checks.h)
  absl::SetProgramUsageMessage("controld --config=FILE --socket=PATH: firehose control daemon");
  absl::ParseCommandLine(argc, argv);
  spdlog::set_default_logger(spdlog::stderr_color_mt("controld"));
  spdlog::set_level(spdlog::level::from_str(absl::GetFlag(FLAGS_log_level)));

  const std::string config_path = absl::GetFlag(FLAGS_config);
  absl::StatusOr<firehose::config::IngestConfig> config =
      firehose::config::LoadIngestConfig(config_path);
  if (config_path.empty() || !config.ok()) {
    spdlog::error("{}", config_path.empty() ? std::string("--config is required")
                                            : std::string(config.status().message()));
    return 2;
  }
  const int ttl_ms = absl::GetFlag(FLAGS_lease_ttl_ms);
  const int interval_ms = absl::GetFlag(FLAGS_health_interval_ms);
  if (ttl_ms < 300 || interval_ms < 50) {
    spdlog::error("--lease_ttl_ms must be >= 300 and --health_interval_ms >= 50");
    return 2;
  }

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before gRPC starts its threads

  firehose::controld::HealthMonitor::Options health_options;
  health_options.grpc_target = LocalTarget(config->grpc_listen);
  health_options.metrics_target =
      config->metrics_listen.empty() ? "" : LocalTarget(config->metrics_listen);
  health_options.interval = absl::Milliseconds(interval_ms);
  firehose::controld::HealthMonitor health(health_options);

  firehose::controld::ControlService::Options service_options;
  service_options.config = *config;
  service_options.preflight_root = absl::GetFlag(FLAGS_preflight_root);
  service_options.lease_ttl = absl::Milliseconds(ttl_ms);
  const std::string etcd_target = absl::GetFlag(FLAGS_etcd);
  // Declared before the service, whose hooks call it, and stopped after the server.
  std::unique_ptr<firehose::etcd::Elector> elector;
  // The pair's shared NetFlow templates in etcd (with --etcd only).
  std::unique_ptr<firehose::etcd::TemplateStore> template_store;
  std::unique_ptr<firehose::controld::TemplateRelay> template_relay;
  if (!etcd_target.empty()) {
    service_options.election = absl::StrCat("etcd ", etcd_target, " ", absl::GetFlag(FLAGS_election));
    service_options.lease_remaining = [&elector] { return elector->state().lease_remaining; };
    service_options.resign = [&elector] { elector->Resign(); };
    service_options.set_drained = [&elector](bool drained) { elector->SetDrained(drained); };
    service_options.drained = [&elector] { return elector->state().drained; };
    service_options.active_deadline = [&elector] { return elector->state().active_deadline; };
    template_store = std::make_unique<firehose::etcd::TemplateStore>(
        etcd_target, firehose::etcd::TemplatesKey(absl::GetFlag(FLAGS_election)));
    service_options.store_templates =
        [&elector, &template_store](const std::string& templates) -> absl::StatusOr<uint64_t> {
      const firehose::etcd::Elector::State state = elector->state();
      if (!state.active) return absl::FailedPreconditionError("standby");
      return template_store->Put(templates, state.leader_key, state.epoch);
    };
  }
  firehose::controld::ControlService service(service_options, &health);
  if (etcd_target.empty()) {
    // No election configured: this node is the only one, and it is active. Epoch 0
    // tells ingestd to keep its own persisted epoch.
    service.SetRole(firehose::v1::ROLE_ACTIVE, 0);
  } else {
    firehose::etcd::Elector::Options elector_options;
    elector_options.target = etcd_target;
    elector_options.election = absl::GetFlag(FLAGS_election);
    elector_options.node_id = config->node_id;
    elector_options.ttl = absl::Milliseconds(ttl_ms);
    elector_options.resign_hold = absl::Milliseconds(2 * ttl_ms);
    service.SetRole(firehose::v1::ROLE_STANDBY, 0);
    elector = std::make_unique<firehose::etcd::Elector>(
        elector_options, [&service](bool active, uint64_t epoch) {
          spdlog::info("role {} epoch {}", active ? "ACTIVE" : "STANDBY", epoch);
          service.SetRole(active ? firehose::v1::ROLE_ACTIVE : firehose::v1::ROLE_STANDBY,
                          epoch);
        });
    template_relay = std::make_unique<firehose::controld::TemplateRelay>(
        template_store.get(), absl::Milliseconds(ttl_ms / 4),
        [&elector] { return elector->state().active; },
        [&service](std::string templates, uint64_t revision) {
          service.SetTemplates(std::move(templates), revision);
        });
  }

  // Preflight once at start so status shows it without an explicit run.
  {
    grpc::ServerContext unused;
    firehose::v1::RunPreflightRequest request;
    firehose::v1::PreflightReport report;
    service.RunPreflight(&unused, &request, &report);
    for (const auto& check : report.checks()) {
      if (check.verdict() == firehose::v1::PreflightCheck::FAIL) {
        spdlog::error("preflight: {}: {}: {}; fix: {}", check.subject(), check.name(),
                      check.detail(), check.fix());
      }
    }
  }

  const std::string socket_path = absl::GetFlag(FLAGS_socket);
  // sockaddr_un holds 108 bytes with the terminating NUL.
  if (socket_path.empty() || socket_path.size() > 107) {
    spdlog::error("--socket must be a path of 1..107 bytes, got {} bytes", socket_path.size());
    return 2;
  }
  std::error_code ec;
  const auto status = std::filesystem::symlink_status(socket_path, ec);
  if (std::filesystem::is_socket(status)) {
    std::filesystem::remove(socket_path, ec);  // left by a controld that was killed
  } else if (std::filesystem::exists(status)) {
    spdlog::error("{} exists and is not a socket; not replacing it", socket_path);
    return 1;
  }
  // The socket is created by gRPC under the process umask; 0077 makes it 0600 from
  // the first moment, so no other user can ever connect in between.
  const mode_t old_umask = umask(0077);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket_path, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  umask(old_umask);
  if (server == nullptr || chmod(socket_path.c_str(), 0600) != 0) {
    spdlog::error("cannot serve the control API on unix:{}", socket_path);
    return 1;
  }
  // Role, epoch, lease and health as gauges, so alerting sees what `ingestctl status`
  // shows: updated every loop slice below.
  auto registry = std::make_shared<prometheus::Registry>();
  auto& role_family = prometheus::BuildGauge()
                          .Name("firehose_controld_active")
                          .Help("1 while this node is active, 0 while standby")
                          .Register(*registry);
  auto& epoch_family = prometheus::BuildGauge()
                           .Name("firehose_controld_epoch")
                           .Help("Epoch (leader revision) of the current term; 0 standalone")
                           .Register(*registry);
  auto& lease_family = prometheus::BuildGauge()
                           .Name("firehose_controld_lease_remaining_seconds")
                           .Help("Time left on the election lease")
                           .Register(*registry);
  auto& health_family = prometheus::BuildGauge()
                            .Name("firehose_controld_health")
                            .Help("1 for the node's current health state, 0 for the others")
                            .Register(*registry);
  auto& rate_family = prometheus::BuildGauge()
                          .Name("firehose_controld_rx_packets_per_second")
                          .Help("ingestd's receive rate over the last health interval")
                          .Register(*registry);
  auto& templates_family = prometheus::BuildGauge()
                               .Name("firehose_controld_templates_revision")
                               .Help("etcd revision of the pair's NetFlow templates this node "
                                     "stored (active) or passed to ingestd (standby); 0: none")
                               .Register(*registry);
  const std::map<std::string, std::string> node_label = {{"node", config->node_id}};
  prometheus::Gauge& active_gauge = role_family.Add(node_label);
  prometheus::Gauge& epoch_gauge = epoch_family.Add(node_label);
  prometheus::Gauge& lease_gauge = lease_family.Add(node_label);
  prometheus::Gauge& rate_gauge = rate_family.Add(node_label);
  prometheus::Gauge& templates_gauge = templates_family.Add(node_label);
  std::map<firehose::v1::Health::State, prometheus::Gauge*> health_gauges;
  for (auto [state, name] : {std::pair{firehose::v1::Health::HEALTHY, "healthy"},
                             std::pair{firehose::v1::Health::DEGRADED, "degraded"},
                             std::pair{firehose::v1::Health::DOWN, "down"}}) {
    health_gauges[state] = &health_family.Add({{"node", config->node_id}, {"state", name}});
  }
  std::unique_ptr<prometheus::Exposer> exposer;
  std::string metrics_address = "off";
  if (const std::string listen = absl::GetFlag(FLAGS_metrics_listen); !listen.empty()) {
    // prometheus-cpp reports a failed bind by throwing; caught here, at start-up.
    try {
      exposer = std::make_unique<prometheus::Exposer>(listen);
    } catch (const std::exception& e) {
      spdlog::error("cannot serve metrics on {} (--metrics_listen): {}", listen, e.what());
      return 1;
    }
    exposer->RegisterCollectable(registry);
    metrics_address = absl::StrCat(listen.substr(0, listen.rfind(':')), ":",
                                   exposer->GetListeningPorts().front());
  }
  auto update_metrics = [&] {
    grpc::ServerContext unused;
    firehose::v1::NodeStatus status;
    service.GetStatus(&unused, nullptr, &status);
    active_gauge.Set(status.role() == firehose::v1::ROLE_ACTIVE ? 1 : 0);
    epoch_gauge.Set(static_cast<double>(status.epoch()));
    lease_gauge.Set(status.lease_remaining_ms() / 1000.0);
    rate_gauge.Set(status.health().rx_packets_per_second());
    templates_gauge.Set(static_cast<double>(status.templates_revision()));
    for (auto& [state, gauge] : health_gauges) gauge->Set(status.health().state() == state);
  };

  health.Start();
  if (elector) elector->Start();
  if (template_relay) template_relay->Start();
  update_metrics();
  std::printf("READY control=unix:%s metrics=%s\n", socket_path.c_str(), metrics_address.c_str());
  std::fflush(stdout);
  firehose::systemd::NotifyReady("control API on unix:" + socket_path);
  spdlog::info("node {}: control API on unix:{}, election {}, lease TTL {} ms", config->node_id,
               socket_path, etcd_target.empty() ? "standalone (active)" : etcd_target, ttl_ms);

  // Until a signal: an active node whose ingestd stays unhealthy hands the term over.
  const absl::Duration resign_after = absl::Milliseconds(absl::GetFlag(FLAGS_resign_unhealthy_after_ms));
  absl::Time healthy_at = absl::Now();
  int signal = 0;
  // Pets systemd's watchdog while this loop keeps turning (no-op without WatchdogSec).
  firehose::systemd::Watchdog watchdog;
  while (true) {
    const timespec slice = {0, 100'000'000};
    signal = sigtimedwait(&stop, nullptr, &slice);
    if (signal == SIGINT || signal == SIGTERM) break;
    update_metrics();
    watchdog.Alive();
    if (!elector || resign_after == absl::ZeroDuration()) continue;
    const firehose::v1::Health now = health.Latest();
    const bool active = elector->state().active;
    if (!active || now.state() == firehose::v1::Health::HEALTHY) {
      healthy_at = absl::Now();
    } else if (absl::Now() - healthy_at >= resign_after) {
      spdlog::warn("ingestd unhealthy for {}: {}; resigning", absl::FormatDuration(resign_after),
                   now.reasons_size() > 0 ? now.reasons(0) : std::string("no reason given"));
      elector->Resign();
      healthy_at = absl::Now();
    }
  }
  spdlog::info("received {}, stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
  firehose::systemd::NotifyStopping();
  // Step down first, so the other node can take over while this one winds down.
  if (template_relay) template_relay->Stop();
  if (elector) elector->Stop();
  service.Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  std::filesystem::remove(socket_path, ec);
  return 0;
}
