// Following controld's role stream with expiry; see role_follower.h.
#include "controlplane/role/role_follower.h"

#include <algorithm>
#include <utility>

namespace firehose::role {
namespace {

// The expirer sleeps until the current deadline, but at most this long (a new
// assignment only ever moves the deadline later, or changes the role via Publish).
constexpr absl::Duration kExpiryCheck = absl::Milliseconds(100);
// Pause before reconnecting to a controld that is not there.
constexpr absl::Duration kReconnectPause = absl::Milliseconds(100);

}  // namespace

RoleFollower::RoleFollower(std::string socket, std::string node_id, ChangeCallback on_change)
    : socket_(std::move(socket)), node_id_(std::move(node_id)), on_change_(std::move(on_change)) {}

RoleFollower::~RoleFollower() { Stop(); }

void RoleFollower::Start() {
  follower_ = std::thread([this] { Follow(); });
  expirer_ = std::thread([this] { Expire(); });
}

void RoleFollower::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (context_) context_->TryCancel();
  }
  if (follower_.joinable()) follower_.join();
  if (expirer_.joinable()) expirer_.join();
}

std::chrono::steady_clock::time_point RoleFollower::valid_until() const {
  absl::MutexLock lock(&mu_);
  return role_ == firehose::v1::ROLE_ACTIVE ? valid_until_
                                            : std::chrono::steady_clock::time_point::min();
}

RoleView RoleFollower::Current() const {
  absl::MutexLock lock(&mu_);
  RoleView view;
  view.active = role_ == firehose::v1::ROLE_ACTIVE &&
                std::chrono::steady_clock::now() < valid_until_;
  view.epoch = view.active ? epoch_ : 0;
  return view;
}

void RoleFollower::Publish(const RoleView& view) {
  {
    absl::MutexLock lock(&mu_);
    if (view.active == last_published_.active && view.epoch == last_published_.epoch) return;
    last_published_ = view;
  }
  if (on_change_) on_change_(view);
}

void RoleFollower::Follow() {
  auto stub = firehose::v1::Control::NewStub(
      grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials()));
  while (true) {
    auto context = std::make_shared<grpc::ClientContext>();
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      context_ = context;
    }
    firehose::v1::WatchRoleRequest request;
    request.set_node_id(node_id_);
    auto reader = stub->WatchRole(context.get(), request);
    firehose::v1::RoleAssignment assignment;
    while (reader->Read(&assignment)) {
      {
        absl::MutexLock lock(&mu_);
        role_ = assignment.role();
        epoch_ = assignment.epoch();
        // Both bounds hold: the lease deadline (exact), and one TTL from arrival (for a
        // controld that sends no deadline).
        valid_until_ = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(assignment.valid_for_ms());
        if (assignment.valid_until_monotonic_ns() != 0) {
          valid_until_ = std::min(
              valid_until_, std::chrono::steady_clock::time_point(
                                std::chrono::nanoseconds(assignment.valid_until_monotonic_ns())));
        }
      }
      Publish(Current());
      if (assignment.templates_revision() != 0 && on_templates_) {
        on_templates_(assignment.templates(), assignment.templates_revision());
      }
    }
    reader->Finish();
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), kReconnectPause);
  }
}

void RoleFollower::Expire() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      absl::Duration wait = kExpiryCheck;
      const absl::Duration left =
          absl::FromChrono(valid_until_ - std::chrono::steady_clock::now());
      if (role_ == firehose::v1::ROLE_ACTIVE && left > absl::ZeroDuration()) {
        // Wake at the deadline itself (plus a hair), not up to a poll period after it.
        wait = std::min(left + absl::Microseconds(100), kExpiryCheck);
      }
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait)) return;
    }
    Publish(Current());
  }
}

}  // namespace firehose::role
