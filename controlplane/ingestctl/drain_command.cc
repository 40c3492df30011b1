// `ingestctl drain`; see drain_command.h.
#include "controlplane/ingestctl/drain_command.h"

#include <iostream>
#include <memory>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "controlplane/ingestctl/control_client.h"
#include "grpcpp/grpcpp.h"
#include "proto/firehose/v1/control.grpc.pb.h"

namespace firehose::ctl {
namespace {

constexpr absl::Duration kCallTimeout = absl::Seconds(2);
constexpr absl::Duration kPoll = absl::Milliseconds(100);

}  // namespace

int RunDrain(const DrainOptions& options, std::ostream& out, std::ostream& err) {
  auto stub = ControlStub(options.socket);
  firehose::v1::DrainRequest request;
  request.set_undo(options.undo);
  firehose::v1::DrainResponse response;
  grpc::ClientContext context;
  SetTimeout(&context, kCallTimeout);
  if (grpc::Status s = stub->Drain(&context, request, &response); !s.ok()) {
    err << "ingestctl drain: " << options.socket << ": " << s.error_message() << '\n';
    return kExitFailure;
  }
  const absl::Time start = absl::Now();
  while (absl::Now() - start < options.timeout) {
    grpc::ClientContext status_context;
    SetTimeout(&status_context, kCallTimeout);
    firehose::v1::NodeStatus status;
    if (stub->GetStatus(&status_context, firehose::v1::GetStatusRequest(), &status).ok() &&
        (options.undo || status.role() != firehose::v1::ROLE_ACTIVE)) {
      out << status.node_id()
          << (options.undo ? " is back in the election" : " is drained: standby until "
                                                          "`ingestctl drain --undo`")
          << '\n';
      return kExitOk;
    }
    absl::SleepFor(kPoll);
  }
  err << "ingestctl drain: still active after " << absl::FormatDuration(options.timeout) << '\n';
  return kExitFailure;
}

void AddDrainCommand(CLI::App& app, CommandAction* action) {
  auto options = std::make_shared<DrainOptions>();
  auto timeout_seconds = std::make_shared<double>(10);
  CLI::App* cmd = app.add_subcommand(
      "drain", "Take a node out of the election (an active one hands over first)");
  cmd->add_option("SOCKET", options->socket, "The node's controld socket")
      ->type_name("SOCKET")
      ->required();
  cmd->add_flag("--undo", options->undo, "Put the node back into the election");
  cmd->add_option("--timeout", *timeout_seconds, "Give up waiting after SECONDS")
      ->check(Seconds(/*allow_zero=*/false))
      ->type_name("SECONDS")
      ->capture_default_str();
  cmd->callback([options, timeout_seconds, action] {
    *action = [options, timeout_seconds] {
      DrainOptions resolved = *options;
      resolved.timeout = absl::Seconds(*timeout_seconds);
      return RunDrain(resolved, std::cout, std::cerr);
    };
  });
}

}  // namespace firehose::ctl
