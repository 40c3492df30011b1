// `ingestctl drain SOCKET [--undo]`: takes a node out of its pair's election for
// maintenance. An active node hands over first (its controld resigns), and the node
// stays standby, campaigning for nothing, until `ingestctl drain --undo`. Waits until
// the drained node is no longer active and says who it was.
//
// Exit 0 when done, 1 when controld refused (e.g. no election configured) or the node
// was still active after --timeout.
#ifndef FIREHOSE_CONTROLPLANE_INGESTCTL_DRAIN_COMMAND_H_
#define FIREHOSE_CONTROLPLANE_INGESTCTL_DRAIN_COMMAND_H_

#include <ostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "controlplane/ingestctl/command.h"

namespace firehose::ctl {

struct DrainOptions {
  std::string socket;  // the node's controld socket
  bool undo = false;
  absl::Duration timeout = absl::Seconds(10);
};

int RunDrain(const DrainOptions& options, std::ostream& out, std::ostream& err);

// Adds the `drain` subcommand to `app` (see command.h).
void AddDrainCommand(CLI::App& app, CommandAction* action);

}  // namespace firehose::ctl

#endif  // FIREHOSE_CONTROLPLANE_INGESTCTL_DRAIN_COMMAND_H_
