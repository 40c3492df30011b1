// Reconnecting, resuming Subscribe client; see the header.
#include "client/subscriber.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/response_arena.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/sync_stream.h"

namespace firehose::client {
namespace {

// How often the watchdog looks at the stream, and the granularity of backoff sleeps:
// bounds how late Stop() and the idle timeout take effect.
constexpr absl::Duration kTick = absl::Milliseconds(20);
// Batches are at most a few MiB (batch.max_bytes); never let a default cap refuse one.
constexpr int kMaxMessageBytes = 64 << 20;
// The Subscribe method's full name, as the generated stub calls it.
constexpr char kSubscribeMethod[] = "/firehose.v1.Ingest/Subscribe";

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool SleepUnlessStopped(absl::Duration duration, const std::function<bool()>& stopped) {
  const absl::Time until = absl::Now() + duration;
  while (absl::Now() < until) {
    if (stopped()) return false;
    absl::SleepFor(std::min(kTick, until - absl::Now()));
  }
  return !stopped();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const SubscriberOptions& options) {
  if (options.tls_ca_file.empty()) {
    if (!options.tls_cert_file.empty()) {
      return absl::InvalidArgumentError("a client certificate needs TLS: give the CA file too");
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> ca = ReadFile(options.tls_ca_file, "CA file");
  if (!ca.ok()) return ca.status();
  ssl.pem_root_certs = *ca;
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    absl::StatusOr<std::string> cert = ReadFile(options.tls_cert_file, "client certificate");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile(options.tls_key_file, "client key");
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *cert;
    ssl.pem_private_key = *key;
  }
  return grpc::SslCredentials(ssl);
}

bool IsRetryable(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:                  // the node drained and ended the stream
    case grpc::StatusCode::UNAVAILABLE:         // not reachable, restarting, shutting down
    case grpc::StatusCode::RESOURCE_EXHAUSTED:  // disconnected for being slow
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
      return true;
    default:
      // UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT, FAILED_PRECONDITION,
      // OUT_OF_RANGE, UNIMPLEMENTED...: asking again gets the same answer.
      return false;
  }
}

Subscriber::Subscriber(SubscriberOptions options) : options_(std::move(options)) {}

void Subscriber::Stop() {
  absl::MutexLock lock(&mu_);
  stop_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

bool Subscriber::stopping() const {
  absl::MutexLock lock(&mu_);
  return stop_;
}

SubscriberStats Subscriber::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

std::optional<Position> Subscriber::position() const {
  absl::MutexLock lock(&mu_);
  return position_;
}

v1::SubscribeRequest Subscriber::NextRequest() const {
  v1::SubscribeRequest request = options_.request;
  absl::MutexLock lock(&mu_);
  if (position_.has_value()) {
    v1::StartPosition* start = request.mutable_start();
    start->set_from(v1::StartPosition::FROM_AFTER);
    start->set_epoch(position_->epoch);
    start->set_seq(position_->seq);
  }
  return request;
}

bool Subscriber::AcceptBatch(uint64_t epoch, uint64_t seq, uint64_t records) {
  absl::MutexLock lock(&mu_);
  last_message_ = absl::Now();
  // After a reconnect the node resumes strictly after our position, so this only
  // triggers if something upstream replays; a consumer must never see a batch twice.
  if (position_.has_value() &&
      (epoch < position_->epoch || (epoch == position_->epoch && seq <= position_->seq))) {
    ++stats_.duplicates_skipped;
    return false;
  }
  position_ = Position{epoch, seq};
  ++stats_.batches;
  stats_.records += records;
  return true;
}

bool Subscriber::Accept(const v1::SubscribeResponse& message) {
  if (message.has_batch()) {
    const v1::Batch& batch = message.batch();
    return AcceptBatch(batch.epoch(), batch.seq(), batch.record_count());
  }
  absl::MutexLock lock(&mu_);
  last_message_ = absl::Now();
  if (message.has_notice()) {
    if (message.notice().has_gap()) {
      ++stats_.gaps;
      stats_.missed_records += message.notice().gap().records();
    } else if (message.notice().has_heartbeat()) {
      ++stats_.heartbeats;
    }
  }
  return true;
}

grpc::Status Subscriber::StreamOnce(const std::shared_ptr<grpc::Channel>& channel,
                                    const StreamReader& read, bool* progressed) {
  grpc::ClientContext context;
  if (!options_.token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.token));
  }
  const v1::SubscribeRequest request = NextRequest();
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return grpc::Status::CANCELLED;
    context_ = &context;
    last_message_ = absl::Now();
    ++stats_.connections;
  }
  // A silent link (no batch, notice or heartbeat) is only noticed by watching the
  // clock; cancelling the call makes the blocked Read return.
  std::atomic<bool> done{false};
  std::atomic<bool> idle{false};
  std::thread watchdog([&] {
    while (!done.load()) {
      absl::SleepFor(kTick);
      absl::MutexLock lock(&mu_);
      if (absl::Now() - last_message_ > options_.idle_timeout) {
        idle.store(true);
        context.TryCancel();
        return;
      }
    }
  });
  grpc::Status status = read(channel, context, request, progressed);
  done.store(true);
  watchdog.join();
  {
    absl::MutexLock lock(&mu_);
    context_ = nullptr;
  }
  if (idle.load()) {
    return grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        absl::StrCat("no message from the node for ", absl::FormatDuration(options_.idle_timeout),
                     " (not even a heartbeat): dead link?"));
  }
  return status;
}

absl::Status Subscriber::Run(const MessageCallback& on_message,
                             const DisconnectCallback& on_disconnect) {
  // Every response is parsed onto one arena, reset before the next read
  // (client/response_arena.h). The arena owns each message, so the shared_ptr handed
  // round RunOwned does not delete it; on_message only borrows it.
  ResponseArena arena;
  return RunOwned(
      [&arena] {
        return std::shared_ptr<v1::SubscribeResponse>(arena.Next(), [](v1::SubscribeResponse*) {});
      },
      [&on_message](const std::shared_ptr<v1::SubscribeResponse>& message) {
        on_message(*message);
      },
      on_disconnect);
}

absl::Status Subscriber::RunOwned(const MessageFactory& new_message,
                                  const OwnedMessageCallback& on_message,
                                  const DisconnectCallback& on_disconnect) {
  return RunStreams(
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& context,
          const v1::SubscribeRequest& request, bool* progressed) {
        std::unique_ptr<v1::Ingest::Stub> stub = v1::Ingest::NewStub(channel);
        std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
            stub->Subscribe(&context, request);
        std::shared_ptr<v1::SubscribeResponse> message = new_message();
        while (reader->Read(message.get())) {
          if (!Accept(*message)) {
            // A fresh message, not a re-read into this one, so that an arena factory
            // resets rather than piling up skipped responses.
            message = new_message();
            continue;
          }
          if (message->has_batch()) *progressed = true;
          on_message(std::move(message));
          message = new_message();
        }
        return reader->Finish();
      },
      on_disconnect);
}

absl::Status Subscriber::RunRaw(const RawCallback& on_response,
                                const DisconnectCallback& on_disconnect) {
  return RunStreams(
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& context,
          const v1::SubscribeRequest& request,
          bool* progressed) { return ReadRaw(channel, context, request, on_response, progressed); },
      on_disconnect);
}

grpc::Status Subscriber::ReadRaw(const std::shared_ptr<grpc::Channel>& channel,
                                 grpc::ClientContext& context, const v1::SubscribeRequest& request,
                                 const RawCallback& on_response, bool* progressed) {
  // The generated stub reads typed messages only; the same call with the response
  // type gRPC's ByteBuffer, whose SerializationTraits hand over the received slices.
  const grpc::internal::RpcMethod method(kSubscribeMethod,
                                         grpc::internal::RpcMethod::SERVER_STREAMING, channel);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(channel.get(), method, &context,
                                                                    request));
  RawResponse response;
  grpc::Status malformed;
  while (reader->Read(&response.bytes)) {
    grpc::ProtoBufferReader header_input(&response.bytes);
    absl::StatusOr<std::optional<BatchHeader>> header = ReadBatchHeader(&header_input);
    if (!header.ok()) {
      malformed =
          grpc::Status(grpc::StatusCode::INTERNAL,
                       absl::StrCat("from ", options_.address, ": ", header.status().message()));
      context.TryCancel();
      break;
    }
    if (header->has_value()) {
      const BatchHeader& batch = **header;
      if (!AcceptBatch(batch.epoch, batch.seq, batch.record_count)) continue;
      *progressed = true;
      response.batch = std::move(*header);
    } else {
      auto message = std::make_shared<v1::SubscribeResponse>();
      grpc::ProtoBufferReader message_input(&response.bytes);
      if (!message->ParseFromZeroCopyStream(&message_input)) {
        malformed =
            grpc::Status(grpc::StatusCode::INTERNAL,
                         absl::StrCat("from ", options_.address,
                                      ": a notice that does not parse as a SubscribeResponse"));
        context.TryCancel();
        break;
      }
      if (!Accept(*message)) continue;
      response.message = std::move(message);
      response.bytes.Clear();
    }
    on_response(std::move(response));
    response = RawResponse();
  }
  grpc::Status status = reader->Finish();
  return malformed.ok() ? status : malformed;
}

absl::Status Subscriber::RunStreams(const StreamReader& read,
                                    const DisconnectCallback& on_disconnect) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentials(options_);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(kMaxMessageBytes);
  // gRPC's own reconnect backoff grows to two minutes by default; a node that comes
  // back after a restart must be found on our schedule, not gRPC's.
  const int initial_ms = static_cast<int>(absl::ToInt64Milliseconds(options_.initial_backoff));
  const int max_ms = static_cast<int>(absl::ToInt64Milliseconds(options_.max_backoff));
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::max(initial_ms, 1));
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, std::max(initial_ms, 1));
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, std::max(max_ms, 1));
  if (!options_.tls_server_name.empty()) {
    arguments.SetSslTargetNameOverride(options_.tls_server_name);
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options_.address, *credentials, arguments);

  absl::Duration backoff = options_.initial_backoff;
  int failures = 0;
  while (!stopping()) {
    grpc::Status status;
    bool progressed = false;
    if (!channel->WaitForConnected(absl::ToChronoTime(absl::Now() + options_.connect_timeout))) {
      status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            absl::StrCat("cannot connect to ", options_.address, " within ",
                                         absl::FormatDuration(options_.connect_timeout),
                                         " (down, or TLS handshake refused?)"));
    } else {
      status = StreamOnce(channel, read, &progressed);
    }
    if (stopping()) return absl::OkStatus();
    if (status.ok() && !options_.reconnect_on_end) return absl::OkStatus();
    if (!IsRetryable(status)) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          status.error_message());
    }
    if (progressed) {
      backoff = options_.initial_backoff;
      failures = 0;
    } else {
      ++failures;
    }
    if (options_.max_attempts > 0 && failures >= options_.max_attempts) {
      return absl::UnavailableError(
          absl::StrCat("gave up after ", failures, " attempts; last: ", status.error_message()));
    }
    if (on_disconnect) on_disconnect(status, backoff);
    if (!SleepUnlessStopped(backoff, [this] { return stopping(); })) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  return absl::OkStatus();
}

}  // namespace firehose::client
