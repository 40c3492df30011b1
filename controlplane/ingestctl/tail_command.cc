// `ingestctl tail`: a Subscribe client that prints records; see tail_command.h.
//
// The stream itself is the client library's (client/subscriber.h): TLS, tokens,
// filters and, with --follow, reconnect and resume. Two threads: the library calls
// back on the calling thread, which writes records to stdout; a watcher thread wakes
// every 50 ms to write the rate line and to stop the subscriber on --duration or an
// interrupt (Subscriber::Stop is thread-safe and ends a blocked read).
#include "controlplane/ingestctl/tail_command.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "client/subscriber.h"
#include "controlplane/ingestctl/record_format.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::ctl {
namespace {

// How often the watcher checks the interrupt flag and the clock.
constexpr absl::Duration kPollInterval = absl::Milliseconds(50);
// Follows (epoch, seq) to report batches that are missing or repeated although no
// notice said so: the node promises seq + 1 per batch within an epoch.
class SeqTracker {
 public:
  // Returns a line for stderr when the batch is not the one expected, else "".
  // *missed_batches is set to the number of batches skipped over.
  std::string OnBatch(uint64_t epoch, uint64_t seq, uint64_t* missed_batches) {
    *missed_batches = 0;
    if (!started_) {
      // Joined mid-stream: any first batch is fine.
      started_ = true;
      epoch_ = epoch;
      next_seq_ = seq + 1;
      return "";
    }
    if (epoch < epoch_) {
      return absl::StrCat("stale batch: epoch ", epoch, " seq ", seq, " after epoch ", epoch_,
                          " (a demoted node still sending?)");
    }
    std::string note;
    if (epoch > epoch_) {
      note = absl::StrCat("epoch change: ", epoch_, " -> ", epoch,
                          " seen in a batch, without an epoch notice");
      epoch_ = epoch;
      next_seq_ = seq + 1;
      return note;
    }
    if (seq > next_seq_) {
      *missed_batches = seq - next_seq_;
      note = absl::StrCat("gap: batches seq ", next_seq_, "..", seq - 1,
                          " never arrived and no notice said why");
    } else if (seq < next_seq_) {
      return absl::StrCat("duplicate or out-of-order batch: seq ", seq, " after seq ",
                          next_seq_ - 1);
    }
    next_seq_ = seq + 1;
    return note;
  }

  void OnGap(const v1::Gap& gap) {
    if (started_ && gap.epoch() == epoch_ && gap.last_seq() >= next_seq_) {
      next_seq_ = gap.last_seq() + 1;
    }
  }

  void OnEpochChange(const v1::EpochChange& change) {
    started_ = true;
    epoch_ = change.epoch();
    next_seq_ = 1;
  }

 private:
  bool started_ = false;
  uint64_t epoch_ = 0;
  uint64_t next_seq_ = 0;
};

class TailSession {
 public:
  TailSession(const TailOptions& options, const TailIo& io) : options_(options), io_(io) {}

  int Run();

 private:
  bool Interrupted() const {
    return io_.interrupted != nullptr && io_.interrupted->load(std::memory_order_relaxed);
  }
  // The library's options from tail's flags; errors are usage errors.
  absl::StatusOr<client::SubscriberOptions> SubscriberOptionsFromFlags() const;
  // Watcher thread: rate lines, --duration and interrupts.
  void Watch(client::Subscriber* subscriber);
  // Records why the stream is being stopped (the first reason wins) and stops it.
  void RequestStop(std::string_view reason, client::Subscriber* subscriber);
  std::string StopReason() const;
  // Prints the batch's records; returns false once --max-records is reached.
  bool HandleBatch(const v1::Batch& batch);
  void HandleNotice(const v1::Notice& notice);
  // Writes one line to stderr; both threads use it.
  void Err(std::string_view line);
  void PrintSummary(std::string_view ending);

  const TailOptions& options_;
  const TailIo& io_;
  absl::Time start_ = absl::Now();
  absl::Notification done_;
  SeqTracker seq_tracker_;  // reading thread only

  // Written by the reading thread, read by the watcher.
  std::atomic<uint64_t> records_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> printed_{0};
  std::atomic<uint64_t> missed_records_{0};
  std::atomic<uint64_t> missed_batches_{0};
  std::atomic<uint64_t> malformed_batches_{0};

  mutable absl::Mutex mu_;
  std::string stop_reason_ ABSL_GUARDED_BY(mu_);
  absl::Mutex err_mu_;
};

void Bump(std::atomic<uint64_t>& counter, uint64_t n = 1) {
  // Only the reading thread writes: a plain load + store is enough.
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

void TailSession::Err(std::string_view line) {
  absl::MutexLock lock(&err_mu_);
  *io_.err << line << '\n';
  io_.err->flush();
}

void TailSession::RequestStop(std::string_view reason, client::Subscriber* subscriber) {
  {
    absl::MutexLock lock(&mu_);
    if (stop_reason_.empty()) {
      stop_reason_ = std::string(reason);
    }
  }
  subscriber->Stop();
}

std::string TailSession::StopReason() const {
  absl::MutexLock lock(&mu_);
  return stop_reason_;
}

absl::StatusOr<client::SubscriberOptions> TailSession::SubscriberOptionsFromFlags() const {
  client::SubscriberOptions o;
  o.address = options_.address;
  o.request.set_client_name(options_.client_name);
  for (const std::string& prefix : options_.name_prefixes) o.request.add_name_prefixes(prefix);
  for (const std::string& cidr : options_.source_cidrs) o.request.add_source_cidrs(cidr);
  if (!options_.shard.empty()) {
    std::vector<std::string> parts = absl::StrSplit(options_.shard, '/');
    uint32_t index = 0, count = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &index) ||
        !absl::SimpleAtoi(parts[1], &count) || count == 0 || index >= count) {
      return absl::InvalidArgumentError("--shard must be I/N with 0 <= I < N, e.g. 0/3");
    }
    o.request.mutable_group()->set_shard_index(index);
    o.request.mutable_group()->set_shard_count(count);
  }
  v1::StartPosition* start = o.request.mutable_start();
  if (options_.from == "latest") {
    start->set_from(v1::StartPosition::FROM_LATEST);
  } else if (options_.from == "earliest") {
    start->set_from(v1::StartPosition::FROM_EARLIEST);
  } else {
    std::vector<std::string> parts = absl::StrSplit(options_.from, ':');
    uint64_t epoch = 0, seq = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &epoch) ||
        !absl::SimpleAtoi(parts[1], &seq)) {
      return absl::InvalidArgumentError("--from must be latest, earliest or EPOCH:SEQ");
    }
    start->set_from(v1::StartPosition::FROM_AFTER);
    start->set_epoch(epoch);
    start->set_seq(seq);
  }
  o.tls_ca_file = options_.tls_ca_file;
  o.tls_cert_file = options_.tls_cert_file;
  o.tls_key_file = options_.tls_key_file;
  o.tls_server_name = options_.tls_server_name;
  if (!options_.token_file.empty()) {
    std::ifstream in(options_.token_file);
    std::stringstream text;
    text << in.rdbuf();
    o.token = std::string(absl::StripAsciiWhitespace(text.str()));
    if (!in || o.token.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--token-file: cannot read a token from ", options_.token_file));
    }
  }
  o.connect_timeout = options_.connect_timeout;
  // A one-shot tail makes one attempt and ends with the stream; --follow keeps going.
  o.reconnect_on_end = options_.follow;
  o.max_attempts = options_.follow ? 0 : 1;
  return o;
}

void TailSession::Watch(client::Subscriber* subscriber) {
  absl::Time last_rate = start_;
  uint64_t last_records = 0;
  uint64_t last_batches = 0;
  while (!done_.WaitForNotificationWithTimeout(kPollInterval)) {
    absl::Time now = absl::Now();
    if (Interrupted()) {
      RequestStop("interrupted", subscriber);
    }
    if (options_.duration > absl::ZeroDuration() && now - start_ >= options_.duration) {
      RequestStop("--duration reached", subscriber);
    }
    if (now - last_rate >= options_.rate_interval) {
      double seconds = absl::ToDoubleSeconds(now - last_rate);
      uint64_t records = records_.load(std::memory_order_relaxed);
      uint64_t batches = batches_.load(std::memory_order_relaxed);
      Err(absl::StrFormat("tail: %.0f records/s, %d total, %.0f batches/s, missed %d",
                          static_cast<double>(records - last_records) / seconds, records,
                          static_cast<double>(batches - last_batches) / seconds,
                          missed_records_.load(std::memory_order_relaxed)));
      last_rate = now;
      last_records = records;
      last_batches = batches;
    }
  }
}

bool TailSession::HandleBatch(const v1::Batch& batch) {
  Bump(batches_);
  uint64_t skipped = 0;
  std::string note = seq_tracker_.OnBatch(batch.epoch(), batch.seq(), &skipped);
  if (!note.empty()) {
    Err(note);
  }
  if (skipped > 0) {
    Bump(missed_batches_, skipped);
  }

  absl::StatusOr<StatsdView> view = StatsdView::Create(batch);
  if (!view.ok()) {
    Bump(malformed_batches_);
    Err(absl::StrCat("malformed batch from ", batch.node_id(), " epoch ", batch.epoch(), " seq ",
                     batch.seq(), ", skipped: ", view.status().message()));
    return true;
  }
  const uint64_t sample = std::max<uint64_t>(options_.sample, 1);
  for (size_t i = 0; i < view->size(); ++i) {
    uint64_t index = records_.load(std::memory_order_relaxed);
    if (options_.max_records > 0 && index >= options_.max_records) {
      break;
    }
    Bump(records_);
    if (index % sample != 0) {
      continue;
    }
    StatsdRow row = view->Row(i);
    *io_.out << (options_.json ? FormatJsonLine(row) : FormatTextLine(row)) << '\n';
    Bump(printed_);
  }
  // Per batch rather than per line: prompt enough for a pipe, cheap enough at speed.
  io_.out->flush();
  return options_.max_records == 0 ||
         records_.load(std::memory_order_relaxed) < options_.max_records;
}

void TailSession::HandleNotice(const v1::Notice& notice) {
  if (notice.has_gap()) {
    seq_tracker_.OnGap(notice.gap());
    Bump(missed_records_, notice.gap().records());
    Bump(missed_batches_, notice.gap().batches());
  } else if (notice.has_epoch_change()) {
    seq_tracker_.OnEpochChange(notice.epoch_change());
  }
  std::string line = FormatNotice(notice);
  if (!line.empty()) {
    Err(line);
  }
}

void TailSession::PrintSummary(std::string_view ending) {
  double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  uint64_t records = records_.load(std::memory_order_relaxed);
  std::string summary = absl::StrFormat(
      "tail: %d records in %d batches over %.1fs (%.0f records/s), printed %d, missed %d "
      "records (%d batches)",
      records, batches_.load(std::memory_order_relaxed), seconds,
      seconds > 0 ? static_cast<double>(records) / seconds : 0.0,
      printed_.load(std::memory_order_relaxed), missed_records_.load(std::memory_order_relaxed),
      missed_batches_.load(std::memory_order_relaxed));
  if (uint64_t malformed = malformed_batches_.load(std::memory_order_relaxed); malformed > 0) {
    absl::StrAppend(&summary, ", ", malformed, " malformed batches skipped");
  }
  absl::StrAppend(&summary, "; ", absl::string_view(ending.data(), ending.size()));
  Err(summary);
}

int TailSession::Run() {
  if (options_.address.empty()) {
    Err("ingestctl tail: ADDRESS must be host:port of a node's gRPC service");
    return kExitUsage;
  }
  absl::StatusOr<client::SubscriberOptions> subscriber_options = SubscriberOptionsFromFlags();
  if (!subscriber_options.ok()) {
    Err(absl::StrCat("ingestctl tail: ", subscriber_options.status().message()));
    return kExitUsage;
  }
  client::Subscriber subscriber(*subscriber_options);
  start_ = absl::Now();
  std::thread watcher([this, &subscriber] { Watch(&subscriber); });
  bool stopped_here = false;
  const absl::Status status = subscriber.Run(
      [&](const v1::SubscribeResponse& response) {
        if (stopped_here) return;  // Stop() is asynchronous; print nothing after it
        if (response.has_batch()) {
          if (!HandleBatch(response.batch())) {
            stopped_here = true;
            RequestStop("--max-records reached", &subscriber);
          }
        } else if (response.has_notice()) {
          HandleNotice(response.notice());
        }
        if (!stopped_here && !*io_.out) {
          stopped_here = true;
          RequestStop("output closed", &subscriber);
        }
      },
      [&](const grpc::Status& why, absl::Duration delay) {
        Err(absl::StrCat("tail: stream ended (", why.error_message(), "); reconnecting in ",
                         absl::FormatDuration(delay)));
      });
  done_.Notify();
  watcher.join();

  const client::SubscriberStats stats = subscriber.stats();
  if (stats.duplicates_skipped > 0) {
    Err(absl::StrCat("tail: ", stats.duplicates_skipped,
                     " duplicate batch(es) received and skipped"));
  }
  const std::string reason = StopReason();
  if (!reason.empty()) {
    PrintSummary(absl::StrCat("stopped: ", reason));
    return kExitOk;
  }
  if (status.ok()) {
    PrintSummary("stream ended by the node");
    return kExitOk;
  }
  PrintSummary("stream failed");
  if (stats.connections == 0 && status.code() == absl::StatusCode::kUnavailable) {
    Err(absl::StrCat("ingestctl tail: cannot connect to ", options_.address, " within ",
                     absl::FormatDuration(options_.connect_timeout),
                     ": is ingestd running there, and is that its grpc.listen address?"));
    return kExitFailure;
  }
  Err(absl::StrCat("ingestctl tail: stream from ", options_.address,
                   " failed: ", absl::StatusCodeToString(status.code()), ": ", status.message()));
  return kExitFailure;
}

}  // namespace

int RunTail(const TailOptions& options, const TailIo& io) { return TailSession(options, io).Run(); }

void AddTailCommand(CLI::App& app, CommandAction* action) {
  // CLI11 writes parsed values into these; the action reads them after parsing.
  struct Flags {
    TailOptions options;
    double duration_seconds = 0;
    double connect_timeout_seconds = 5;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* tail = app.add_subcommand(
      "tail",
      "Subscribe to a node and print its records as they arrive (records on stdout, "
      "notices and rates on stderr)");
  tail->add_option("ADDRESS", flags->options.address,
                   "host:port of the node's gRPC Ingest service (its grpc.listen)")
      ->type_name("HOST:PORT")
      ->required();
  tail->add_flag("--json", flags->options.json, "Print NDJSON, one object per record");
  tail->add_option("--sample", flags->options.sample,
                   "Print only every Nth record (all are counted)")
      ->check(WholeNumberAtLeast(1))
      ->type_name("N")
      ->capture_default_str();
  tail->add_option("--max-records", flags->options.max_records,
                   "Stop after N records have arrived (0: no limit)")
      // CLI11 alone would read "-5" into an unsigned as 2^64 - 5.
      ->check(WholeNumberAtLeast(0))
      ->type_name("N")
      ->capture_default_str();
  tail->add_option("--duration", flags->duration_seconds, "Stop after SECONDS (0: no limit)")
      ->check(Seconds(/*allow_zero=*/true))
      ->type_name("SECONDS")
      ->capture_default_str();
  tail->add_option("--name", flags->options.client_name,
                   "Subscriber name the node shows in its logs and metrics")
      ->type_name("NAME")
      ->capture_default_str();
  tail->add_option("--connect-timeout", flags->connect_timeout_seconds,
                   "Give up if the node does not answer within SECONDS")
      ->check(Seconds(/*allow_zero=*/false))
      ->type_name("SECONDS")
      ->capture_default_str();
  tail->add_flag("--follow", flags->options.follow,
                 "Keep following: reconnect and resume after the last batch when the stream "
                 "drops or the node restarts");
  tail->add_option("--prefix", flags->options.name_prefixes,
                   "Only metrics whose name starts with PREFIX (repeatable)")
      ->type_name("PREFIX");
  tail->add_option("--source", flags->options.source_cidrs,
                   "Only records from senders in CIDR, IPv4 or IPv6 (repeatable)")
      ->type_name("CIDR");
  tail->add_option("--shard", flags->options.shard,
                   "Consumer-group shard I of N (by sender address), e.g. 0/3")
      ->type_name("I/N");
  tail->add_option("--from", flags->options.from,
                   "Where to start: latest, earliest (oldest in the node's replay ring) or "
                   "EPOCH:SEQ (the batch after it)")
      ->type_name("POSITION")
      ->capture_default_str();
  tail->add_option("--tls-ca", flags->options.tls_ca_file,
                   "Use TLS; the node's certificate must chain to this CA (PEM)")
      ->type_name("FILE");
  tail->add_option("--tls-cert", flags->options.tls_cert_file,
                   "Client certificate for mutual TLS (PEM)")
      ->type_name("FILE");
  tail->add_option("--tls-key", flags->options.tls_key_file, "Client key for mutual TLS (PEM)")
      ->type_name("FILE");
  tail->add_option("--tls-server-name", flags->options.tls_server_name,
                   "Name to verify the node's certificate against, if not ADDRESS's host")
      ->type_name("NAME");
  tail->add_option("--token-file", flags->options.token_file,
                   "File holding this consumer's bearer token")
      ->type_name("FILE");
  tail->callback([flags, action] {
    *action = [flags] {
      TailOptions options = flags->options;
      options.duration = absl::Seconds(flags->duration_seconds);
      options.connect_timeout = absl::Seconds(flags->connect_timeout_seconds);
      TailIo io{&std::cout, &std::cerr, CatchInterrupts()};
      return RunTail(options, io);
    };
  });
}

}  // namespace firehose::ctl
