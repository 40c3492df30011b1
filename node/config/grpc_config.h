// The runtime objects behind a config's `grpc:` section — consumer tokens with their
// secrets read, subscriber hub options, server options — built in one place for every
// program that serves the Subscribe API from that section (ingestd and the relay).
#ifndef FIREHOSE_NODE_CONFIG_GRPC_CONFIG_H_
#define FIREHOSE_NODE_CONFIG_GRPC_CONFIG_H_

#include <vector>

#include "absl/status/statusor.h"
#include "node/config/ingest_config.h"
#include "node/export/grpc_server.h"
#include "node/export/ingest_service.h"
#include "node/export/subscriber_hub.h"

namespace firehose::config {

// grpc.tokens with their secrets read from the token files (whitespace around the
// secret is ignored). An unreadable or empty file is an error naming the token.
absl::StatusOr<std::vector<exporter::ConsumerToken>> LoadConsumerTokens(const IngestConfig& config);

// grpc.subscriber_queue_batches, grpc.slow_subscriber and grpc.replay_bytes.
exporter::HubOptions HubOptionsFor(const IngestConfig& config);

// grpc.listen and grpc.tls.
exporter::GrpcServerOptions ServerOptionsFor(const IngestConfig& config);

}  // namespace firehose::config

#endif  // FIREHOSE_NODE_CONFIG_GRPC_CONFIG_H_
