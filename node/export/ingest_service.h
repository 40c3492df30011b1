// The gRPC Ingest service: one Subscribe stream per subscriber, fed from its bounded
// queue in the SubscriberHub. Stream writes happen on gRPC's threads, never on the
// export thread or a worker, so a slow network only ever fills that subscriber's queue.
#ifndef FIREHOSE_NODE_EXPORT_INGEST_SERVICE_H_
#define FIREHOSE_NODE_EXPORT_INGEST_SERVICE_H_

#include <functional>

#include "absl/time/time.h"
#include "node/export/subscriber_hub.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"

namespace firehose::exporter {

class IngestService final : public v1::Ingest::Service {
 public:
  // `last_seq` reports the publisher's latest sequence number for heartbeats.
  IngestService(SubscriberHub* hub, std::function<uint64_t()> last_seq,
                absl::Duration heartbeat_interval = absl::Seconds(1));

  grpc::Status Subscribe(grpc::ServerContext* context, const v1::SubscribeRequest* request,
                         grpc::ServerWriter<v1::SubscribeResponse>* writer) override;

 private:
  SubscriberHub* const hub_;
  const std::function<uint64_t()> last_seq_;
  const absl::Duration heartbeat_interval_;
};

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_INGEST_SERVICE_H_
