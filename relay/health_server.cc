// The health-only gRPC server; see the header.
#include "relay/health_server.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "node/export/health_service.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"

namespace firehose::relay {
namespace {

// Server reflection is a process-wide builder plugin once anything in the process asked
// for it (the Subscribe server does): every later ServerBuilder would add it. A builder
// option is the one hook that may remove plugins, so the health port describes nothing.
class WithoutPlugins : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->clear();
  }
};

// The generated Ingest base class, registered so that the port answers Subscribe with
// UNIMPLEMENTED by name, as the main port's base would: a service with no behaviour, and
// without reflection nothing lists it.
v1::Ingest::Service* Unimplemented() {
  static auto* const service = new v1::Ingest::Service();
  return service;
}

}  // namespace

absl::StatusOr<exporter::StartedServer> StartHealthServer(const std::string& listen) {
  grpc::ServerBuilder builder;
  exporter::AddHealthService(builder);  // what this server is for
  int selected_port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &selected_port);
  builder.SetOption(std::make_unique<WithoutPlugins>());
  builder.RegisterService(Unimplemented());
  // A second process on the same port would answer some probes in the relay's stead:
  // a taken port is an error, not a shared one.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  exporter::StartedServer started;
  started.server = builder.BuildAndStart();
  if (started.server == nullptr || selected_port == 0 ||
      started.server->GetHealthCheckService() == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot serve gRPC health on ", listen,
                                               " (health.listen): address in use or not local?"));
  }
  // The health service answers SERVING for "" until told otherwise; the relay says when
  // it is alive and ready.
  started.server->GetHealthCheckService()->SetServingStatus(false);
  started.address = absl::StrCat(listen.substr(0, listen.rfind(':')), ":", selected_port);
  return started;
}

}  // namespace firehose::relay
