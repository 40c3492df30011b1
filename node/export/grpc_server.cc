// gRPC server construction with TLS, health and reflection; see the header.
#include "node/export/grpc_server.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "node/export/health_service.h"

namespace firehose::exporter {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* key) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(key, ": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": ", path, " is not a PEM file"));
  }
  return text.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const GrpcServerOptions& options) {
  if (options.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  absl::StatusOr<std::string> cert = ReadPem(options.tls_cert_file, "grpc.tls.cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(options.tls_key_file, "grpc.tls.key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!options.tls_client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem(options.tls_client_ca_file, "grpc.tls.client_ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::StatusOr<StartedServer> StartGrpcServer(const GrpcServerOptions& options,
                                              grpc::Service* service) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = Credentials(options);
  if (!credentials.ok()) return credentials.status();
  // A process-wide switch read by the next ServerBuilder; setting it again for a second
  // server (tests) is harmless.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  AddHealthService(builder);  // synchronous, not gRPC's default (health_service.h)
  int selected_port = 0;
  builder.AddListeningPort(options.listen, *credentials, &selected_port);
  builder.RegisterService(service);
  StartedServer started;
  started.server = builder.BuildAndStart();
  if (started.server == nullptr || selected_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", options.listen,
                     " (grpc.listen): address in use or not local, or bad TLS key/certificate?"));
  }
  started.address =
      absl::StrCat(options.listen.substr(0, options.listen.rfind(':')), ":", selected_port);
  return started;
}

void SetServing(grpc::Server* server, bool serving) {
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    health->SetServingStatus(serving);
  }
}

}  // namespace firehose::exporter
