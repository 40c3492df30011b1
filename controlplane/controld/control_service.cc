// The Control service; see control_service.h.
#include "controlplane/controld/control_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace firehose::controld {
namespace {

using firehose::v1::PreflightCheck;

PreflightCheck::Verdict ToProto(preflight::Verdict verdict) {
  switch (verdict) {
    case preflight::Verdict::kPass:
      return PreflightCheck::PASS;
    case preflight::Verdict::kWarn:
      return PreflightCheck::WARN;
    case preflight::Verdict::kFail:
      return PreflightCheck::FAIL;
  }
  return PreflightCheck::VERDICT_UNSPECIFIED;
}

// How often a stream checks whether its client went away or the lease was refreshed
// between refreshes.
constexpr absl::Duration kCancelPoll = absl::Milliseconds(50);

}  // namespace

firehose::v1::PreflightReport ToProto(const preflight::Report& report) {
  firehose::v1::PreflightReport out;
  out.set_ok(report.ok());
  for (const preflight::Check& c : report.checks) {
    PreflightCheck* check = out.add_checks();
    check->set_name(c.name);
    check->set_subject(c.subject);
    check->set_verdict(ToProto(c.verdict));
    check->set_required(c.required);
    check->set_detail(c.detail);
    check->set_fix(c.fix);
  }
  return out;
}

ControlService::ControlService(Options options, const HealthMonitor* health)
    : options_(std::move(options)), health_(health) {}

void ControlService::SetRole(firehose::v1::Role role, uint64_t epoch) {
  absl::MutexLock lock(&mu_);
  role_ = role;
  epoch_ = epoch;
  ++role_version_;
}

void ControlService::SetTemplates(std::string templates, uint64_t revision) {
  absl::MutexLock lock(&mu_);
  templates_ = std::move(templates);
  templates_revision_ = revision;
  ++role_version_;
}

grpc::Status ControlService::PublishTemplates(
    grpc::ServerContext* /*context*/, const firehose::v1::PublishTemplatesRequest* request,
    firehose::v1::PublishTemplatesResponse* response) {
  if (request->node_id() != options_.config.node_id) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("this controld serves node \"", options_.config.node_id,
                                     "\", not \"", request->node_id(), "\""));
  }
  if (!options_.store_templates) return grpc::Status::OK;  // standalone: no one to share with
  absl::StatusOr<uint64_t> revision = options_.store_templates(request->templates());
  if (absl::IsFailedPrecondition(revision.status())) return grpc::Status::OK;  // standby
  if (!revision.ok()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(revision.status().message()));
  }
  response->set_stored(true);
  response->set_revision(*revision);
  absl::MutexLock lock(&mu_);
  stored_revision_ = *revision;
  stored_bytes_ = static_cast<uint32_t>(request->templates().size());
  return grpc::Status::OK;
}

void ControlService::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
}

grpc::Status ControlService::GetStatus(grpc::ServerContext* /*context*/,
                                       const firehose::v1::GetStatusRequest* /*request*/,
                                       firehose::v1::NodeStatus* response) {
  response->set_node_id(options_.config.node_id);
  response->set_election(options_.election);
  response->set_lease_ttl_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(options_.lease_ttl)));
  *response->mutable_health() = health_->Latest();
  if (options_.drained) response->set_drained(options_.drained());
  if (options_.lease_remaining) {
    response->set_lease_remaining_ms(
        static_cast<uint32_t>(absl::ToInt64Milliseconds(options_.lease_remaining())));
  }
  absl::MutexLock lock(&mu_);
  response->set_role(role_);
  response->set_epoch(epoch_);
  response->set_preflight_failed(preflight_failed_);
  response->set_preflight_warnings(preflight_warnings_);
  if (role_ == firehose::v1::ROLE_ACTIVE) {
    response->set_templates_revision(stored_revision_);
    response->set_templates_bytes(stored_bytes_);
  } else {
    response->set_templates_revision(templates_revision_);
    response->set_templates_bytes(static_cast<uint32_t>(templates_.size()));
  }
  return grpc::Status::OK;
}

grpc::Status ControlService::RunPreflight(grpc::ServerContext* /*context*/,
                                          const firehose::v1::RunPreflightRequest* /*request*/,
                                          firehose::v1::PreflightReport* response) {
  const preflight::Report report =
      preflight::RunPreflight(options_.config, preflight::Options{options_.preflight_root});
  *response = ToProto(report);
  absl::MutexLock lock(&mu_);
  preflight_failed_ = report.CountVerdict(preflight::Verdict::kFail);
  preflight_warnings_ = report.CountVerdict(preflight::Verdict::kWarn);
  return grpc::Status::OK;
}

grpc::Status ControlService::Resign(grpc::ServerContext* /*context*/,
                                    const firehose::v1::ResignRequest* request,
                                    firehose::v1::ResignResponse* response) {
  if (!options_.resign) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "no election configured: a standalone node has no one to hand over to");
  }
  {
    absl::MutexLock lock(&mu_);
    if (role_ != firehose::v1::ROLE_ACTIVE) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("node ", options_.config.node_id, " is not active"));
    }
    response->set_epoch(epoch_);
  }
  spdlog::info("resigning epoch {}: {}", response->epoch(),
               request->reason().empty() ? "requested" : request->reason());
  options_.resign();
  return grpc::Status::OK;
}

grpc::Status ControlService::Drain(grpc::ServerContext* /*context*/,
                                   const firehose::v1::DrainRequest* request,
                                   firehose::v1::DrainResponse* response) {
  if (!options_.set_drained) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "no election configured: a standalone node cannot hand over; stop "
                        "ingestd instead");
  }
  spdlog::info("{}", request->undo() ? "undrained: back in the election"
                                     : "drained: out of the election until undone");
  options_.set_drained(!request->undo());
  response->set_drained(!request->undo());
  return grpc::Status::OK;
}

grpc::Status ControlService::WatchRole(grpc::ServerContext* context,
                                       const firehose::v1::WatchRoleRequest* request,
                                       grpc::ServerWriter<firehose::v1::RoleAssignment>* writer) {
  if (request->node_id() != options_.config.node_id) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("this controld serves node \"", options_.config.node_id,
                                     "\", not \"", request->node_id(), "\""));
  }
  const absl::Duration refresh = options_.lease_ttl / 3;
  const uint32_t valid_ms = static_cast<uint32_t>(absl::ToInt64Milliseconds(options_.lease_ttl));
  uint64_t sequence = 0;
  uint64_t templates_sent = 0;
  // The deadline last sent; a refreshed lease moves it and is pushed at the next poll.
  auto deadline_now = [this]() -> int64_t {
    if (!options_.active_deadline) return 0;
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               options_.active_deadline().time_since_epoch())
        .count();
  };
  int64_t deadline_sent = 0;
  while (true) {
    firehose::v1::RoleAssignment assignment;
    uint64_t seen_version;
    {
      absl::MutexLock lock(&mu_);
      if (shutting_down_) return grpc::Status::OK;
      assignment.set_role(role_);
      assignment.set_epoch(epoch_);
      seen_version = role_version_;
      if (role_ != firehose::v1::ROLE_ACTIVE && templates_revision_ != templates_sent) {
        assignment.set_templates(templates_);
        assignment.set_templates_revision(templates_revision_);
        templates_sent = templates_revision_;
      }
    }
    deadline_sent = 0;
    if (assignment.role() == firehose::v1::ROLE_ACTIVE) {
      deadline_sent = deadline_now();
      assignment.set_valid_until_monotonic_ns(deadline_sent);
    }
    assignment.set_node_id(options_.config.node_id);
    assignment.set_valid_for_ms(valid_ms);
    assignment.set_sequence(++sequence);
    if (!writer->Write(assignment)) return grpc::Status::OK;  // the client went away

    // Sleep until the refresh is due, the role or lease changes, or shutdown; wake now
    // and then to notice a cancelled client or a refreshed lease.
    const absl::Time due = absl::Now() + refresh;
    absl::MutexLock lock(&mu_);
    auto woken = [this, seen_version]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return shutting_down_ || role_version_ != seen_version;
    };
    while (!mu_.AwaitWithTimeout(absl::Condition(&woken), std::min(kCancelPoll, due - absl::Now())) &&
           absl::Now() < due) {
      if (context->IsCancelled()) return grpc::Status::CANCELLED;
      if (deadline_sent != 0 && deadline_now() > deadline_sent) break;
    }
  }
}

}  // namespace firehose::controld
