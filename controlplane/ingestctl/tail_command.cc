// `ingestctl tail`: a Subscribe client that prints records; see tail_command.h.
//
// Two threads. The calling thread reads the stream and writes records to stdout; a
// watcher thread wakes every 50 ms to write the rate line, and to cancel the call on
// --duration or an interrupt. Cancelling from outside is how a blocked Read() is
// ended: ClientContext::TryCancel is thread-safe and makes Read() return false.
#include "controlplane/ingestctl/tail_command.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "controlplane/ingestctl/record_format.h"
#include "grpcpp/grpcpp.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::ctl {
namespace {

// How often the watcher checks the interrupt flag and the clock.
constexpr absl::Duration kPollInterval = absl::Milliseconds(50);
// Batches may approach gRPC's 4 MiB default; a relay may send larger ones. tail should
// print what it gets rather than fail on size.
constexpr int kMaxMessageBytes = 64 << 20;

std::string_view StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return "UNKNOWN_CODE";
  }
}

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
  enum class Connection { kConnected, kTimedOut, kInterrupted };

  Connection Connect(grpc::Channel& channel);
  bool Interrupted() const {
    return io_.interrupted != nullptr && io_.interrupted->load(std::memory_order_relaxed);
  }
  // Watcher thread: rate lines, --duration and interrupts.
  void Watch(grpc::ClientContext* context);
  // Records why the stream is being stopped (the first reason wins) and cancels it.
  void RequestStop(std::string_view reason, grpc::ClientContext* context);
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

void TailSession::RequestStop(std::string_view reason, grpc::ClientContext* context) {
  {
    absl::MutexLock lock(&mu_);
    if (stop_reason_.empty()) {
      stop_reason_ = std::string(reason);
    }
  }
  context->TryCancel();
}

std::string TailSession::StopReason() const {
  absl::MutexLock lock(&mu_);
  return stop_reason_;
}

TailSession::Connection TailSession::Connect(grpc::Channel& channel) {
  const absl::Time deadline = absl::Now() + options_.connect_timeout;
  while (true) {
    // Short slices, so that Ctrl-C is honoured while the node does not answer.
    absl::Time slice_end = std::min(deadline, absl::Now() + absl::Milliseconds(100));
    if (channel.WaitForConnected(absl::ToChronoTime(slice_end))) {
      return Connection::kConnected;
    }
    if (Interrupted()) {
      return Connection::kInterrupted;
    }
    if (absl::Now() >= deadline) {
      return Connection::kTimedOut;
    }
  }
}

void TailSession::Watch(grpc::ClientContext* context) {
  absl::Time last_rate = start_;
  uint64_t last_records = 0;
  uint64_t last_batches = 0;
  while (!done_.WaitForNotificationWithTimeout(kPollInterval)) {
    absl::Time now = absl::Now();
    if (Interrupted()) {
      RequestStop("interrupted", context);
    }
    if (options_.duration > absl::ZeroDuration() && now - start_ >= options_.duration) {
      RequestStop("--duration reached", context);
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
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(kMaxMessageBytes);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options_.address, grpc::InsecureChannelCredentials(), arguments);

  switch (Connect(*channel)) {
    case Connection::kConnected:
      break;
    case Connection::kInterrupted:
      PrintSummary("interrupted before connecting");
      return kExitOk;
    case Connection::kTimedOut:
      Err(absl::StrCat("ingestctl tail: cannot connect to ", options_.address, " within ",
                       absl::FormatDuration(options_.connect_timeout),
                       ": is ingestd running there, and is that its grpc.listen address?"));
      return kExitFailure;
  }

  std::unique_ptr<v1::Ingest::Stub> stub = v1::Ingest::NewStub(channel);
  grpc::ClientContext context;
  v1::SubscribeRequest request;
  request.set_client_name(options_.client_name);
  start_ = absl::Now();
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
      stub->Subscribe(&context, request);
  std::thread watcher([this, &context] { Watch(&context); });

  v1::SubscribeResponse response;
  while (reader->Read(&response)) {
    if (response.has_batch()) {
      if (!HandleBatch(response.batch())) {
        RequestStop("--max-records reached", &context);
        break;
      }
    } else if (response.has_notice()) {
      HandleNotice(response.notice());
    }
    if (!*io_.out) {
      RequestStop("output closed", &context);
      break;
    }
  }
  // After a cancel Read() soon returns false; Finish() wants the stream drained.
  while (reader->Read(&response)) {
  }
  grpc::Status status = reader->Finish();
  done_.Notify();
  watcher.join();

  std::string reason = StopReason();
  if (status.ok()) {
    PrintSummary("stream ended by the node");
    return kExitOk;
  }
  if (!reason.empty() && status.error_code() == grpc::StatusCode::CANCELLED) {
    PrintSummary(absl::StrCat("stopped: ", reason));
    return kExitOk;
  }
  PrintSummary("stream failed");
  std::string_view code = StatusCodeName(status.error_code());
  Err(absl::StrCat("ingestctl tail: stream from ", options_.address, " failed: ",
                   absl::string_view(code.data(), code.size()), ": ", status.error_message()));
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
