// The relay's optional plaintext health listener (`health.listen`, docs/relay.md): a gRPC
// server that serves grpc.health.v1.Health and nothing else — no Subscribe, no
// reflection, no tokens — so that the kubelet's gRPC probes, which speak plaintext only,
// can read the relay's readiness while the Subscribe port serves TLS or mutual TLS.
#ifndef FIREHOSE_RELAY_HEALTH_SERVER_H_
#define FIREHOSE_RELAY_HEALTH_SERVER_H_

#include <string>

#include "absl/status/statusor.h"
#include "node/export/grpc_server.h"

namespace firehose::relay {

// Starts a plaintext server on `listen` ("host:port"; port 0 picks a free one) whose only
// service is gRPC's default health service; every status starts NOT_SERVING until the
// caller sets it. Errors name health.listen.
absl::StatusOr<exporter::StartedServer> StartHealthServer(const std::string& listen);

}  // namespace firehose::relay

#endif  // FIREHOSE_RELAY_HEALTH_SERVER_H_
