// ingestctl: the operator's command-line tool for firehose ingest nodes.
//
// This file only wires subcommands together; each one lives in <name>_command.cc and
// plugs in through Add<Name>Command (see command.h). To add one (status, preflight,
// failover, drain, nic), write its file, add it to BUILD.bazel and call its Add
// function in Run() below.
#include <exception>
#include <iostream>

#include "CLI/CLI.hpp"
#include "controlplane/ingestctl/command.h"
#include "controlplane/ingestctl/drain_command.h"
#include "controlplane/ingestctl/failover_command.h"
#include "controlplane/ingestctl/nic_command.h"
#include "controlplane/ingestctl/preflight_command.h"
#include "controlplane/ingestctl/status_command.h"
#include "controlplane/ingestctl/tail_command.h"

namespace firehose::ctl {
namespace {

int Run(int argc, char** argv) {
  CLI::App app{"ingestctl: operate firehose ingest nodes"};
  app.require_subcommand(1);
  CommandAction action;
  AddTailCommand(app, &action);
  AddPreflightCommand(app, &action);
  AddNicCommand(app, &action);
  AddStatusCommand(app, &action);
  AddFailoverCommand(app, &action);
  AddDrainCommand(app, &action);

  // CLI11 reports parse errors (and --help) by throwing; they end here.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (!action) {
    return kExitUsage;
  }
  return action();
}

}  // namespace
}  // namespace firehose::ctl

int main(int argc, char** argv) {
  // tail may print millions of lines; keeping iostreams in sync with stdio would cost
  // a lock per write. Nothing here uses stdio.
  std::ios::sync_with_stdio(false);
  // Commands report their own errors; anything thrown past them (CLI11 set-up errors,
  // std::bad_alloc) is a bug, reported rather than left to std::terminate.
  try {
    return firehose::ctl::Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "ingestctl: internal error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "ingestctl: internal error\n";
  }
  return firehose::ctl::kExitFailure;
}
