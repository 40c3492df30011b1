// Subscribe streams: authorise, filter, position, then queue -> wire with gap notices
// and heartbeats; see the header.
#include "node/export/ingest_service.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/support/method_handler.h"
#include "grpcpp/support/sync_stream.h"
#include "node/export/block_buffer.h"
#include "node/export/block_buffer_slices.h"
#include "node/export/grpc_server.h"
#include "spdlog/spdlog.h"

namespace firehose::exporter {
namespace {

constexpr size_t kMaxClientNameLength = 64;
// How often a waiting stream checks whether its client went away.
constexpr absl::Duration kWaitSlice = absl::Milliseconds(100);
constexpr char kSubscribeMethod[] = "/firehose.v1.Ingest/Subscribe";
constexpr std::string_view kBearerPrefix = "Bearer ";

grpc::Status ToGrpc(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

grpc::ByteBuffer Serialize(const v1::SubscribeResponse& message) {
  grpc::ByteBuffer buffer;
  bool own = false;
  grpc::SerializationTraits<v1::SubscribeResponse>::Serialize(message, &buffer, &own);
  return buffer;
}

// Only an active node changes epoch (a demoted one keeps its last), so the notice
// always announces an active term.
grpc::ByteBuffer EpochChangeNotice(uint64_t previous_epoch, uint64_t epoch) {
  v1::SubscribeResponse notice;
  v1::EpochChange* change = notice.mutable_notice()->mutable_epoch_change();
  change->set_previous_epoch(previous_epoch);
  change->set_epoch(epoch);
  change->set_role(v1::EpochChange::ROLE_ACTIVE);
  return Serialize(notice);
}

// A slice over `bytes` that keeps `owner` (what holds them) alive until gRPC is done.
template <typename Owner>
grpc::ByteBuffer SliceOf(const std::string& bytes, const std::shared_ptr<Owner>& owner) {
  auto* keep = new std::shared_ptr<Owner>(owner);
  grpc::Slice slice(
      const_cast<char*>(bytes.data()), bytes.size(),
      [](void* p) { delete static_cast<std::shared_ptr<Owner>*>(p); }, keep);
  return grpc::ByteBuffer(&slice, 1);
}

// A filtered stream's own message as pool blocks, one slice each. Serialised into the
// stream's `scratch` (its allocation kept from batch to batch) and copied into blocks,
// instead of letting gRPC allocate a buffer of each message's size: those sizes vary
// with every batch and filter, and per-stream buffers of varying sizes on many threads
// fragmented the heap (RSS rose with filtered subscribers connected).
grpc::ByteBuffer PooledBytes(const v1::SubscribeResponse& message, std::string* scratch) {
  message.SerializeToString(scratch);
  auto bytes = std::make_shared<BlockBuffer>(BlockBuffer::CopyOf(*scratch));
  return SlicesOf(*bytes, bytes);
}

// The shared serialised bytes of an unchanged published batch, without copying them:
// the encoded batch's blocks as published (a slice each), or the message's one shared
// serialisation.
grpc::ByteBuffer SharedBytes(const PublishedBatch& batch) {
  if (batch.encoded != nullptr) return SlicesOf(batch.encoded->bytes(), batch.encoded);
  if (batch.serialized == nullptr) return Serialize(*batch.message);
  return SliceOf(batch.serialized->Get(*batch.message), batch.serialized);
}

}  // namespace

bool ConstantTimeEquals(std::string_view presented, std::string_view expected) {
  unsigned char diff = presented.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char p = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
    diff |= static_cast<unsigned char>(p ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

void DrainAndShutdown(grpc::Server* server, SubscriberHub* hub, absl::Duration drain_timeout) {
  if (server != nullptr) SetServing(server, false);
  if (hub != nullptr) {
    if (!hub->WaitUntilDrained(drain_timeout)) {
      spdlog::warn("subscribers did not receive every batch within {}",
                   absl::FormatDuration(drain_timeout));
    }
    hub->Close();
  }
  if (server != nullptr) {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
}

IngestService::IngestService(SubscriberHub* hub, std::function<uint64_t()> last_seq,
                             std::function<uint64_t()> epoch, IngestServiceOptions options)
    : hub_(hub),
      last_seq_(std::move(last_seq)),
      epoch_(std::move(epoch)),
      options_(std::move(options)) {
  AddMethod(new grpc::internal::RpcServiceMethod(
      kSubscribeMethod, grpc::internal::RpcMethod::SERVER_STREAMING,
      new grpc::internal::ServerStreamingHandler<IngestService, grpc::ByteBuffer, grpc::ByteBuffer>(
          [](IngestService* service, grpc::ServerContext* context, const grpc::ByteBuffer* request,
             grpc::ServerWriter<grpc::ByteBuffer>* writer) {
            return service->Subscribe(context, request, writer);
          },
          this)));
}

absl::StatusOr<std::pair<KindMask, std::string>> IngestService::Authenticate(
    const grpc::ServerContext& context) const {
  if (options_.tokens.empty()) return std::make_pair(kAllKinds, std::string());
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError("missing authorization metadata (Bearer token)");
  }
  const std::string_view value(it->second.data(), it->second.size());
  if (value.substr(0, kBearerPrefix.size()) != kBearerPrefix) {
    return absl::UnauthenticatedError("authorization metadata is not a Bearer token");
  }
  const std::string_view presented = value.substr(kBearerPrefix.size());
  // Every token is compared, without stopping at a match, so timing does not tell
  // which entry (or whether an early one) matched.
  const ConsumerToken* match = nullptr;
  for (const ConsumerToken& token : options_.tokens) {
    if (ConstantTimeEquals(presented, token.token)) match = &token;
  }
  if (match == nullptr) return absl::UnauthenticatedError("unknown bearer token");
  return std::make_pair(match->kinds, match->name);
}

absl::StatusOr<std::shared_ptr<Subscription>> IngestService::Join(
    const v1::SubscribeRequest& request, const std::string& name,
    grpc::ServerWriter<grpc::ByteBuffer>* writer, uint64_t* epoch_out) {
  const uint64_t epoch = epoch_();
  *epoch_out = epoch;
  switch (request.start().from()) {
    case v1::StartPosition::FROM_UNSPECIFIED:
    case v1::StartPosition::FROM_LATEST:
      return hub_->Add(name);
    case v1::StartPosition::FROM_EARLIEST:
      return hub_->AddFrom(name, epoch, 0);
    case v1::StartPosition::FROM_AFTER:
      break;
    default:
      return absl::InvalidArgumentError("start.from: unknown value");
  }
  const uint64_t after_epoch = request.start().epoch();
  if (after_epoch > epoch) {
    return absl::FailedPreconditionError(absl::StrCat("resume epoch ", after_epoch,
                                                      " is newer than this node's epoch ", epoch,
                                                      " (a different or demoted node?)"));
  }
  if (after_epoch < epoch) {
    // The node restarted or was re-elected since: everything of the old epoch that was
    // built reached connected subscribers before it ended (drain), so the subscriber
    // continues with the new epoch from its first batch.
    if (!writer->Write(EpochChangeNotice(after_epoch, epoch))) {
      return absl::CancelledError("client went away");
    }
    return hub_->AddFrom(name, epoch, 1);
  }
  return hub_->AddFrom(name, epoch, request.start().seq() + 1);
}

grpc::Status IngestService::Subscribe(grpc::ServerContext* context,
                                      const grpc::ByteBuffer* request_bytes,
                                      grpc::ServerWriter<grpc::ByteBuffer>* writer) {
  v1::SubscribeRequest request;
  {
    grpc::ByteBuffer copy(*request_bytes);
    grpc::Status parsed =
        grpc::SerializationTraits<v1::SubscribeRequest>::Deserialize(&copy, &request);
    if (!parsed.ok()) return parsed;
  }
  absl::StatusOr<std::pair<KindMask, std::string>> auth = Authenticate(*context);
  if (!auth.ok()) {
    spdlog::warn("rejected subscriber from {}: {}", context->peer(),
                 std::string(auth.status().message()));
    return ToGrpc(auth.status());
  }
  absl::StatusOr<RecordFilter> filter = RecordFilter::Create(request, auth->first);
  if (!filter.ok()) return ToGrpc(filter.status());

  std::string name = request.client_name().substr(0, kMaxClientNameLength);
  if (name.empty()) name = "anonymous";
  // The token's consumer name is the trustworthy part of the label.
  if (!auth->second.empty()) name = absl::StrCat(auth->second, "/", name);
  uint64_t stream_epoch = 0;
  absl::StatusOr<std::shared_ptr<Subscription>> joined = Join(request, name, writer, &stream_epoch);
  if (!joined.ok()) return ToGrpc(joined.status());
  std::shared_ptr<Subscription> subscription = *std::move(joined);
  spdlog::info("subscriber {} connected from {}", name, context->peer());

  absl::Time last_write = absl::Now();
  bool open = true;
  grpc::Status result = grpc::Status::OK;
  v1::SubscribeResponse filtered;
  std::string filtered_bytes;
  while (open && !context->IsCancelled()) {
    SubscriptionItem item = subscription->Next(kWaitSlice);
    switch (item.kind) {
      case SubscriptionItem::Kind::kBatch: {
        // Only forward: a batch of an older epoch still queued behind a notice (it was
        // published just before the change) is delivered without announcing a step back.
        if (item.batch.epoch > stream_epoch) {
          open = writer->Write(EpochChangeNotice(stream_epoch, item.batch.epoch));
          stream_epoch = item.batch.epoch;
          if (!open) {
            subscription->MarkAbandoned();
            break;
          }
        }
        uint32_t records = item.batch.records;
        if (filter->PassesEverything()) {
          open = writer->Write(SharedBytes(item.batch));
        } else {
          // An encoded batch is parsed here, once for all filtered streams.
          const v1::SubscribeResponse* message = item.batch.Message();
          if (message == nullptr) {
            result = grpc::Status(
                grpc::StatusCode::INTERNAL,
                absl::StrCat("batch seq ", item.batch.seq, " could not be parsed for filtering"));
            subscription->MarkAbandoned();
            open = false;
            break;
          }
          records = filter->Apply(message->batch(), filtered.mutable_batch());
          open = writer->Write(PooledBytes(filtered, &filtered_bytes));
        }
        if (open) {
          subscription->MarkDelivered(item.batch.seq, records);
        } else {
          subscription->MarkAbandoned();
        }
        last_write = absl::Now();
        break;
      }
      case SubscriptionItem::Kind::kGap: {
        v1::SubscribeResponse notice;
        *notice.mutable_notice()->mutable_gap() = item.gap;
        open = writer->Write(Serialize(notice));
        last_write = absl::Now();
        break;
      }
      case SubscriptionItem::Kind::kIdle:
        // A promotion is announced at once, not only with the new term's first batch,
        // which may be long in coming on a quiet node.
        if (const uint64_t now_epoch = epoch_(); now_epoch > stream_epoch) {
          open = writer->Write(EpochChangeNotice(stream_epoch, now_epoch));
          stream_epoch = now_epoch;
          last_write = absl::Now();
        } else if (absl::Now() - last_write >= options_.heartbeat_interval) {
          v1::SubscribeResponse notice;
          v1::Heartbeat* heartbeat = notice.mutable_notice()->mutable_heartbeat();
          heartbeat->set_sent_unix_nanos(absl::ToUnixNanos(absl::Now()));
          heartbeat->set_last_published_seq(last_seq_());
          heartbeat->set_epoch(epoch_());
          if (options_.active) {
            heartbeat->set_role(options_.active() ? v1::EpochChange::ROLE_ACTIVE
                                                  : v1::EpochChange::ROLE_STANDBY);
          }
          open = writer->Write(Serialize(notice));
          last_write = absl::Now();
        }
        break;
      case SubscriptionItem::Kind::kClosed:
        open = false;
        break;
      case SubscriptionItem::Kind::kOverflow: {
        const SubscriptionStats s = subscription->stats();
        result = grpc::Status(
            grpc::StatusCode::RESOURCE_EXHAUSTED,
            absl::StrCat("subscriber too slow: its queue overflowed and the node's "
                         "slow-subscriber policy is to disconnect; resume after epoch ",
                         epoch_(), " seq ", s.last_delivered_seq));
        open = false;
        break;
      }
    }
  }
  const SubscriptionStats stats = subscription->stats();
  hub_->Remove(subscription);
  spdlog::info("subscriber {} left: {} batches / {} records delivered, {} records dropped{}", name,
               stats.delivered_batches, stats.delivered_records, stats.dropped_records,
               stats.disconnected ? " (disconnected: too slow)" : "");
  return result;
}

}  // namespace firehose::exporter
