// RoleFollower (what ingestd links) against a real controld: it is active while
// assignments arrive, demotes itself within the lease TTL after `kill -9` of controld,
// and follows a restarted controld again.
#include "controlplane/role/role_follower.h"

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/subprocess.h"

namespace firehose::role {
namespace {

using testing::Subprocess;

class RoleFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/fh-role.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::filesystem::create_directories(dir_ + "/sys/devices/system/cpu");
    std::ofstream(dir_ + "/sys/devices/system/cpu/online") << "0-7\n";
    config_ = dir_ + "/node.yaml";
    std::ofstream(config_) << "node_id: node-a\n"
                              "eal:\n  args: [\"--no-huge\", \"--no-pci\"]\n"
                              "ports:\n  - device: \"net_null0\"\n"
                              "grpc:\n  listen: \"127.0.0.1:1\"\n"
                              "metrics:\n  listen: \"\"\n";
    socket_ = dir_ + "/controld.sock";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Subprocess StartControld() {
    auto controld = Subprocess::Start({"controlplane/controld/controld", "--config=" + config_,
                                       "--socket=" + socket_, "--preflight_root=" + dir_,
                                       "--lease_ttl_ms=600"});
    EXPECT_TRUE(controld.ok()) << controld.status();
    EXPECT_TRUE(controld->WaitForLine("READY", absl::Seconds(20)).ok());
    return *std::move(controld);
  }

  // Waits until Current().active == active; returns when it was seen.
  static std::optional<absl::Time> WaitFor(const RoleFollower& follower, bool active,
                                           absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (follower.Current().active == active) return absl::Now();
      absl::SleepFor(absl::Milliseconds(5));
    }
    return std::nullopt;
  }

  std::string dir_;
  std::string config_;
  std::string socket_;
};

TEST_F(RoleFollowerTest, DemotesWithinTheTtlWhenControldDiesAndFollowsItsRestart) {
  std::optional<Subprocess> controld = StartControld();
  absl::Mutex mu;
  int changes = 0;
  RoleFollower follower(socket_, "node-a", [&](const RoleView&) {
    absl::MutexLock lock(&mu);
    ++changes;
  });
  follower.Start();
  ASSERT_TRUE(WaitFor(follower, true, absl::Seconds(5)));
  EXPECT_EQ(follower.Current().epoch, 0u);  // standalone: keep the node's own epoch

  // Still active well past one TTL: the refreshes keep it valid.
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_TRUE(follower.Current().active);

  const absl::Time killed = absl::Now();
  controld->Signal(SIGKILL);
  auto demoted = WaitFor(follower, false, absl::Seconds(5));
  ASSERT_TRUE(demoted.has_value());
  std::cout << "ROLE controld kill -9 -> follower standby in "
            << absl::FormatDuration(*demoted - killed) << " (TTL 600ms)\n";
  EXPECT_LE(*demoted - killed, absl::Milliseconds(700));
  controld.reset();

  controld.emplace(StartControld());
  EXPECT_TRUE(WaitFor(follower, true, absl::Seconds(5)));
  absl::MutexLock lock(&mu);
  EXPECT_GE(changes, 3);  // active, standby, active
}

TEST_F(RoleFollowerTest, WrongNodeNeverBecomesActive) {
  Subprocess controld = StartControld();
  RoleFollower follower(socket_, "node-b", nullptr);
  follower.Start();
  EXPECT_FALSE(WaitFor(follower, true, absl::Seconds(1)));
}

}  // namespace
}  // namespace firehose::role
