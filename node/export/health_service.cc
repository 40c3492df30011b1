// grpc.health.v1.Health on synchronous handlers; see the header.
#include "node/export/health_service.h"

#include <memory>
#include <utility>

#include "absl/time/time.h"
#include "grpcpp/ext/health_check_service_server_builder_option.h"

namespace firehose::exporter {
namespace {

using grpc::health::v1::HealthCheckResponse;

// How often a waiting Watch checks whether its client has gone: the sync API offers
// no wake-up on cancellation.
constexpr absl::Duration kWatchPoll = absl::Milliseconds(200);

}  // namespace

HealthService::HealthService() {
  absl::MutexLock lock(&mu_);
  serving_[""] = true;  // as gRPC's default: the server as a whole serves once started
}

void HealthService::SetServingStatus(const std::string& service_name, bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  serving_[service_name] = serving;
  ++version_;
}

void HealthService::SetServingStatus(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  for (auto& [name, status] : serving_) status = serving;
  ++version_;
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  for (auto& [name, status] : serving_) status = false;
  shut_down_ = true;
  ++version_;
}

HealthService::Status HealthService::StatusOfLocked(const std::string& service) const {
  auto it = serving_.find(service);
  if (it == serving_.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  return it->second ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

grpc::Status HealthService::Check(grpc::ServerContext* /*context*/,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  HealthCheckResponse* response) {
  absl::MutexLock lock(&mu_);
  const Status status = StatusOfLocked(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
  }
  response->set_status(status);
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(grpc::ServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  uint64_t seen_version = 0;
  bool first = true;
  Status last = HealthCheckResponse::UNKNOWN;
  while (!context->IsCancelled()) {
    Status status;
    bool shut_down;
    {
      absl::MutexLock lock(&mu_);
      auto changed = [this, &seen_version, first]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return first || version_ != seen_version;
      };
      if (!mu_.AwaitWithTimeout(absl::Condition(&changed), kWatchPoll)) continue;
      seen_version = version_;
      status = StatusOfLocked(request->service());
      shut_down = shut_down_;
    }
    // Only changes are sent, as the protocol asks; the first answer always is.
    if (first || status != last) {
      HealthCheckResponse response;
      response.set_status(status);
      if (!writer->Write(response)) break;
      last = status;
      first = false;
    }
    if (shut_down) break;
  }
  return grpc::Status::OK;
}

void AddHealthService(grpc::ServerBuilder& builder) {
  auto health = std::make_unique<HealthService>();
  HealthService* service = health.get();
  builder.SetOption(
      std::make_unique<grpc::HealthCheckServiceServerBuilderOption>(std::move(health)));
  builder.RegisterService(service);
}

}  // namespace firehose::exporter
