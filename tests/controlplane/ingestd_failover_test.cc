// ingestd following controld end to end: a real etcd on loopback, two controld and two
// ingestd (kernel backend, each on its own loopback UDP port, --control_socket to its
// controld). Only the active publishes; the standby drops what it receives and counts
// it. After `kill -9` of the active's controld, the standby is promoted and publishes
// within seconds (the time is measured and printed), and the old active demotes itself
// once its last assignment is no longer valid.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/etcd_server.h"
#include "tests/support/ingestd_process.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/record_collector.h"
#include "tests/support/subprocess.h"

namespace firehose {
namespace {

using testing::EtcdServer;
using testing::Subprocess;


// One node of the pair: controld, and ingestd following it, with a subscriber.
struct PairNode {
  std::string id;
  uint16_t udp_port = 0;
  std::optional<Subprocess> controld;
  std::optional<testing::IngestdProcess> ingestd;
  std::unique_ptr<testing::RecordCollector> collector;

  double Metric(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    absl::StatusOr<std::string> page = testing::HttpGet(ingestd->metrics_address, "/metrics");
    if (!page.ok()) return -1;
    return testing::SumSamples(testing::ParsePrometheusText(*page), name, labels);
  }
};

class IngestdFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = EtcdServer::Start("ingestd-failover");
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = *std::move(etcd);
    char dir[] = "/tmp/fh-ingfail.XXXXXX";  // unix socket paths must stay short
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::filesystem::create_directories(dir_ + "/sys/devices/system/cpu");
    std::ofstream(dir_ + "/sys/devices/system/cpu/online") << "0-7\n";
    sender_ = socket(AF_INET, SOCK_DGRAM, 0);
    for (PairNode* node : {&a_, &b_}) StartNode(node, node == &a_ ? "node-a" : "node-b");
  }

  void TearDown() override {
    for (PairNode* node : {&a_, &b_}) {
      node->collector.reset();
      node->ingestd.reset();
      node->controld.reset();
    }
    if (sender_ >= 0) close(sender_);
    etcd_.reset();
    std::filesystem::remove_all(dir_);
  }

  void StartNode(PairNode* node, const std::string& id) {
    node->id = id;
    node->udp_port = testing::FreeLoopbackPort(SOCK_DGRAM);
    const std::string config = absl::StrCat(dir_, "/", id, ".yaml");
    // controld checks the node's config; the kernel backend needs no hugepages or NIC.
    std::ofstream(config) << "node_id: " << id << "\n"
                          << "backend: kernel\n"
                          << "kernel:\n  bind_address: 127.0.0.1\n  workers: 1\n"
                          << "decoders:\n  '" << node->udp_port << "': statsd\n"
                          << "batch:\n  max_records: 50\n  max_delay_us: 2000\n"
                          << "grpc:\n  listen: 127.0.0.1:0\n"
                          << "metrics:\n  listen: 127.0.0.1:0\n";
    const std::string socket = absl::StrCat(dir_, "/", id, ".sock");
    auto controld = Subprocess::Start(
        {"controlplane/controld/controld", "--config=" + config, "--socket=" + socket,
         "--etcd=" + etcd_->target(), "--election=/firehose/pairs/ingest/leader",
         "--lease_ttl_ms=2000", "--health_interval_ms=200", "--preflight_root=" + dir_});
    ASSERT_TRUE(controld.ok()) << controld.status();
    node->controld.emplace(*std::move(controld));
    ASSERT_TRUE(node->controld->WaitForLine("READY", absl::Seconds(20)).ok());
    absl::StatusOr<testing::IngestdProcess> ingestd =
        testing::StartIngestd("node/ingestd", config, {"--control_socket=" + socket});
    ASSERT_TRUE(ingestd.ok()) << ingestd.status();
    node->ingestd.emplace(*std::move(ingestd));
    node->collector = std::make_unique<testing::RecordCollector>(node->ingestd->grpc_address);
  }

  // One statsd datagram to each node, as a load balancer spraying both would.
  void SendToBoth() {
    for (const PairNode* node : {&a_, &b_}) {
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(node->udp_port);
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      const std::string payload = absl::StrCat("failover.m", ++sent_, ":1|c");
      sendto(sender_, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
             sizeof(to));
    }
  }

  // Sends until `node`'s subscriber has received at least `records`; bounded.
  bool SendUntilReceived(PairNode* node, size_t records, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      SendToBoth();
      if (node->collector->records().size() >= records) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  std::unique_ptr<EtcdServer> etcd_;
  std::string dir_;
  int sender_ = -1;
  uint64_t sent_ = 0;
  PairNode a_;
  PairNode b_;
};

TEST_F(IngestdFailoverTest, OnlyTheActivePublishesAndTheStandbyTakesOverAfterKillNine) {
  // Settle: whichever node's subscriber gets records first is the active.
  PairNode* active = nullptr;
  const absl::Time settle_deadline = absl::Now() + absl::Seconds(20);
  while (active == nullptr && absl::Now() < settle_deadline) {
    SendToBoth();
    if (!a_.collector->records().empty()) active = &a_;
    if (!b_.collector->records().empty()) active = active == nullptr ? &b_ : nullptr;
    if (!a_.collector->records().empty() && !b_.collector->records().empty()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_NE(active, nullptr) << "no single active: a=" << a_.collector->records().size()
                             << " b=" << b_.collector->records().size();
  PairNode* standby = active == &a_ ? &b_ : &a_;

  // A second of traffic: the active publishes, the standby drops and counts.
  for (int i = 0; i < 50; ++i) {
    SendToBoth();
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(standby->collector->records().empty());
  EXPECT_GT(active->collector->records().size(), 40u);
  EXPECT_EQ(active->Metric("firehose_role", {{"role", "active"}}), 1);
  EXPECT_EQ(standby->Metric("firehose_role", {{"role", "standby"}}), 1);
  EXPECT_GT(standby->Metric("firehose_batch_dropped_records_total", {{"reason", "standby"}}), 40);
  EXPECT_EQ(standby->Metric("firehose_published_records_total"), 0);

  // kill -9 of the active's controld: its lease lapses, the standby's controld wins the
  // election, and the standby's ingestd publishes.
  const absl::Time killed = absl::Now();
  active->controld->Signal(SIGKILL);
  ASSERT_TRUE(SendUntilReceived(standby, 1, absl::Seconds(15)))
      << "the standby never published after the active's controld was killed";
  const absl::Duration takeover = absl::Now() - killed;
  std::cout << "standby ingestd published " << absl::FormatDuration(takeover)
            << " after kill -9 of the active's controld (lease TTL 2s)" << std::endl;
  EXPECT_LT(takeover, absl::Seconds(10));
  EXPECT_EQ(standby->Metric("firehose_role", {{"role", "active"}}), 1);

  // The old active has no valid assignment any more (its controld is gone): it must
  // have demoted itself, so that the pair never publishes twice for long.
  const absl::Time demote_deadline = absl::Now() + absl::Seconds(10);
  while (active->Metric("firehose_role", {{"role", "standby"}}) != 1 &&
         absl::Now() < demote_deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(active->Metric("firehose_role", {{"role", "standby"}}), 1);
  const size_t old_active_records = active->collector->records().size();
  for (int i = 0; i < 25; ++i) {
    SendToBoth();
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(active->collector->records().size(), old_active_records);
  EXPECT_GT(standby->collector->records().size(), 20u);
}

}  // namespace
}  // namespace firehose
