// ingestd: the firehose ingest node. Loads the YAML config, starts the DPDK data path,
// serves Subscribe over gRPC and /metrics over HTTP, and runs until SIGINT or SIGTERM,
// then drains what it has decoded to its subscribers and exits 0.
//
// On start it prints one line to stdout, which scripts and tests wait for:
//   READY grpc=HOST:PORT metrics=HOST:PORT
//
// Before EAL starts, it runs the control plane's preflight checks for its config
// (controlplane/preflight: hugepages, NIC driver, vfio/IOMMU, lcores) and refuses to
// start, exit code 3, when a required one fails, naming the device and the fix. The
// checks only cover what the config uses, so virtual devices with --no-huge pass
// untouched.
//
// With --control_socket it follows controld's role and epoch (controlplane/role): it
// starts standby, publishes only while controld's last ACTIVE assignment is still
// valid, and owns --service_ip only while active (answers ARP/NDP and ping for it,
// announces it on promotion by gratuitous ARP or, for IPv6, an unsolicited Neighbor
// Advertisement; silent for it as standby); it shares NetFlow
// templates with the pair through controld (active: hands them over; standby: imports
// them). Without it the node is active in its own epoch, as a single node needs.
// main() is the only place the node links control-plane code (plain client libraries,
// never on the data path).
#include <signal.h>

#include <cstdio>
#include <ctime>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "controlplane/preflight/preflight.h"
#include "controlplane/preflight/report.h"
#include "controlplane/role/role_follower.h"
#include "controlplane/role/template_publisher.h"
#include "controlplane/systemd/sd_notify.h"
#include "node/common/mutex_checks.h"
#include "node/common/stop_signals.h"
#include "node/config/ingest_config.h"
#include "node/export/heap_tuning.h"
#include "node/ingest_node.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, config, "", "Path to the node's YAML config (required).");
ABSL_FLAG(int, wait_for_subscribers, 0,
          "Do not poll the NIC until this many subscribers are connected. For demos and "
          "tests that replay a finite capture and must not miss its first packets.");
ABSL_FLAG(int, drain_timeout_ms, 5000,
          "On SIGTERM, how long subscribers get to receive what was already decoded.");
ABSL_FLAG(std::string, log_level, "info", "trace, debug, info, warn, error or off.");
ABSL_FLAG(bool, preflight, true,
          "Check hugepages, NIC drivers, vfio/IOMMU and lcores before starting and refuse "
          "to start when a required check fails (see `ingestctl preflight`).");
ABSL_FLAG(std::string, preflight_root, "/",
          "Directory that stands for / when preflight reads sysfs and procfs (tests).");
ABSL_FLAG(std::string, control_socket, "",
          "controld's unix socket: follow the role and epoch it assigns (standby until "
          "told otherwise). Empty: no controld, the node is active in its own epoch.");
ABSL_FLAG(std::string, service_ip, "",
          "The pair's service address, IPv4 or IPv6: while this node is active its DPDK "
          "workers answer ARP (IPv6: Neighbor Solicitations) and ping for it and announce "
          "it on promotion by gratuitous ARP (IPv6: unsolicited Neighbor Advertisement); a "
          "standby stays silent for it. A standalone node is always active.");

int main(int argc, char** argv) {
  firehose::DisableMutexDeadlockGraph();  // before any thread locks (node/common/mutex_checks.h)
  // Before any thread allocates: filtered subscribers' parses reuse the heap's top
  // instead of faulting it back in for every batch, and threads share two malloc
  // arenas (node/export/heap_tuning.h).
  const bool heap_tuned = firehose::exporter::TuneHeapForExport();
  absl::SetProgramUsageMessage("ingestd --config=FILE: the firehose ingest node");
  absl::ParseCommandLine(argc, argv);
  auto logger = spdlog::stderr_color_mt("ingestd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(absl::GetFlag(FLAGS_log_level)));
  if (!heap_tuned) {
    spdlog::warn(
        "could not tune glibc's heap (mallopt M_TRIM_THRESHOLD, M_ARENA_MAX): running with "
        "glibc's defaults, under which filtered subscribers are served more slowly and RSS "
        "may creep while they are connected");
  }

  const std::string config_path = absl::GetFlag(FLAGS_config);
  if (config_path.empty()) {
    spdlog::error("--config is required (see node/config/example.yaml)");
    return 2;
  }
  absl::StatusOr<firehose::config::IngestConfig> config =
      firehose::config::LoadIngestConfig(config_path);
  if (!config.ok()) {
    spdlog::error("{}", std::string(config.status().message()));
    return 2;
  }

  // The kernel socket backend needs none of what preflight checks (hugepages, vfio,
  // NIC binding, isolated lcores), so it is checked only for DPDK.
  if (absl::GetFlag(FLAGS_preflight) &&
      config->backend == firehose::config::IngestConfig::Backend::kDpdk) {
    const firehose::preflight::Report report = firehose::preflight::RunPreflight(
        *config, firehose::preflight::Options{absl::GetFlag(FLAGS_preflight_root)});
    for (const firehose::preflight::Check& check : report.checks) {
      if (check.verdict == firehose::preflight::Verdict::kWarn) {
        spdlog::warn("preflight: {}: {}: {}{}", check.subject, check.name, check.detail,
                     check.fix.empty() ? "" : "; fix: " + check.fix);
      }
    }
    if (!report.ok()) {
      // A node that starts anyway would receive nothing; say what to fix instead.
      spdlog::error("{}: preflight failed, not starting:\n{}", config_path,
                    firehose::preflight::FormatFailures(report));
      return 3;
    }
  }

  const sigset_t stop_signals = firehose::BlockStopSignals();
  absl::StatusOr<std::unique_ptr<firehose::IngestNode>> node =
      firehose::IngestNode::Start(*config, argv[0]);
  if (!node.ok()) {
    spdlog::error("{}: {}", config_path, std::string(node.status().message()));
    return 1;
  }
  std::printf("READY grpc=%s metrics=%s\n", (*node)->grpc_address().c_str(),
              (*node)->metrics_address().empty() ? "off" : (*node)->metrics_address().c_str());
  std::fflush(stdout);
  firehose::systemd::NotifyReady("receiving: Subscribe on " + (*node)->grpc_address());
  spdlog::info("node {} ready: Subscribe on {}, metrics on {}", config->node_id,
               (*node)->grpc_address(), (*node)->metrics_address());

  // Follows controld from before the workers start, so a standby node never publishes.
  std::unique_ptr<firehose::role::RoleFollower> follower;
  std::unique_ptr<firehose::role::TemplatePublisher> template_publisher;
  const std::string control_socket = absl::GetFlag(FLAGS_control_socket);
  const std::string service_ip = absl::GetFlag(FLAGS_service_ip);
  firehose::IngestNode* raw_node = node->get();
  // The active owns the service IP: it answers ARP and ping for it and announces it once
  // by gratuitous ARP; a standby stays silent for it (DESIGN.md, failover).
  auto own_service_ip = [raw_node, service_ip](bool active) {
    if (service_ip.empty()) return;
    absl::Status status = raw_node->SetServiceAddress(active ? service_ip : "");
    if (status.ok() && active) status = raw_node->AnnounceServiceAddress();
    if (!status.ok()) {
      spdlog::warn("service IP {}: {}", service_ip, std::string(status.message()));
    }
  };
  if (!control_socket.empty()) {
    raw_node->publisher().SetRole(false, 0);
    follower = std::make_unique<firehose::role::RoleFollower>(
        control_socket, config->node_id,
        [raw_node, own_service_ip](const firehose::role::RoleView& view) {
          // Called only on a change: active here is a promotion or a new term.
          raw_node->publisher().SetRole(view.active, view.epoch);
          spdlog::info("controld: now {} (epoch {})", view.active ? "active" : "standby",
                       view.epoch);
          own_service_ip(view.active);
        });
    // NetFlow templates: a standby imports the pair's (from etcd, via controld) into
    // every worker; an active hands its own to controld whenever they change.
    follower->OnTemplates([raw_node](const std::string& templates, uint64_t revision) {
      raw_node->ImportTemplates(templates);
      spdlog::info("templates of revision {} ({} bytes) handed to the workers", revision,
                   templates.size());
    });
    follower->Start();
    if (raw_node->has_templates()) {
      firehose::role::TemplatePublisher::Hooks hooks;
      hooks.changes = [raw_node] { return raw_node->template_changes(); };
      hooks.export_templates = [raw_node] { return raw_node->ExportTemplates(absl::Seconds(1)); };
      hooks.active = [&follower] { return follower->Current().active; };
      template_publisher = std::make_unique<firehose::role::TemplatePublisher>(
          control_socket, config->node_id, std::move(hooks));
      template_publisher->Start();
    }
    spdlog::info("following controld on {}; standby until assigned active", control_socket);
  } else {
    own_service_ip(true);  // standalone: always active
  }

  const size_t wanted = static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_wait_for_subscribers)));
  bool going = false;
  // Pets systemd's watchdog while this loop keeps turning (no-op without WatchdogSec).
  firehose::systemd::Watchdog watchdog;
  if (wanted == 0) {
    (*node)->Go();
    going = true;
  } else {
    spdlog::info("waiting for {} subscriber(s) before receiving", wanted);
  }
  while (true) {
    const timespec slice = {0, 100'000'000};
    const int signal = sigtimedwait(&stop_signals, nullptr, &slice);
    if (signal == SIGINT || signal == SIGTERM) {
      spdlog::info("received {}, draining", signal == SIGINT ? "SIGINT" : "SIGTERM");
      firehose::systemd::NotifyStopping();
      break;
    }
    watchdog.Alive();
    if (!going && (*node)->hub().stats().subscribers >= wanted) {
      spdlog::info("{} subscriber(s) connected; receiving", wanted);
      (*node)->Go();
      going = true;
    }
  }
  // Stops role changes before the node they act on goes away.
  if (template_publisher != nullptr) template_publisher->Stop();
  if (follower != nullptr) follower->Stop();
  (*node)->Stop(absl::Milliseconds(absl::GetFlag(FLAGS_drain_timeout_ms)));
  spdlog::info("{}", (*node)->Summary());
  return 0;
}
