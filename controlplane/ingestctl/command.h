// How ingestctl's subcommands plug into its main(), and what they share.
//
// Each subcommand (tail, and later status, preflight, failover, drain, nic) lives in
// its own <name>_command.h/.cc and exposes one function,
//
//   void Add<Name>Command(CLI::App& app, CommandAction* action);
//
// that adds the subcommand and its options to `app` and, when CLI11 picks it, stores
// in *action the function that runs it. main() adds every command, parses, and
// returns what the action returns. Commands report errors on stderr themselves and
// never throw.
#ifndef FIREHOSE_CONTROLPLANE_INGESTCTL_COMMAND_H_
#define FIREHOSE_CONTROLPLANE_INGESTCTL_COMMAND_H_

#include <atomic>
#include <cstdint>
#include <functional>

#include "CLI/CLI.hpp"

namespace firehose::ctl {

// Runs the chosen subcommand; returns the process exit code.
using CommandAction = std::function<int()>;

// Exit codes shared by every subcommand, so scripts can tell a bad command line from
// a failure of the operation.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Makes the first SIGINT or SIGTERM set the returned flag instead of killing the
// process, so a long-running command can cancel its RPC and print a summary. A second
// signal kills as usual, so a hung command can still be stopped. Safe to call more
// than once; the flag lives for the whole process.
const std::atomic<bool>* CatchInterrupts();

// Option validators with messages an operator can act on (CLI11's own numeric ones
// print ranges up to 1.8e308).
// A whole number >= `min`, e.g. "--sample: must be a whole number >= 1, got 0".
CLI::Validator WholeNumberAtLeast(uint64_t min);
// A number of seconds >= 0 (or > 0 when `allow_zero` is false).
CLI::Validator Seconds(bool allow_zero);

}  // namespace firehose::ctl

#endif  // FIREHOSE_CONTROLPLANE_INGESTCTL_COMMAND_H_
