// controld for real: started as a process against a fixture tree, spoken to over its
// unix socket with the generated Control client and with `ingestctl status`. No ingestd
// runs, so health must say DOWN with the reason; the role is ACTIVE (no etcd: a single
// node runs active) and is pushed to WatchRole streams every third of the lease TTL.
#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "controlplane/controld/health_monitor.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/firehose/v1/control.grpc.pb.h"
#include "tests/controlplane/sysfs_fixture.h"
#include "tests/support/subprocess.h"

namespace firehose {
namespace {

using testing::Subprocess;
using testing::SysfsFixture;

class ControldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fixture_ = std::make_unique<SysfsFixture>(SysfsFixture::GoodMachine("controld"));
    config_ = fixture_->root() + "/ingestd.yaml";
    // Port 1 on loopback: nothing listens there, so ingestd counts as down.
    std::ofstream(config_) << "node_id: node-a\n"
                              "eal:\n  args: [\"--in-memory\"]\n"
                              "ports:\n  - device: \"0000:3b:00.0\"\n    rx_queues: 2\n"
                              "lcores:\n  main: 0\n  workers: [2, 3]\n"
                              "grpc:\n  listen: \"127.0.0.1:1\"\n"
                              "metrics:\n  listen: \"\"\n";
    // $TEST_TMPDIR is too deep for a unix socket path (108 bytes at most).
    char dir[] = "/tmp/fh-controld.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    socket_dir_ = dir;
    socket_ = socket_dir_ + "/controld.sock";
    absl::StatusOr<Subprocess> controld = Subprocess::Start(
        {"controlplane/controld/controld", "--config=" + config_, "--socket=" + socket_,
         "--preflight_root=" + fixture_->root(), "--lease_ttl_ms=600",
         "--health_interval_ms=100", "--metrics_listen=127.0.0.1:0"});
    ASSERT_TRUE(controld.ok()) << controld.status();
    controld_.emplace(*std::move(controld));
    absl::StatusOr<std::string> ready = controld_->WaitForLine("READY", absl::Seconds(20));
    ASSERT_TRUE(ready.ok()) << ready.status();
    const std::string prefix = "READY control=unix:" + socket_ + " metrics=";
    ASSERT_TRUE(absl::StartsWith(*ready, prefix)) << *ready;
    metrics_ = ready->substr(prefix.size());
    stub_ = v1::Control::NewStub(
        grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    controld_.reset();  // kills it if still running
    std::filesystem::remove_all(socket_dir_);
  }

  std::unique_ptr<SysfsFixture> fixture_;
  std::string config_;
  std::string socket_dir_;
  std::string metrics_;  // controld's /metrics host:port
  std::string socket_;
  std::optional<Subprocess> controld_;
  std::unique_ptr<v1::Control::Stub> stub_;
};

TEST_F(ControldTest, SocketIsOwnerOnly) {
  struct stat st = {};
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ControldTest, StatusIsActiveStandaloneAndHealthDownWithoutIngestd) {
  // Let the health loop measure at least once.
  absl::SleepFor(absl::Milliseconds(500));
  grpc::ClientContext context;
  v1::NodeStatus status;
  ASSERT_TRUE(stub_->GetStatus(&context, v1::GetStatusRequest(), &status).ok());
  EXPECT_EQ(status.node_id(), "node-a");
  EXPECT_EQ(status.role(), v1::ROLE_ACTIVE);
  EXPECT_EQ(status.epoch(), 0u);
  EXPECT_EQ(status.election(), "standalone");
  EXPECT_EQ(status.lease_ttl_ms(), 600u);
  EXPECT_EQ(status.preflight_failed(), 0u);
  EXPECT_EQ(status.health().state(), v1::Health::DOWN);
  ASSERT_GE(status.health().reasons_size(), 1);
  EXPECT_TRUE(absl::StrContains(status.health().reasons(0), "127.0.0.1:1"))
      << status.health().reasons(0);
}

TEST_F(ControldTest, MetricsShowRoleEpochAndHealth) {
  absl::SleepFor(absl::Milliseconds(500));
  absl::StatusOr<std::string> text = controld::ScrapeMetrics(metrics_, absl::Seconds(5));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_TRUE(absl::StrContains(*text, "firehose_controld_active{node=\"node-a\"} 1")) << *text;
  EXPECT_TRUE(absl::StrContains(*text, "firehose_controld_epoch{node=\"node-a\"} 0")) << *text;
  EXPECT_TRUE(absl::StrContains(*text, "firehose_controld_health{node=\"node-a\",state=\"down\"} 1"))
      << *text;
  EXPECT_TRUE(
      absl::StrContains(*text, "firehose_controld_health{node=\"node-a\",state=\"healthy\"} 0"))
      << *text;
}

TEST_F(ControldTest, RunPreflightReportsTheFixtureMachine) {
  grpc::ClientContext context;
  v1::PreflightReport report;
  ASSERT_TRUE(stub_->RunPreflight(&context, v1::RunPreflightRequest(), &report).ok());
  EXPECT_TRUE(report.ok());
  bool saw_driver = false;
  for (const v1::PreflightCheck& check : report.checks()) {
    if (check.name() == "driver") {
      saw_driver = true;
      EXPECT_EQ(check.subject(), "0000:3b:00.0");
      EXPECT_EQ(check.verdict(), v1::PreflightCheck::PASS);
    }
  }
  EXPECT_TRUE(saw_driver);

  // Break the machine: the next run and the status both show it.
  fixture_->SetDriver("0000:3b:00.0", "ixgbe");
  grpc::ClientContext again;
  ASSERT_TRUE(stub_->RunPreflight(&again, v1::RunPreflightRequest(), &report).ok());
  EXPECT_FALSE(report.ok());
  grpc::ClientContext status_context;
  v1::NodeStatus status;
  ASSERT_TRUE(stub_->GetStatus(&status_context, v1::GetStatusRequest(), &status).ok());
  EXPECT_EQ(status.preflight_failed(), 1u);
}

TEST_F(ControldTest, WatchRoleRefreshesEveryThirdOfTheTtl) {
  grpc::ClientContext context;
  v1::WatchRoleRequest request;
  request.set_node_id("node-a");
  auto reader = stub_->WatchRole(&context, request);
  const absl::Time start = absl::Now();
  v1::RoleAssignment assignment;
  for (uint64_t i = 1; i <= 4; ++i) {
    ASSERT_TRUE(reader->Read(&assignment));
    EXPECT_EQ(assignment.sequence(), i);
    EXPECT_EQ(assignment.role(), v1::ROLE_ACTIVE);
    EXPECT_EQ(assignment.valid_for_ms(), 600u);
  }
  // 4 assignments = the first at once + 3 refreshes of 200 ms.
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(550));
  EXPECT_LT(took, absl::Milliseconds(1500));
  context.TryCancel();
}

TEST_F(ControldTest, WatchRoleForAnotherNodeIsRefused) {
  grpc::ClientContext context;
  v1::WatchRoleRequest request;
  request.set_node_id("node-b");
  auto reader = stub_->WatchRole(&context, request);
  v1::RoleAssignment assignment;
  EXPECT_FALSE(reader->Read(&assignment));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "node-a")) << status.error_message();
}

TEST_F(ControldTest, IngestctlStatusPrintsTheNodeAndReasons) {
  absl::SleepFor(absl::Milliseconds(300));
  absl::StatusOr<Subprocess> ctl =
      Subprocess::Start({"controlplane/ingestctl/ingestctl", "status", socket_});
  ASSERT_TRUE(ctl.ok());
  absl::StatusOr<std::string> header = ctl->WaitForLine("NODE", absl::Seconds(10));
  ASSERT_TRUE(header.ok()) << header.status();
  absl::StatusOr<std::string> row = ctl->WaitForLine("node-a", absl::Seconds(10));
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_TRUE(absl::StrContains(*row, "active")) << *row;
  EXPECT_TRUE(absl::StrContains(*row, "down")) << *row;
  absl::StatusOr<std::string> reason = ctl->WaitForLine("    ingestd does not answer",
                                                        absl::Seconds(10));
  EXPECT_TRUE(reason.ok()) << reason.status();
  EXPECT_EQ(ctl->Wait(absl::Seconds(10)).value_or(-1), 0);

  // An unreachable controld: a row that says so and exit 1.
  absl::StatusOr<Subprocess> missing = Subprocess::Start(
      {"controlplane/ingestctl/ingestctl", "status", "--timeout=1", socket_ + ".nope"});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->WaitForLine(socket_ + ".nope", absl::Seconds(10)).ok());
  EXPECT_EQ(missing->Wait(absl::Seconds(10)).value_or(-1), 1);
}

TEST_F(ControldTest, SigtermEndsStreamsExitsZeroAndRemovesTheSocket) {
  grpc::ClientContext context;
  v1::WatchRoleRequest request;
  request.set_node_id("node-a");
  auto reader = stub_->WatchRole(&context, request);
  v1::RoleAssignment assignment;
  ASSERT_TRUE(reader->Read(&assignment));
  controld_->Signal(SIGTERM);
  EXPECT_EQ(controld_->Wait(absl::Seconds(10)).value_or(-1), 0);
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

}  // namespace
}  // namespace firehose
