// `ingestctl tail ADDRESS`: subscribe to a node's Ingest service and print its records
// as they arrive, for an operator checking that data flows and what it looks like.
//
// Records go to stdout (readable lines, or NDJSON with --json) and everything else to
// stderr: gap and epoch notices, a running rate line every second, and a summary at
// the end, so `ingestctl tail --json ... | jq` sees nothing but records.
#ifndef FIREHOSE_CONTROLPLANE_INGESTCTL_TAIL_COMMAND_H_
#define FIREHOSE_CONTROLPLANE_INGESTCTL_TAIL_COMMAND_H_

#include <atomic>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "controlplane/ingestctl/command.h"

namespace firehose::ctl {

struct TailOptions {
  // host:port of the node's gRPC Ingest service (its grpc.listen).
  std::string address;
  // Print NDJSON instead of readable lines.
  bool json = false;
  // Print only every Nth record (the 1st, N+1th, ...); all are counted. At least 1.
  uint64_t sample = 1;
  // Stop after this many records received (printed or not); 0 = no limit.
  uint64_t max_records = 0;
  // Stop after this long; zero = no limit.
  absl::Duration duration = absl::ZeroDuration();
  // SubscribeRequest.client_name: how the node names this subscriber.
  std::string client_name = "ingestctl-tail";
  // How long to wait for the channel to connect before giving up.
  absl::Duration connect_timeout = absl::Seconds(5);
  // How often the running-rate line is written to stderr.
  absl::Duration rate_interval = absl::Seconds(1);

  // Keep following the node: reconnect after a dropped stream or a node restart and
  // resume right after the last batch printed (the client library's reconnect/resume).
  // Without it tail ends when the node ends the stream, as a one-shot look.
  bool follow = false;
  // Filters (SubscribeRequest): metric-name prefixes, sender networks (CIDR), a
  // consumer-group shard "I/N", and where to start: "latest", "earliest" or
  // "EPOCH:SEQ" (the batch after it).
  std::vector<std::string> name_prefixes;
  std::vector<std::string> source_cidrs;
  std::string shard;
  std::string from = "latest";
  // TLS: CA file that the node's certificate must chain to (empty: plaintext), this
  // client's certificate and key for mutual TLS, and the name to verify if not the host.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
  // File holding this consumer's bearer token (empty: none).
  std::string token_file;
};

// Where tail writes, and the flag that stops it early (nullptr: none). The CLI passes
// std::cout, std::cerr and CatchInterrupts(); tests pass string streams and a flag of
// their own.
struct TailIo {
  std::ostream* out;
  std::ostream* err;
  const std::atomic<bool>* interrupted = nullptr;
};

// Runs tail until --max-records, --duration, the interrupt flag, or the node ending
// the stream; all of those return kExitOk after writing a summary to stderr. Returns
// kExitFailure with a message on stderr when it cannot connect or the stream fails.
int RunTail(const TailOptions& options, const TailIo& io);

// Adds the `tail` subcommand to `app` (see command.h).
void AddTailCommand(CLI::App& app, CommandAction* action);

}  // namespace firehose::ctl

#endif  // FIREHOSE_CONTROLPLANE_INGESTCTL_TAIL_COMMAND_H_
