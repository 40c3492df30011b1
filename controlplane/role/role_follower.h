// The ingestd side of the role contract in proto/firehose/v1/control.proto: follows
// controld's WatchRole stream and answers "may this node act as active, and in which
// epoch?" at any moment.
//
// The rule that keeps a dead or cut-off controld from leaving two actives: an ACTIVE
// assignment is believed only until its valid_until_monotonic_ns -- controld's lease
// deadline on this host's CLOCK_MONOTONIC, which ends before etcd could let the other
// node win (see control.proto and docs/failover.md) -- and never longer than
// valid_for_ms after it arrived. Without a fresh assignment by then, Current() says
// standby, whatever the stream is doing, and the change callback fires at that
// instant. The follower reconnects on its own, so a restarted controld is picked up
// again.
//
// Assignments to a standby may carry the pair's NetFlow templates (from etcd); they
// go to the templates callback, once per revision.
//
// Meant to be linked by ingestd's main() (like the preflight gate), which feeds
// Current() / the change callback to the export side's publisher; it uses only the
// generated control API client, never controld's code.
#ifndef FIREHOSE_CONTROLPLANE_ROLE_ROLE_FOLLOWER_H_
#define FIREHOSE_CONTROLPLANE_ROLE_ROLE_FOLLOWER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/firehose/v1/control.grpc.pb.h"

namespace firehose::role {

struct RoleView {
  bool active = false;
  // The epoch to stamp while active; 0 from a standalone controld (keep the node's own).
  uint64_t epoch = 0;
};

class RoleFollower {
 public:
  // Called from the follower's thread on every change of Current(), including the
  // demotion when an assignment expires.
  using ChangeCallback = std::function<void(const RoleView&)>;
  // Called from the follower's thread with templates bytes and their etcd revision.
  using TemplatesCallback = std::function<void(const std::string&, uint64_t)>;

  // `socket`: controld's unix socket path; `node_id`: this node's config node_id.
  RoleFollower(std::string socket, std::string node_id, ChangeCallback on_change);
  ~RoleFollower();  // Stop()

  // Before Start().
  void OnTemplates(TemplatesCallback on_templates) { on_templates_ = std::move(on_templates); }
  void Start();
  void Stop();

  // Active only until the last ACTIVE assignment's deadline.
  RoleView Current() const;
  // The current assignment's deadline (time_point::min() when standby).
  std::chrono::steady_clock::time_point valid_until() const;

 private:
  void Follow();
  void Expire();
  void Publish(const RoleView& view);

  const std::string socket_;
  const std::string node_id_;
  const ChangeCallback on_change_;
  TemplatesCallback on_templates_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  firehose::v1::Role role_ ABSL_GUARDED_BY(mu_) = firehose::v1::ROLE_STANDBY;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // absl::Now() drifts with the wall clock; validity is measured with a steady clock
  // (CLOCK_MONOTONIC, the clock controld's deadline is on).
  std::chrono::steady_clock::time_point valid_until_ ABSL_GUARDED_BY(mu_);
  RoleView last_published_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<grpc::ClientContext> context_ ABSL_GUARDED_BY(mu_);
  std::thread follower_;
  std::thread expirer_;
};

}  // namespace firehose::role

#endif  // FIREHOSE_CONTROLPLANE_ROLE_ROLE_FOLLOWER_H_
