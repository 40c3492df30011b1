// grpc.health.v1.Health served by synchronous handlers, in place of gRPC's default health
// service.
//
// gRPC 1.51's default health service is written against the callback API. A server that
// has it beside synchronous services (Subscribe) gets a second completion queue for the
// callbacks, with its own polling threads ("nexting_thread", one per core here), and those
// pollers take part in every network event of the server: at 100 kpps with one
// subscriber they took ~9 % of a CPU in ingestd, on the node's CPU, and the receive-to-
// subscriber P99 was 1.4 ms against 0.7 ms without them (docs/benchmarks.md). This one
// answers Check and Watch on the server's synchronous threads, so the server polls from
// one place.
//
// It is installed through grpc::HealthCheckServiceServerBuilderOption, so
// Server::GetHealthCheckService() returns it and callers set statuses as they did with
// the default: the overall status ("") and per service, SERVING until told otherwise;
// Shutdown() marks everything NOT_SERVING for good.
#ifndef FIREHOSE_NODE_EXPORT_HEALTH_SERVICE_H_
#define FIREHOSE_NODE_EXPORT_HEALTH_SERVICE_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "controlplane/controld/grpc_health_v1.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"

namespace firehose::exporter {

class HealthService final : public grpc::HealthCheckServiceInterface,
                            public grpc::health::v1::Health::Service {
 public:
  HealthService();

  // grpc::HealthCheckServiceInterface.
  void SetServingStatus(const std::string& service_name, bool serving) override
      ABSL_LOCKS_EXCLUDED(mu_);
  void SetServingStatus(bool serving) override ABSL_LOCKS_EXCLUDED(mu_);
  void Shutdown() override ABSL_LOCKS_EXCLUDED(mu_);

  // grpc.health.v1.Health. Check: the service's status, NOT_FOUND for a service never
  // set. Watch: the status now (SERVICE_UNKNOWN for a service never set), then each
  // change, until the client cancels or the server shuts down.
  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override
      ABSL_LOCKS_EXCLUDED(mu_);
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  using Status = grpc::health::v1::HealthCheckResponse::ServingStatus;
  Status StatusOfLocked(const std::string& service) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, bool> serving_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  // Bumped by every change, so a Watch knows to look again.
  uint64_t version_ ABSL_GUARDED_BY(mu_) = 0;
};

// Installs a HealthService on `builder`: registered as grpc.health.v1.Health and owned
// by the server, which returns it from GetHealthCheckService().
void AddHealthService(grpc::ServerBuilder& builder);

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_HEALTH_SERVICE_H_
