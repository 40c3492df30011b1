// The firehose C++ subscriber: one Subscribe stream to one node that survives the
// things streams suffer — node restarts, network drops, slow-subscriber disconnects,
// silent dead links — by reconnecting with backoff and resuming right after the last
// batch it delivered, so the caller sees each batch at most once and every loss as a
// Gap notice with exact counts.
//
// Used by `ingestctl tail`, and meant for the relay and any other C++ consumer.
//
//   firehose::client::SubscriberOptions options;
//   options.address = "node-a:50051";
//   options.request.add_name_prefixes("api.");
//   firehose::client::Subscriber subscriber(options);
//   absl::Status done = subscriber.Run([](const firehose::v1::SubscribeResponse& m) {...});
//
// Run() calls back on its own thread, one message at a time; Stop() from any thread
// ends it.
#ifndef FIREHOSE_CLIENT_SUBSCRIBER_H_
#define FIREHOSE_CLIENT_SUBSCRIBER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/batch_header.h"
#include "grpcpp/grpcpp.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"

namespace firehose::client {

struct SubscriberOptions {
  // host:port of the node's Subscribe endpoint.
  std::string address;
  // What to subscribe to: filters, consumer group, client_name, and where the first
  // connection starts (`start`). Reconnections always resume after the last batch.
  v1::SubscribeRequest request;

  // TLS: CA bundle (PEM file) that the node's certificate must chain to. Empty:
  // plaintext (only for nodes that allow it).
  std::string tls_ca_file;
  // Mutual TLS: this client's certificate chain and key (PEM files).
  std::string tls_cert_file;
  std::string tls_key_file;
  // Name to verify the node's certificate against, if not the host in `address`.
  std::string tls_server_name;
  // Bearer token sent as `authorization: Bearer <token>`; empty: none.
  std::string token;

  // How long to wait for a connection on each attempt.
  absl::Duration connect_timeout = absl::Seconds(5);
  // No message (batch, notice or heartbeat) for this long means a dead link:
  // reconnect. Set it to a few heartbeat intervals of the node.
  absl::Duration idle_timeout = absl::Seconds(5);
  // Reconnect delays double from `initial_backoff` up to `max_backoff`, and reset
  // after a stream that delivered something.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // Give up after this many consecutive failed attempts (0: never).
  int max_attempts = 0;
  // Reconnect when the node ends a stream normally (it drained and shut down): a
  // consumer usually wants to follow the node's restart. False: Run() returns OK.
  bool reconnect_on_end = true;
};

// Position in a node's stream: the last batch delivered.
struct Position {
  uint64_t epoch = 0;
  uint64_t seq = 0;
};

struct SubscriberStats {
  uint64_t batches = 0;
  uint64_t records = 0;
  // Gap notices received, and the records they say were missed.
  uint64_t gaps = 0;
  uint64_t missed_records = 0;
  // Batches received again after a reconnect and not passed on.
  uint64_t duplicates_skipped = 0;
  uint64_t connections = 0;
  uint64_t heartbeats = 0;
};

// Channel credentials from the TLS fields of `options` (insecure when tls_ca_file is
// empty), with the files read and checked. Exposed for tools that build their own stubs.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const SubscriberOptions& options);

// Whether a stream that ended with `status` is worth retrying: transient transport and
// server conditions are; being refused (credentials, permissions, a bad request) is not.
bool IsRetryable(const grpc::Status& status);

class Subscriber {
 public:
  using MessageCallback = std::function<void(const v1::SubscribeResponse&)>;
  // For RunOwned(): a new message to read the next response into, and the callback
  // that takes each one over (it may keep or change it).
  using MessageFactory = std::function<std::shared_ptr<v1::SubscribeResponse>()>;
  using OwnedMessageCallback = std::function<void(std::shared_ptr<v1::SubscribeResponse>)>;
  // For RunRaw(): a response as received. A batch comes as its header (read from the
  // bytes, the columns skipped) and the whole response's bytes; anything else (a
  // notice) comes parsed.
  struct RawResponse {
    std::optional<BatchHeader> batch;
    grpc::ByteBuffer bytes;  // the serialized SubscribeResponse, when `batch` is set
    std::shared_ptr<const v1::SubscribeResponse> message;  // when `batch` is not
  };
  using RawCallback = std::function<void(RawResponse)>;
  // Told about each connection attempt's end, for logs: the status and the delay
  // before the next attempt.
  using DisconnectCallback = std::function<void(const grpc::Status&, absl::Duration)>;

  explicit Subscriber(SubscriberOptions options);

  // Streams until Stop(), a non-retryable status, max_attempts, or (without
  // reconnect_on_end) the node's end of stream. Returns OK when stopped or ended.
  absl::Status Run(const MessageCallback& on_message,
                   const DisconnectCallback& on_disconnect = nullptr);
  // Run(), but every response is read into a message from `new_message` (e.g. one on
  // its own arena) and handed over, so a caller that keeps messages (the relay's
  // replay ring) needs no copy. Run() parses every response onto one arena that it
  // resets before the next read (client/response_arena.h).
  absl::Status RunOwned(const MessageFactory& new_message, const OwnedMessageCallback& on_message,
                        const DisconnectCallback& on_disconnect = nullptr);
  // Run(), for forwarders: batches are not parsed (see RawResponse), so passing one on
  // costs no parse and no serialisation. Position, de-duplication and stats work as
  // in Run(). Bytes that are not a well-formed response end the stream with INTERNAL,
  // as a failed parse does in Run().
  absl::Status RunRaw(const RawCallback& on_response,
                      const DisconnectCallback& on_disconnect = nullptr);
  // Thread-safe; Run() returns soon after.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  SubscriberStats stats() const ABSL_LOCKS_EXCLUDED(mu_);
  std::optional<Position> position() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Reads one open stream to its end, handing on what it accepts, and returns how it
  // ended (the reader's Finish()); sets *progressed when it delivered a batch.
  using StreamReader = std::function<grpc::Status(
      const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& context,
      const v1::SubscribeRequest& request, bool* progressed)>;
  // The reconnect loop shared by every Run flavour.
  absl::Status RunStreams(const StreamReader& read, const DisconnectCallback& on_disconnect);
  // One connection: returns how the stream ended and whether it delivered anything.
  grpc::Status StreamOnce(const std::shared_ptr<grpc::Channel>& channel, const StreamReader& read,
                          bool* progressed);
  // The raw reader of RunRaw().
  grpc::Status ReadRaw(const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& context,
                       const v1::SubscribeRequest& request, const RawCallback& on_response,
                       bool* progressed);
  v1::SubscribeRequest NextRequest() const ABSL_LOCKS_EXCLUDED(mu_);
  // Deduplicates and records position; false when the batch was already delivered.
  bool Accept(const v1::SubscribeResponse& message) ABSL_LOCKS_EXCLUDED(mu_);
  bool AcceptBatch(uint64_t epoch, uint64_t seq, uint64_t records) ABSL_LOCKS_EXCLUDED(mu_);
  bool stopping() const ABSL_LOCKS_EXCLUDED(mu_);

  const SubscriberOptions options_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::optional<Position> position_ ABSL_GUARDED_BY(mu_);
  SubscriberStats stats_ ABSL_GUARDED_BY(mu_);
  absl::Time last_message_ ABSL_GUARDED_BY(mu_);
};

}  // namespace firehose::client

#endif  // FIREHOSE_CLIENT_SUBSCRIBER_H_
