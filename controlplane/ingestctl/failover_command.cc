// `ingestctl failover`; see failover_command.h.
#include "controlplane/ingestctl/failover_command.h"

#include <iostream>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "controlplane/ingestctl/control_client.h"
#include "grpcpp/grpcpp.h"
#include "proto/firehose/v1/control.grpc.pb.h"

namespace firehose::ctl {
namespace {

using firehose::v1::Health;
using firehose::v1::NodeStatus;

constexpr absl::Duration kCallTimeout = absl::Seconds(2);
constexpr absl::Duration kPoll = absl::Milliseconds(100);
constexpr absl::Duration kProgressEvery = absl::Milliseconds(500);

struct Peer {
  std::string socket;
  std::unique_ptr<firehose::v1::Control::Stub> stub;
  NodeStatus status;
};

grpc::Status Fetch(Peer& peer) {
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  return peer.stub->GetStatus(&context, firehose::v1::GetStatusRequest(), &peer.status);
}

}  // namespace

int RunFailover(const FailoverOptions& options, std::ostream& out, std::ostream& err) {
  std::vector<Peer> peers;
  for (const std::string& socket : options.sockets) {
    Peer peer{socket, ControlStub(socket), {}};
    if (grpc::Status s = Fetch(peer); !s.ok()) {
      err << "ingestctl failover: " << socket << ": " << s.error_message() << '\n';
      return kExitFailure;
    }
    peers.push_back(std::move(peer));
  }
  Peer* active = nullptr;
  for (Peer& p : peers) {
    if (p.status.role() == firehose::v1::ROLE_ACTIVE) active = &p;
  }
  if (active == nullptr) {
    err << "ingestctl failover: no node is active; nothing to hand over\n";
    return kExitFailure;
  }
  Peer* target = nullptr;
  for (Peer& p : peers) {
    if (&p == active) continue;
    if (options.to.empty() || p.status.node_id() == options.to) target = &p;
  }
  if (!options.to.empty() && active->status.node_id() == options.to) {
    out << options.to << " is already active (epoch " << active->status.epoch() << ")\n";
    return kExitOk;
  }
  if (target == nullptr) {
    err << "ingestctl failover: no standby " << (options.to.empty() ? "" : options.to + " ")
        << "among the given nodes\n";
    return kExitFailure;
  }
  const Health& health = target->status.health();
  if (health.state() != Health::HEALTHY && !options.force) {
    err << "ingestctl failover: refusing: " << target->status.node_id() << " is not healthy ("
        << absl::StrJoin(health.reasons(), "; ")
        << "); fix it first, or pass --force to fail over anyway\n";
    return kExitFailure;
  }

  const absl::Time start = absl::Now();
  out << "resigning " << active->status.node_id() << " (epoch " << active->status.epoch()
      << ")\n";
  {
    grpc::ClientContext context;
    SetTimeout(&context, kCallTimeout);
    firehose::v1::ResignRequest request;
    request.set_reason(absl::StrCat("planned failover to ", target->status.node_id(),
                                    " by ingestctl"));
    firehose::v1::ResignResponse response;
    if (grpc::Status s = active->stub->Resign(&context, request, &response); !s.ok()) {
      err << "ingestctl failover: " << active->status.node_id() << " did not resign: "
          << s.error_message() << '\n';
      return kExitFailure;
    }
  }
  absl::Time last_progress = start;
  while (absl::Now() - start < options.timeout) {
    if (Fetch(*target).ok() && target->status.role() == firehose::v1::ROLE_ACTIVE) {
      out << target->status.node_id() << " is active, epoch " << target->status.epoch()
          << ", after " << absl::FormatDuration(absl::Trunc(absl::Now() - start,
                                                            absl::Milliseconds(1)))
          << '\n';
      return kExitOk;
    }
    if (absl::Now() - last_progress >= kProgressEvery) {
      last_progress = absl::Now();
      out << "waiting for " << target->status.node_id() << " to be elected ("
          << absl::FormatDuration(absl::Trunc(last_progress - start, absl::Milliseconds(100)))
          << ")\n";
    }
    absl::SleepFor(kPoll);
  }
  err << "ingestctl failover: " << target->status.node_id() << " was not elected within "
      << absl::FormatDuration(options.timeout) << '\n';
  return kExitFailure;
}

void AddFailoverCommand(CLI::App& app, CommandAction* action) {
  auto options = std::make_shared<FailoverOptions>();
  auto timeout_seconds = std::make_shared<double>(10);
  CLI::App* cmd = app.add_subcommand(
      "failover", "Planned failover: the active resigns and the healthy standby takes over");
  cmd->add_option("SOCKET", options->sockets, "controld sockets of the pair's nodes")
      ->type_name("SOCKET")
      ->required();
  cmd->add_option("--to", options->to, "Node to make active (default: the standby)")
      ->type_name("NODE");
  cmd->add_flag("--force", options->force, "Fail over even to an unhealthy standby");
  cmd->add_option("--timeout", *timeout_seconds, "Give up waiting for the promotion after SECONDS")
      ->check(Seconds(/*allow_zero=*/false))
      ->type_name("SECONDS")
      ->capture_default_str();
  cmd->callback([options, timeout_seconds, action] {
    *action = [options, timeout_seconds] {
      FailoverOptions resolved = *options;
      resolved.timeout = absl::Seconds(*timeout_seconds);
      return RunFailover(resolved, std::cout, std::cerr);
    };
  });
}

}  // namespace firehose::ctl
