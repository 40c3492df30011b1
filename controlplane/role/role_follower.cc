// Following controld's role stream with expiry; see role_follower.h.
#include "controlplane/role/role_follower.h"

#include <utility>

namespace firehose::role {
namespace {

// How often validity is re-checked between assignments: the demotion happens at most
// this late after an assignment expires.
constexpr absl::Duration kExpiryCheck = absl::Milliseconds(20);
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
        valid_until_ = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(assignment.valid_for_ms());
      }
      Publish(Current());
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
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), kExpiryCheck)) return;
    }
    Publish(Current());
  }
}

}  // namespace firehose::role
