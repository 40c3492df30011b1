// controld's side of proto/firehose/v1/control.proto: status, preflight on demand, and
// the role/epoch stream ingestd follows.
//
// The role is set by whoever decides it: without etcd, controld's main sets ACTIVE once
// (a single node runs active); with an election, the elector calls SetRole on every
// change. WatchRole streams push each change at once and repeat the standing role every
// third of the lease TTL and whenever the lease was refreshed; an ACTIVE assignment
// carries the term's deadline on CLOCK_MONOTONIC (the elector's active_deadline), so
// ingestd stops publishing before etcd could elect the other node, even when controld
// is dead or cut off.
//
// Templates: PublishTemplates hands ingestd's NetFlow v9/IPFIX templates to
// `store_templates` (the active writes them to etcd); SetTemplates, fed from etcd on a
// standby, puts them on that node's role stream once per revision.
#ifndef FIREHOSE_CONTROLPLANE_CONTROLD_CONTROL_SERVICE_H_
#define FIREHOSE_CONTROLPLANE_CONTROLD_CONTROL_SERVICE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controlplane/controld/health_monitor.h"
#include "controlplane/preflight/preflight.h"
#include "node/config/ingest_config.h"
#include "proto/firehose/v1/control.grpc.pb.h"

namespace firehose::controld {

// The preflight report in the control API's terms.
firehose::v1::PreflightReport ToProto(const preflight::Report& report);

class ControlService final : public firehose::v1::Control::Service {
 public:
  struct Options {
    config::IngestConfig config;
    // Where preflight reads sysfs/procfs ("/" in production, fixture trees in tests).
    std::string preflight_root = "/";
    absl::Duration lease_ttl = absl::Seconds(2);
    // "standalone", or the etcd endpoints.
    std::string election = "standalone";
    // Lease time left (the elector's); unset when standalone.
    std::function<absl::Duration()> lease_remaining;
    // Gives up the active term (the elector's Resign); unset when standalone.
    std::function<void()> resign;
    // Takes the node out of / back into the election; `drained` reports it. Unset when
    // standalone.
    std::function<void(bool)> set_drained;
    std::function<bool()> drained;
    // The current term's end on the steady clock while active; unset when standalone.
    std::function<std::chrono::steady_clock::time_point()> active_deadline;
    // Stores templates in etcd if this node is active: the etcd revision, or
    // FAILED_PRECONDITION. Unset when standalone.
    std::function<absl::StatusOr<uint64_t>(const std::string&)> store_templates;
  };

  // `health` must outlive the service.
  ControlService(Options options, const HealthMonitor* health);

  // Changes the role pushed to every WatchRole stream (at once, not at the next refresh).
  void SetRole(firehose::v1::Role role, uint64_t epoch);
  // The pair's templates as stored in etcd at `revision`; sent to a standby's ingestd.
  void SetTemplates(std::string templates, uint64_t revision);
  // Ends every WatchRole stream; call before shutting the gRPC server down, which
  // otherwise waits for those streams forever.
  void Shutdown();

  grpc::Status GetStatus(grpc::ServerContext* context, const firehose::v1::GetStatusRequest* request,
                         firehose::v1::NodeStatus* response) override;
  grpc::Status RunPreflight(grpc::ServerContext* context,
                            const firehose::v1::RunPreflightRequest* request,
                            firehose::v1::PreflightReport* response) override;
  grpc::Status WatchRole(grpc::ServerContext* context,
                         const firehose::v1::WatchRoleRequest* request,
                         grpc::ServerWriter<firehose::v1::RoleAssignment>* writer) override;
  grpc::Status Resign(grpc::ServerContext* context, const firehose::v1::ResignRequest* request,
                      firehose::v1::ResignResponse* response) override;
  grpc::Status Drain(grpc::ServerContext* context, const firehose::v1::DrainRequest* request,
                     firehose::v1::DrainResponse* response) override;
  grpc::Status PublishTemplates(grpc::ServerContext* context,
                                const firehose::v1::PublishTemplatesRequest* request,
                                firehose::v1::PublishTemplatesResponse* response) override;

 private:
  const Options options_;
  const HealthMonitor* const health_;
  absl::Mutex mu_;
  firehose::v1::Role role_ ABSL_GUARDED_BY(mu_) = firehose::v1::ROLE_STANDBY;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // Bumped on every SetRole, so streams wake on a change.
  uint64_t role_version_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  std::string templates_ ABSL_GUARDED_BY(mu_);
  uint64_t templates_revision_ ABSL_GUARDED_BY(mu_) = 0;
  // What this node stored in etcd as active (for status).
  uint64_t stored_revision_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t stored_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t preflight_failed_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t preflight_warnings_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace firehose::controld

#endif  // FIREHOSE_CONTROLPLANE_CONTROLD_CONTROL_SERVICE_H_
