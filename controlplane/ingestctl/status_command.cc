// `ingestctl status`; see status_command.h.
#include "controlplane/ingestctl/status_command.h"

#include <iostream>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "controlplane/ingestctl/control_client.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "proto/firehose/v1/control.grpc.pb.h"

namespace firehose::ctl {
namespace {

using firehose::v1::Health;
using firehose::v1::NodeStatus;

std::string RoleName(firehose::v1::Role role) {
  switch (role) {
    case firehose::v1::ROLE_ACTIVE:
      return "active";
    case firehose::v1::ROLE_STANDBY:
      return "standby";
    default:
      return "unknown";
  }
}

std::string HealthName(Health::State state) {
  switch (state) {
    case Health::HEALTHY:
      return "healthy";
    case Health::DEGRADED:
      return "degraded";
    case Health::DOWN:
      return "down";
    default:
      return "unknown";
  }
}

std::string Lease(const NodeStatus& s) {
  if (s.election() == "standalone") return "-";
  return absl::StrFormat("%.1fs/%.1fs", s.lease_remaining_ms() / 1000.0, s.lease_ttl_ms() / 1000.0);
}

std::string Templates(const NodeStatus& s) {
  if (s.templates_revision() == 0) return "-";
  return absl::StrFormat("r%d/%dB", s.templates_revision(), s.templates_bytes());
}

}  // namespace

int RunStatus(const StatusOptions& options, std::ostream& out, std::ostream& err) {
  int code = kExitOk;
  std::vector<std::pair<std::string, absl::StatusOr<NodeStatus>>> rows;
  for (const std::string& socket : options.sockets) {
    auto stub = ControlStub(socket);
    grpc::ClientContext context;
    SetTimeout(&context, options.timeout);
    NodeStatus status;
    grpc::Status rpc = stub->GetStatus(&context, firehose::v1::GetStatusRequest(), &status);
    if (rpc.ok()) {
      rows.emplace_back(socket, status);
    } else {
      err << "ingestctl status: " << socket << ": " << rpc.error_message() << '\n';
      rows.emplace_back(socket, absl::UnavailableError(rpc.error_message()));
      code = kExitFailure;
    }
  }
  if (options.json) {
    std::vector<std::string> items;
    for (const auto& [socket, status] : rows) {
      std::string json;
      if (status.ok()) {
        google::protobuf::util::JsonPrintOptions print;
        print.always_print_primitive_fields = true;
        (void)google::protobuf::util::MessageToJsonString(*status, &json, print);
      } else {
        json = absl::StrCat("{\"socket\":\"", socket, "\",\"error\":\"unreachable\"}");
      }
      items.push_back(json);
    }
    out << "[" << absl::StrJoin(items, ",") << "]\n";
    return code;
  }
  auto row = [](const auto&... columns) {
    return absl::StrFormat("%-16s %-15s %-12s %-11s %10s %9s %5s %-11s %-14s %s\n",
                           columns...);
  };
  out << row("NODE", "ROLE", "EPOCH", "HEALTH", "RX/S", "DROPS/S", "SUBS", "LEASE", "TEMPLATES",
             "PREFLIGHT");
  for (const auto& [socket, status] : rows) {
    if (!status.ok()) {
      out << row(socket, "?", "-", "unreachable", "-", "-", "-", "-", "-", "-");
      continue;
    }
    const Health& h = status->health();
    const std::string preflight =
        status->preflight_failed() > 0
            ? absl::StrCat(status->preflight_failed(), " failed")
            : status->preflight_warnings() > 0 ? absl::StrCat(status->preflight_warnings(), " warn")
                                               : std::string("ok");
    out << row(status->node_id(),
               RoleName(status->role()) + (status->drained() ? " drained" : ""),
               status->epoch() == 0 ? std::string("own") : absl::StrCat(status->epoch()),
               HealthName(h.state()), absl::StrFormat("%.0f", h.rx_packets_per_second()),
               absl::StrFormat("%.0f", h.dropped_packets_per_second()),
               absl::StrCat(h.subscribers()), Lease(*status), Templates(*status), preflight);
    if (h.state() != Health::HEALTHY) {
      for (const std::string& reason : h.reasons()) out << "    " << reason << '\n';
    }
  }
  return code;
}

void AddStatusCommand(CLI::App& app, CommandAction* action) {
  auto options = std::make_shared<StatusOptions>();
  auto timeout_seconds = std::make_shared<double>(2);
  CLI::App* cmd = app.add_subcommand(
      "status", "Show each node's role, epoch, health, rates and lease from its controld");
  cmd->add_option("SOCKET", options->sockets,
                  "controld control sockets, one per node (e.g. /run/firehose/controld.sock)")
      ->type_name("SOCKET")
      ->required();
  cmd->add_flag("--json", options->json, "Print a JSON array of NodeStatus messages");
  cmd->add_option("--timeout", *timeout_seconds, "Give up on a node after SECONDS")
      ->check(Seconds(/*allow_zero=*/false))
      ->type_name("SECONDS")
      ->capture_default_str();
  cmd->callback([options, timeout_seconds, action] {
    *action = [options, timeout_seconds] {
      StatusOptions resolved = *options;
      resolved.timeout = absl::Seconds(*timeout_seconds);
      return RunStatus(resolved, std::cout, std::cerr);
    };
  });
}

}  // namespace firehose::ctl
