// Active/standby election through etcd's v3 API: a lease with a short TTL kept alive
// by this process, and the Election service's Campaign on it. The campaign that wins
// makes this node ACTIVE with epoch = the revision of its leader key, which etcd only
// ever increases, so every term of every node has a larger epoch than the last: the
// fencing token stamped on batches.
//
// Safety: a leader that cannot refresh its lease demotes itself (reports STANDBY)
// once two refreshes in a row failed (2/3 of the TTL), before etcd can expire the lease
// and let the other node win. Independently, State::active_deadline bounds the term on
// the monotonic clock: (send time of the last keepalive etcd answered) + TTL - margin.
// etcd restarts a lease's TTL when it receives a keepalive, never before it was sent,
// so the lease -- and with it this node's leadership -- cannot end in etcd before that
// deadline + margin; controld hands the deadline to ingestd, which stops publishing at
// it even if controld is dead or cut off (docs/failover.md).
//
// Planned hand-over (Resign, drain) is make-before-break: the leader resigns in etcd
// but keeps reporting ACTIVE in its own epoch until another node leads (or
// handover_wait passes) and then for handover_overlap more, so the new active is
// publishing, in a higher epoch, before the old one stops. Both never share an epoch.
// A node that resigns stays out of the next campaign for `resign_hold`, so the other
// node gets the term.
#ifndef FIREHOSE_CONTROLPLANE_ETCD_ELECTOR_H_
#define FIREHOSE_CONTROLPLANE_ETCD_ELECTOR_H_

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

namespace firehose::etcd {

class Elector {
 public:
  struct Options {
    // gRPC target of etcd: "127.0.0.1:2379", or "ipv4:10.0.0.1:2379,10.0.0.2:2379".
    std::string target;
    // Election name shared by the two nodes of a pair, e.g. "/firehose/pairs/a/leader".
    std::string election;
    // This node's id, stored as the leader key's value (who leads, for operators).
    std::string node_id;
    // Lease TTL; etcd counts whole seconds, so it is rounded up.
    absl::Duration ttl = absl::Seconds(2);
    // After a resignation, how long not to campaign.
    absl::Duration resign_hold = absl::Seconds(4);
    // Taken off the lease's end for active_deadline: the follower's reaction time and
    // clock-rate drift between this host and etcd's.
    absl::Duration deadline_margin = absl::Milliseconds(100);
    // Planned hand-over: how long to wait for another leader, then how long to keep
    // publishing beside it.
    absl::Duration handover_wait = absl::Seconds(2);
    absl::Duration handover_overlap = absl::Milliseconds(300);
  };

  struct State {
    bool active = false;
    bool drained = false;
    uint64_t epoch = 0;
    // Time left on the lease as of the last successful refresh; zero without a lease.
    absl::Duration lease_remaining = absl::ZeroDuration();
    std::string last_error;
    // While active: the end of the term on the steady (CLOCK_MONOTONIC) clock, see the
    // file comment.
    std::chrono::steady_clock::time_point active_deadline;
    // While active: the leader key in etcd (its create revision is the epoch), for
    // writes fenced by leadership.
    std::string leader_key;
  };

  // Called from the elector's thread on every change of role or epoch.
  using RoleCallback = std::function<void(bool active, uint64_t epoch)>;

  Elector(Options options, RoleCallback on_change);
  ~Elector();  // Stop()

  void Start();
  // Resigns if active and stops campaigning; returns when the thread has ended.
  void Stop();
  // Gives up leadership now (if active) and sits out for resign_hold.
  void Resign();
  // Drained: leadership is given up and no campaign runs until undrained.
  void SetDrained(bool drained);

  State state() const;

 private:
  void Run();
  // One lease's life: grant, keep alive, campaign, lead until lost or resigned.
  void RunTerm();
  void KeepAlive(int64_t lease_id, std::shared_ptr<grpc::ClientContext> campaign);
  void SetActive(bool active, uint64_t epoch, const std::string& leader_key = "");
  // Planned hand-over: resign in etcd, wait for the next leader and overlap with it.
  // Returns false when the lease was lost meanwhile.
  bool HandOver(const std::string& election_leader_key);
  bool Stopping() const;

  const Options options_;
  const RoleCallback on_change_;
  std::shared_ptr<grpc::Channel> channel_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool resign_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool drained_ ABSL_GUARDED_BY(mu_) = false;
  bool lease_lost_ ABSL_GUARDED_BY(mu_) = false;
  State state_ ABSL_GUARDED_BY(mu_);
  // When the last keepalive (or the grant) etcd answered was SENT; steady clock.
  std::chrono::steady_clock::time_point last_refresh_ ABSL_GUARDED_BY(mu_);
  int64_t lease_ttl_seconds_ ABSL_GUARDED_BY(mu_) = 0;
  // The call in flight that Stop/Resign/lease loss must be able to cancel.
  std::shared_ptr<grpc::ClientContext> campaign_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace firehose::etcd

#endif  // FIREHOSE_CONTROLPLANE_ETCD_ELECTOR_H_
