// The elector against a real etcd on loopback: one leader at a time, epochs that only
// grow, hand-over on stop and on resignation, and a leader cut off from etcd stepping
// down within the lease TTL.
#include "controlplane/etcd/elector.h"

#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/etcd_server.h"

namespace firehose::etcd {
namespace {

using firehose::testing::EtcdServer;

// Records what an elector's callback reported.
class RoleLog {
 public:
  Elector::RoleCallback Callback() {
    return [this](bool active, uint64_t epoch) {
      absl::MutexLock lock(&mu_);
      active_ = active;
      if (active) epochs_.push_back(epoch);
      changed_ = absl::Now();
    };
  }
  // Waits until the role is `active`; returns when it became so, or nullopt on timeout.
  std::optional<absl::Time> WaitFor(bool active, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return active_ == active; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&reached), timeout)) return std::nullopt;
    return changed_;
  }
  bool active() {
    absl::MutexLock lock(&mu_);
    return active_;
  }
  uint64_t last_epoch() {
    absl::MutexLock lock(&mu_);
    return epochs_.empty() ? 0 : epochs_.back();
  }

 private:
  absl::Mutex mu_;
  bool active_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<uint64_t> epochs_ ABSL_GUARDED_BY(mu_);
  absl::Time changed_ ABSL_GUARDED_BY(mu_);
};

Elector::Options OptionsFor(const EtcdServer& etcd, const std::string& node) {
  Elector::Options options;
  options.target = etcd.target();
  options.election = "/firehose/test/leader";
  options.node_id = node;
  options.ttl = absl::Seconds(2);
  options.resign_hold = absl::Seconds(3);
  return options;
}

class ElectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = EtcdServer::Start("elector");
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = *std::move(etcd);
  }
  std::unique_ptr<EtcdServer> etcd_;
};

TEST_F(ElectorTest, OneLeaderAtATimeAndEpochsGrowOnHandOver) {
  RoleLog a_log, b_log;
  auto a = std::make_unique<Elector>(OptionsFor(*etcd_, "node-a"), a_log.Callback());
  a->Start();
  ASSERT_TRUE(a_log.WaitFor(true, absl::Seconds(10)));
  Elector b(OptionsFor(*etcd_, "node-b"), b_log.Callback());
  b.Start();
  absl::SleepFor(absl::Seconds(1));
  EXPECT_FALSE(b_log.active());
  EXPECT_TRUE(a_log.active());
  EXPECT_GT(a->state().lease_remaining, absl::ZeroDuration());

  // A stops: it resigns and revokes its lease, so B need not wait for the TTL.
  const absl::Time stopped = absl::Now();
  a.reset();
  auto promoted = b_log.WaitFor(true, absl::Seconds(5));
  ASSERT_TRUE(promoted.has_value());
  EXPECT_LT(*promoted - stopped, absl::Seconds(1));
  EXPECT_GT(b_log.last_epoch(), a_log.last_epoch());
}

TEST_F(ElectorTest, ResignationHandsTheTermToTheOther) {
  RoleLog a_log, b_log;
  Elector a(OptionsFor(*etcd_, "node-a"), a_log.Callback());
  a.Start();
  ASSERT_TRUE(a_log.WaitFor(true, absl::Seconds(10)));
  Elector b(OptionsFor(*etcd_, "node-b"), b_log.Callback());
  b.Start();
  absl::SleepFor(absl::Milliseconds(500));
  const uint64_t a_epoch = a_log.last_epoch();
  a.Resign();
  auto b_rose = b_log.WaitFor(true, absl::Seconds(5));
  ASSERT_TRUE(b_rose.has_value());
  EXPECT_GT(b_log.last_epoch(), a_epoch);
  // Make-before-break: A steps down after B rose, within its overlap.
  auto a_fell = a_log.WaitFor(false, absl::Seconds(3));
  ASSERT_TRUE(a_fell.has_value());
  EXPECT_GE(*a_fell, *b_rose);
  // After its hold, A campaigns again but stays standby behind B.
  absl::SleepFor(absl::Seconds(4));
  EXPECT_FALSE(a_log.active());
  EXPECT_TRUE(b_log.active());
}

TEST_F(ElectorTest, LeaderCutOffFromEtcdStepsDownWithinTheTtl) {
  RoleLog log;
  Elector a(OptionsFor(*etcd_, "node-a"), log.Callback());
  a.Start();
  ASSERT_TRUE(log.WaitFor(true, absl::Seconds(10)));
  const uint64_t first_epoch = log.last_epoch();
  absl::SleepFor(absl::Milliseconds(300));
  const absl::Time cut = absl::Now();
  etcd_->Freeze();
  auto demoted = log.WaitFor(false, absl::Seconds(5));
  ASSERT_TRUE(demoted.has_value());
  EXPECT_LT(*demoted - cut, absl::Seconds(2)) << "demoted after " << (*demoted - cut);
  etcd_->Thaw();
  // Back in touch: a new term with a larger epoch.
  ASSERT_TRUE(log.WaitFor(true, absl::Seconds(15)));
  EXPECT_GT(log.last_epoch(), first_epoch);
}

}  // namespace
}  // namespace firehose::etcd
