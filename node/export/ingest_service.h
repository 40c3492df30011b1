// The gRPC Ingest service: one Subscribe stream per subscriber, fed from its bounded
// queue (and, when resuming, the replay ring) in the SubscriberHub. Stream writes
// happen on gRPC's threads, never on the export thread or a worker, so a slow network
// only ever fills that subscriber's queue.
//
// The method is registered "raw" (request and responses as grpc::ByteBuffer, same
// wire format as the generated service): a batch sent unchanged to many subscribers is
// sent as one shared buffer, instead of serialised once per subscriber: for ingestd's
// batches, the bytes the publisher encoded. Filtered subscribers get their own copy,
// built from the message (parsed from those bytes once per batch, by the first stream
// that needs it) and serialised on their own stream thread.
//
// Authorisation: with consumer tokens configured, every call must carry
// `authorization: Bearer <token>` metadata; tokens are compared in constant time and
// each limits the record kinds its holder may read.
//
// Epoch changes at runtime (the node promoted by controld): each stream remembers the
// epoch it is in and, when the node's epoch moves past it, writes an EpochChange notice
// before anything of the new epoch, so connected subscribers learn that seq restarts.
#ifndef FIREHOSE_NODE_EXPORT_INGEST_SERVICE_H_
#define FIREHOSE_NODE_EXPORT_INGEST_SERVICE_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/service_type.h"
#include "node/export/record_filter.h"
#include "node/export/subscriber_hub.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::exporter {

// A consumer allowed to subscribe: its name (for logs and metrics), its secret bearer
// token, and the record kinds it may read.
struct ConsumerToken {
  std::string name;
  std::string token;
  KindMask kinds = kAllKinds;
};

struct IngestServiceOptions {
  // A stream with nothing to send for this long gets a Heartbeat notice.
  absl::Duration heartbeat_interval = absl::Seconds(1);
  // Empty: no token is required (the listener's TLS settings alone decide who may
  // connect). Otherwise every Subscribe must present one of these.
  std::vector<ConsumerToken> tokens;
  // Whether the node is the active one of its pair, for the role heartbeats carry (a
  // relay's readiness needs it on a quiet stream). Unset: heartbeats say
  // ROLE_UNSPECIFIED.
  std::function<bool()> active;
};

// Compares a presented secret with an expected one in time that depends only on the
// expected secret's length, so response timing reveals nothing about how much of a
// guess was right.
bool ConstantTimeEquals(std::string_view presented, std::string_view expected);

// The end of a drain, shared by ingestd and the relay once nothing more will be
// published: health reports NOT_SERVING (balancers and relays stop sending new
// subscribers), connected subscribers get up to `drain_timeout` to receive what is
// queued, their streams end, and the server shuts down. Either pointer may be null.
void DrainAndShutdown(grpc::Server* server, SubscriberHub* hub, absl::Duration drain_timeout);

class IngestService final : public grpc::Service {
 public:
  // `last_seq` reports the publisher's latest sequence number (heartbeats), `epoch` its
  // current epoch (resume positions).
  IngestService(SubscriberHub* hub, std::function<uint64_t()> last_seq,
                std::function<uint64_t()> epoch, IngestServiceOptions options = {});

  grpc::Status Subscribe(grpc::ServerContext* context, const grpc::ByteBuffer* request,
                         grpc::ServerWriter<grpc::ByteBuffer>* writer);

 private:
  // The caller's allowed kinds and consumer name, or UNAUTHENTICATED.
  absl::StatusOr<std::pair<KindMask, std::string>> Authenticate(
      const grpc::ServerContext& context) const;
  // Where the stream starts; may write an EpochChange notice first. `*epoch` is set to
  // the epoch the stream starts in.
  absl::StatusOr<std::shared_ptr<Subscription>> Join(const v1::SubscribeRequest& request,
                                                     const std::string& name,
                                                     grpc::ServerWriter<grpc::ByteBuffer>* writer,
                                                     uint64_t* epoch);

  SubscriberHub* const hub_;
  const std::function<uint64_t()> last_seq_;
  const std::function<uint64_t()> epoch_;
  const IngestServiceOptions options_;
};

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_INGEST_SERVICE_H_
