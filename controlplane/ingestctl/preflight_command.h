// `ingestctl preflight --config FILE`: runs the preflight checks for a node config on
// this machine (or on a fixture tree with --root) and prints a table with a fix line
// under every problem, or JSON with --json.
//
// Exit codes: 0 when no required check failed (warnings allowed), 1 when one did,
// 2 for a bad command line or a config that does not load. The same checks gate
// ingestd's start-up, so a 0 here means ingestd will not refuse to start.
#ifndef FIREHOSE_CONTROLPLANE_INGESTCTL_PREFLIGHT_COMMAND_H_
#define FIREHOSE_CONTROLPLANE_INGESTCTL_PREFLIGHT_COMMAND_H_

#include <ostream>
#include <string>

#include "CLI/CLI.hpp"
#include "controlplane/ingestctl/command.h"

namespace firehose::ctl {

struct PreflightOptions {
  // The node's YAML config (what ingestd reads).
  std::string config_path;
  // Directory that stands for "/" when reading sysfs/procfs.
  std::string root = "/";
  bool json = false;
  // Show only checks that did not pass (the summary still counts all).
  bool problems_only = false;
};

int RunPreflightCommand(const PreflightOptions& options, std::ostream& out, std::ostream& err);

// Adds the `preflight` subcommand to `app` (see command.h).
void AddPreflightCommand(CLI::App& app, CommandAction* action);

}  // namespace firehose::ctl

#endif  // FIREHOSE_CONTROLPLANE_INGESTCTL_PREFLIGHT_COMMAND_H_
