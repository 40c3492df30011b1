// Builds and starts the node's gRPC server: the Ingest service on one listener, plaintext
// or TLS / mutual TLS from PEM files, plus the standard gRPC health checking service
// (grpc.health.v1.Health) and server reflection, so stock tooling can probe and
// describe the node.
//
// Kept apart from IngestNode so that tests can run the real service on a real server
// without DPDK.
#ifndef FIREHOSE_NODE_EXPORT_GRPC_SERVER_H_
#define FIREHOSE_NODE_EXPORT_GRPC_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace firehose::exporter {

struct GrpcServerOptions {
  // "host:port"; port 0 picks a free one.
  std::string listen;
  // TLS: server certificate chain and private key (PEM files). Both empty: plaintext.
  std::string tls_cert_file;
  std::string tls_key_file;
  // mTLS: CA bundle that client certificates must chain to. Set: a verified client
  // certificate is required; empty: none is asked for.
  std::string tls_client_ca_file;
};

struct StartedServer {
  std::unique_ptr<grpc::Server> server;
  // The listen address with the port actually bound.
  std::string address;
};

// Registers `service` (owned by the caller, must outlive the server) and starts. Errors
// name the config key at fault (grpc.listen, grpc.tls.*).
absl::StatusOr<StartedServer> StartGrpcServer(const GrpcServerOptions& options,
                                              grpc::Service* service);

// Marks every service NOT_SERVING in the health service (start of a drain) or SERVING.
void SetServing(grpc::Server* server, bool serving);

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_GRPC_SERVER_H_
