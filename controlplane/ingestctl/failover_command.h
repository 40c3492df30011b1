// `ingestctl failover SOCKET SOCKET [--to NODE] [--force]`: planned failover of a pair.
// Asks both nodes' controld for their status, refuses when the node that would take
// over is not healthy (unless --force), has the active resign, and follows the other
// until it is elected, printing progress.
//
// Exit 0 when the target is active (including when it already was), 1 when refused,
// when no node is active, or when the promotion did not happen within --timeout.
#ifndef FIREHOSE_CONTROLPLANE_INGESTCTL_FAILOVER_COMMAND_H_
#define FIREHOSE_CONTROLPLANE_INGESTCTL_FAILOVER_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "controlplane/ingestctl/command.h"

namespace firehose::ctl {

struct FailoverOptions {
  std::vector<std::string> sockets;  // controld sockets of the pair
  std::string to;                    // node_id to make active; empty: the standby
  bool force = false;                // fail over to an unhealthy standby
  absl::Duration timeout = absl::Seconds(10);
};

int RunFailover(const FailoverOptions& options, std::ostream& out, std::ostream& err);

// Adds the `failover` subcommand to `app` (see command.h).
void AddFailoverCommand(CLI::App& app, CommandAction* action);

}  // namespace firehose::ctl

#endif  // FIREHOSE_CONTROLPLANE_INGESTCTL_FAILOVER_COMMAND_H_
