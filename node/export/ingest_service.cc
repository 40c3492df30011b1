// Subscribe streams: queue -> wire, with gap notices and heartbeats; see the header.
#include "node/export/ingest_service.h"

#include <string>
#include <utility>

#include "spdlog/spdlog.h"

namespace firehose::exporter {
namespace {

constexpr size_t kMaxClientNameLength = 64;
// How often a waiting stream checks whether its client went away.
constexpr absl::Duration kWaitSlice = absl::Milliseconds(100);

bool WantsStatsd(const v1::SubscribeRequest& request) {
  if (request.kinds().empty()) return true;
  for (int kind : request.kinds()) {
    if (kind == v1::RECORD_KIND_STATSD) return true;
  }
  return false;
}

}  // namespace

IngestService::IngestService(SubscriberHub* hub, std::function<uint64_t()> last_seq,
                             absl::Duration heartbeat_interval)
    : hub_(hub), last_seq_(std::move(last_seq)), heartbeat_interval_(heartbeat_interval) {}

grpc::Status IngestService::Subscribe(grpc::ServerContext* context,
                                      const v1::SubscribeRequest* request,
                                      grpc::ServerWriter<v1::SubscribeResponse>* writer) {
  std::string name = request->client_name().substr(0, kMaxClientNameLength);
  if (name.empty()) name = "anonymous";
  const bool wants_statsd = WantsStatsd(*request);
  auto subscription = hub_->Add(name);
  spdlog::info("subscriber {} connected from {}", name, context->peer());

  absl::Time last_write = absl::Now();
  bool open = true;
  while (open && !context->IsCancelled()) {
    SubscriptionItem item = subscription->Next(kWaitSlice);
    switch (item.kind) {
      case SubscriptionItem::Kind::kBatch:
        // Only statsd batches exist today; a subscriber that filtered them out sees
        // heartbeats only. Filtered batches leave holes in the seq it observes.
        if (wants_statsd) {
          open = writer->Write(*item.batch.message);
          if (open) subscription->MarkDelivered(item.batch.records);
          last_write = absl::Now();
        }
        break;
      case SubscriptionItem::Kind::kGap: {
        v1::SubscribeResponse notice;
        *notice.mutable_notice()->mutable_gap() = item.gap;
        open = writer->Write(notice);
        last_write = absl::Now();
        break;
      }
      case SubscriptionItem::Kind::kIdle:
        if (absl::Now() - last_write >= heartbeat_interval_) {
          v1::SubscribeResponse notice;
          v1::Heartbeat* heartbeat = notice.mutable_notice()->mutable_heartbeat();
          heartbeat->set_sent_unix_nanos(absl::ToUnixNanos(absl::Now()));
          heartbeat->set_last_published_seq(last_seq_());
          open = writer->Write(notice);
          last_write = absl::Now();
        }
        break;
      case SubscriptionItem::Kind::kClosed:
        open = false;
        break;
    }
  }
  const SubscriptionStats stats = subscription->stats();
  hub_->Remove(subscription);
  spdlog::info("subscriber {} left: {} batches / {} records delivered, {} records dropped",
               name, stats.delivered_batches, stats.delivered_records,
               stats.dropped_records);
  return grpc::Status::OK;
}

}  // namespace firehose::exporter
