// `ingestctl status SOCKET...`: one row per node of a pair, from each node's controld
// (its control API unix socket): node, role (and whether drained), epoch, health, rx rate, drops, subscribers,
// lease time left, preflight; under an unhealthy node, one line per reason. --json
// prints an array of the NodeStatus messages (proto3 JSON mapping).
//
// Exit 0 when every controld answered, 1 when one did not (its row says so).
#ifndef FIREHOSE_CONTROLPLANE_INGESTCTL_STATUS_COMMAND_H_
#define FIREHOSE_CONTROLPLANE_INGESTCTL_STATUS_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "controlplane/ingestctl/command.h"

namespace firehose::ctl {

struct StatusOptions {
  // controld sockets: "/run/firehose/controld.sock" or "unix:/path".
  std::vector<std::string> sockets;
  bool json = false;
  absl::Duration timeout = absl::Seconds(2);
};

int RunStatus(const StatusOptions& options, std::ostream& out, std::ostream& err);

// Adds the `status` subcommand to `app` (see command.h).
void AddStatusCommand(CLI::App& app, CommandAction* action);

}  // namespace firehose::ctl

#endif  // FIREHOSE_CONTROLPLANE_INGESTCTL_STATUS_COMMAND_H_
