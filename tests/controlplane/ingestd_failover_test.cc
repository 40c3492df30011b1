// ingestd following controld end to end: a real etcd on loopback, two controld and two
// ingestd (kernel backend, each on its own loopback UDP ports, --control_socket to its
// controld), every published batch recorded by a subscriber of each node. Covers:
//   - only the active publishes; kill -9 of the active's controld promotes the standby;
//   - kill -9 of the active's INGESTD: controld sees it DOWN, resigns, and the standby
//     publishes within 3 s (measured);
//   - a planned failover (ingestctl failover) loses no record for a subscriber that
//     follows both nodes, with statsd packets mirrored to both (as a service IP would
//     deliver to whichever is active); duplicates are counted;
//   - across several failovers of every kind, no epoch is ever published by two nodes;
//   - an active cut off from etcd stops publishing within the lease TTL (measured);
//   - a promoted standby decodes NetFlow v9 data records whose template it learned
//     only through etcd.
// Figures are printed as "FIGURE name value" lines for docs/failover.md.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "controlplane/etcd/template_store.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "node/decode/flow_packet_builder.h"
#include "proto/firehose/v1/control.grpc.pb.h"
#include "tests/controlplane/batch_log.h"
#include "tests/controlplane/etcd_server.h"
#include "tests/controlplane/pair_dir.h"
#include "tests/support/ingestd_process.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/subprocess.h"

namespace firehose {
namespace {

using testing::BatchLog;
using testing::BatchSeen;
using testing::EtcdServer;
using testing::Subprocess;

constexpr char kElection[] = "/firehose/pairs/ingest/leader";
constexpr absl::Duration kTtl = absl::Seconds(2);

// One node of the pair: controld, and ingestd following it, with a subscriber per
// ingestd incarnation.
struct PairNode {
  std::string id;
  std::string config;
  std::string socket;
  uint16_t statsd_port = 0;
  uint16_t flow_port = 0;
  std::optional<Subprocess> controld;
  std::optional<testing::IngestdProcess> ingestd;
  std::vector<std::unique_ptr<BatchLog>> logs;  // the last is the live one

  BatchLog& log() { return *logs.back(); }

  double Metric(const std::string& name,
                const std::map<std::string, std::string>& labels = {}) const {
    absl::StatusOr<std::string> page = testing::HttpGet(ingestd->metrics_address, "/metrics");
    if (!page.ok()) return -1;
    return testing::SumSamples(testing::ParsePrometheusText(*page), name, labels);
  }

  // Highest epoch any of this node's batches carried; 0 when none.
  uint64_t MaxEpoch() {
    uint64_t epoch = 0;
    for (auto& log : logs) {
      for (const BatchSeen& b : log->batches()) epoch = std::max(epoch, b.epoch);
    }
    return epoch;
  }

  v1::NodeStatus Status() {
    auto stub = v1::Control::NewStub(
        grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    v1::NodeStatus status;
    (void)stub->GetStatus(&context, v1::GetStatusRequest(), &status);
    return status;
  }
};

class IngestdFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = EtcdServer::Start("ingestd-failover");
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = *std::move(etcd);
    std::optional<std::string> dir = testing::MakePairDir("ingfail");
    ASSERT_TRUE(dir.has_value());
    dir_ = *dir;
    sender_ = socket(AF_INET, SOCK_DGRAM, 0);
    for (PairNode* node : {&a_, &b_}) {
      ConfigureNode(node, node == &a_ ? "node-a" : "node-b");
      // ingestd first (standby until its controld appears; the follower reconnects):
      // a controld that wins before its ingestd answers would see it DOWN and resign,
      // and sit out the next campaign.
      ASSERT_NO_FATAL_FAILURE(StartIngestd(node));
      ASSERT_NO_FATAL_FAILURE(StartControld(node));
    }
  }

  void TearDown() override {
    StopTraffic();
    // Whatever the test did: no epoch was ever published by two nodes.
    ExpectOneNodePerEpoch();
    for (PairNode* node : {&a_, &b_}) {
      node->logs.clear();
      node->ingestd.reset();
      node->controld.reset();
    }
    if (sender_ >= 0) close(sender_);
    etcd_.reset();
    std::filesystem::remove_all(dir_);
  }

  void ConfigureNode(PairNode* node, const std::string& id) {
    node->id = id;
    node->statsd_port = testing::FreeLoopbackPort(SOCK_DGRAM);
    node->flow_port = testing::FreeLoopbackPort(SOCK_DGRAM);
    node->config = absl::StrCat(dir_, "/", id, ".yaml");
    node->socket = absl::StrCat(dir_, "/", id, ".sock");
    // controld checks the node's config; the kernel backend needs no hugepages or NIC.
    // Fixed TCP ports: controld health-checks ingestd there, also after a restart.
    std::ofstream(node->config) << "node_id: " << id << "\n"
                                << "backend: kernel\n"
                                << "kernel:\n  bind_address: 127.0.0.1\n  workers: 1\n"
                                << "decoders:\n  '" << node->statsd_port << "': statsd\n"
                                << "  '" << node->flow_port << "': netflow\n"
                                << "batch:\n  max_records: 50\n  max_delay_us: 2000\n"
                                << "grpc:\n  listen: 127.0.0.1:"
                                << testing::FreeLoopbackPort(SOCK_STREAM) << "\n"
                                << "metrics:\n  listen: 127.0.0.1:"
                                << testing::FreeLoopbackPort(SOCK_STREAM) << "\n";
  }

  void StartControld(PairNode* node) {
    // Health every 200 ms and resignation after 400 ms unhealthy: the kill -9 of an
    // ingestd is noticed within a few hundred milliseconds.
    auto controld = Subprocess::Start(
        {"controlplane/controld/controld", "--config=" + node->config, "--socket=" + node->socket,
         "--etcd=" + etcd_->target(), std::string("--election=") + kElection,
         absl::StrCat("--lease_ttl_ms=", absl::ToInt64Milliseconds(kTtl)),
         "--health_interval_ms=200", "--resign_unhealthy_after_ms=400",
         "--preflight_root=" + dir_});
    ASSERT_TRUE(controld.ok()) << controld.status();
    node->controld.emplace(*std::move(controld));
    ASSERT_TRUE(node->controld->WaitForLine("READY", absl::Seconds(20)).ok());
  }

  void StartIngestd(PairNode* node) {
    absl::StatusOr<testing::IngestdProcess> ingestd =
        testing::StartIngestd("node/ingestd", node->config, {"--control_socket=" + node->socket});
    ASSERT_TRUE(ingestd.ok()) << ingestd.status();
    node->ingestd.emplace(*std::move(ingestd));
    node->logs.push_back(std::make_unique<BatchLog>(node->ingestd->grpc_address));
  }

  void SendTo(uint16_t port, const std::string& payload) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sendto(sender_, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
           sizeof(to));
  }

  // Statsd counter "n.<N>" to both nodes, as a service IP would deliver to either.
  void SendNumbered(uint64_t n) {
    const std::string payload = absl::StrCat("n.", n, ":1|c");
    for (const PairNode* node : {&a_, &b_}) SendTo(node->statsd_port, payload);
  }

  // A background sender of numbered packets to both nodes, one pair every `every`.
  void StartTraffic(absl::Duration every = absl::Milliseconds(2)) {
    traffic_stop_ = false;
    traffic_ = std::thread([this, every] {
      while (!traffic_stop_.load()) {
        SendNumbered(++sent_);
        absl::SleepFor(every);
      }
    });
  }
  void StopTraffic() {
    traffic_stop_ = true;
    if (traffic_.joinable()) traffic_.join();
  }

  // Sends until the pair is settled: both controlds see their ingestd HEALTHY, exactly
  // one is ACTIVE, and its ingestd publishes in that epoch. (A controld that starts
  // before its ingestd may resign once at start: it saw it DOWN.) Returns {active,
  // standby}.
  std::pair<PairNode*, PairNode*> Settle() {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      SendNumbered(++sent_);
      absl::SleepFor(absl::Milliseconds(20));
      const v1::NodeStatus a = a_.Status();
      const v1::NodeStatus b = b_.Status();
      if (a.health().state() != v1::Health::HEALTHY || b.health().state() != v1::Health::HEALTHY ||
          (a.role() == v1::ROLE_ACTIVE) == (b.role() == v1::ROLE_ACTIVE)) {
        continue;
      }
      PairNode* active = a.role() == v1::ROLE_ACTIVE ? &a_ : &b_;
      PairNode* standby = active == &a_ ? &b_ : &a_;
      const uint64_t epoch = active == &a_ ? a.epoch() : b.epoch();
      if (active->MaxEpoch() == epoch && standby->MaxEpoch() < epoch) {
        standby_batches_at_settle_ = standby->log().batches().size();
        return {active, standby};
      }
    }
    ADD_FAILURE() << "the pair did not settle: a=" << a_.log().batches().size()
                  << " b=" << b_.log().batches().size();
    return {nullptr, nullptr};
  }

  int RunIngestctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"controlplane/ingestctl/ingestctl"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto process = Subprocess::Start(argv);
    if (!process.ok()) return -1;
    absl::StatusOr<int> code = process->Wait(absl::Seconds(20));
    return code.ok() ? *code : -1;
  }

  // Waits until `node`'s controld reports its ingestd HEALTHY (ingestctl failover
  // refuses an unhealthy target).
  bool WaitHealthy(PairNode* node, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (node->Status().health().state() == v1::Health::HEALTHY) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

  void ExpectOneNodePerEpoch() {
    std::map<uint64_t, std::set<std::string>> publishers;
    for (PairNode* node : {&a_, &b_}) {
      for (auto& log : node->logs) {
        for (const BatchSeen& b : log->batches()) {
          publishers[b.epoch].insert(b.node_id);
          EXPECT_EQ(b.node_id, node->id) << "a node's subscriber got another node's batch";
        }
      }
    }
    for (const auto& [epoch, nodes] : publishers) {
      EXPECT_EQ(nodes.size(), 1u) << "epoch " << epoch << " was published by " << nodes.size()
                                  << " nodes";
    }
    epochs_seen_ = publishers.size();
  }

  std::unique_ptr<EtcdServer> etcd_;
  std::string dir_;
  int sender_ = -1;
  std::atomic<uint64_t> sent_{0};
  std::atomic<bool> traffic_stop_{false};
  std::thread traffic_;
  size_t epochs_seen_ = 0;
  size_t standby_batches_at_settle_ = 0;
  PairNode a_;
  PairNode b_;
};

TEST_F(IngestdFailoverTest, OnlyTheActivePublishesAndTheStandbyTakesOverAfterKillNineOfControld) {
  auto [active, standby] = Settle();
  ASSERT_NE(active, nullptr);
  // Traffic to both: the active publishes, the standby drops and counts.
  StartTraffic(absl::Milliseconds(20));
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(standby->log().batches().size(), standby_batches_at_settle_);
  EXPECT_EQ(active->Metric("firehose_role", {{"role", "active"}}), 1);
  EXPECT_EQ(standby->Metric("firehose_role", {{"role", "standby"}}), 1);
  EXPECT_GT(standby->Metric("firehose_batch_dropped_records_total", {{"reason", "standby"}}), 20);

  // kill -9 of the active's controld: its lease lapses, the standby's controld wins
  // the election, and the standby's ingestd publishes in a higher epoch.
  const uint64_t old_epoch = active->MaxEpoch();
  const absl::Time killed = absl::Now();
  active->controld->Signal(SIGKILL);
  std::optional<BatchSeen> first = standby->log().WaitForEpochAbove(old_epoch, absl::Seconds(15));
  ASSERT_TRUE(first.has_value()) << "the standby never published after kill -9 of controld";
  std::cout << "FIGURE kill9_controld_to_standby_batch_ms "
            << absl::ToInt64Milliseconds(first->at - killed) << std::endl;
  EXPECT_LT(first->at - killed, absl::Seconds(5));
  // The old active stopped at its lease deadline, before the new term began: its last
  // batch arrived before the new active's first (both subscribers on this host).
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(active->Metric("firehose_role", {{"role", "standby"}}), 1);
  absl::Time last_old = absl::InfinitePast();
  for (const BatchSeen& b : active->log().batches()) last_old = std::max(last_old, b.at);
  std::cout << "FIGURE kill9_controld_gap_between_terms_ms "
            << absl::ToInt64Milliseconds(first->at - last_old) << std::endl;
  EXPECT_LT(last_old, first->at);
}

TEST_F(IngestdFailoverTest, KillNineOfTheActiveIngestdHandsOverWithinThreeSeconds) {
  auto [active, standby] = Settle();
  ASSERT_NE(active, nullptr);
  StartTraffic(absl::Milliseconds(10));
  absl::SleepFor(absl::Milliseconds(500));
  const uint64_t old_epoch = active->MaxEpoch();
  const absl::Time killed = absl::Now();
  active->ingestd->process.Signal(SIGKILL);
  std::optional<BatchSeen> first = standby->log().WaitForEpochAbove(old_epoch, absl::Seconds(10));
  ASSERT_TRUE(first.has_value()) << "the standby never published after kill -9 of ingestd";
  const absl::Duration took = first->at - killed;
  std::cout << "FIGURE kill9_ingestd_to_standby_batch_ms " << absl::ToInt64Milliseconds(took)
            << std::endl;
  EXPECT_LT(took, absl::Seconds(3));
  // controld said why: its ingestd was DOWN, and it gave the term up (after the
  // hand-over's overlap).
  v1::NodeStatus status = active->Status();
  for (int i = 0; i < 40 && status.role() != v1::ROLE_STANDBY; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    status = active->Status();
  }
  EXPECT_EQ(status.health().state(), v1::Health::DOWN);
  EXPECT_EQ(status.role(), v1::ROLE_STANDBY);
}

TEST_F(IngestdFailoverTest, PlannedFailoverLosesNoRecordForASubscriberOfBothNodes) {
  auto [active, standby] = Settle();
  ASSERT_NE(active, nullptr);
  const uint64_t first_number = sent_.load() + 1;
  StartTraffic(absl::Milliseconds(2));
  absl::SleepFor(absl::Seconds(1));
  const uint64_t old_epoch = active->MaxEpoch();
  const absl::Time asked = absl::Now();
  ASSERT_EQ(RunIngestctl({"failover", a_.socket, b_.socket}), 0);
  std::optional<BatchSeen> first = standby->log().WaitForEpochAbove(old_epoch, absl::Seconds(5));
  ASSERT_TRUE(first.has_value());
  std::cout << "FIGURE planned_failover_to_standby_batch_ms "
            << absl::ToInt64Milliseconds(first->at - asked) << std::endl;
  absl::SleepFor(absl::Seconds(1));
  StopTraffic();
  absl::SleepFor(absl::Milliseconds(500));  // the last batches reach the subscribers
  const uint64_t last_number = sent_.load();

  // The subscriber follows both nodes and takes each node's batches in that node's
  // highest epoch so far (a node never goes back to an older one).
  std::map<uint64_t, int> received;
  uint64_t old_last = 0, new_first = 0;
  for (PairNode* node : {active, standby}) {
    uint64_t highest = 0;
    for (const BatchSeen& b : node->log().batches()) {
      if (b.epoch < highest) continue;
      highest = b.epoch;
      for (uint64_t n : b.numbers) {
        ++received[n];
        if (node == active) old_last = std::max(old_last, n);
        if (node == standby && (new_first == 0 || n < new_first)) new_first = n;
      }
    }
  }
  EXPECT_GT(standby->MaxEpoch(), old_epoch) << "the new active must publish in a higher epoch";
  std::vector<uint64_t> missing;
  int duplicates = 0;
  for (uint64_t n = first_number; n <= last_number; ++n) {
    auto it = received.find(n);
    if (it == received.end()) {
      missing.push_back(n);
    } else if (it->second > 1) {
      ++duplicates;
    }
  }
  std::cout << "FIGURE planned_failover_numbers_sent " << last_number - first_number + 1
            << "\nFIGURE planned_failover_missing " << missing.size()
            << "\nFIGURE planned_failover_duplicates " << duplicates
            << "\nFIGURE planned_failover_overlap_numbers "
            << (old_last >= new_first ? old_last - new_first + 1 : 0) << std::endl;
  EXPECT_TRUE(missing.empty()) << missing.size() << " numbers lost, first " << missing.front();
  EXPECT_GT(duplicates, 0) << "make-before-break overlaps: some records come from both";
}

TEST_F(IngestdFailoverTest, NoEpochIsEverPublishedByTwoNodesAcrossFailoversOfEveryKind) {
  auto [x, y] = Settle();
  ASSERT_NE(x, nullptr);
  StartTraffic(absl::Milliseconds(5));
  absl::SleepFor(absl::Milliseconds(300));

  // 1. kill -9 of the active's controld; it comes back as standby.
  uint64_t epoch = x->MaxEpoch();
  x->controld->Signal(SIGKILL);
  ASSERT_TRUE(y->log().WaitForEpochAbove(epoch, absl::Seconds(10)).has_value());
  x->controld.reset();
  ASSERT_NO_FATAL_FAILURE(StartControld(x));

  // 2. kill -9 of the (new) active's ingestd; it comes back as standby.
  epoch = y->MaxEpoch();
  y->ingestd->process.Signal(SIGKILL);
  ASSERT_TRUE(x->log().WaitForEpochAbove(epoch, absl::Seconds(10)).has_value());
  y->ingestd.reset();
  ASSERT_NO_FATAL_FAILURE(StartIngestd(y));
  ASSERT_TRUE(WaitHealthy(y, absl::Seconds(15)));

  // 3. planned failover back.
  epoch = x->MaxEpoch();
  ASSERT_EQ(RunIngestctl({"failover", a_.socket, b_.socket}), 0);
  ASSERT_TRUE(y->log().WaitForEpochAbove(epoch, absl::Seconds(10)).has_value());
  absl::SleepFor(absl::Milliseconds(500));
  StopTraffic();
  ExpectOneNodePerEpoch();
  EXPECT_GE(epochs_seen_, 4u);
}

TEST_F(IngestdFailoverTest, AnActiveCutOffFromEtcdStopsPublishingWithinTheTtl) {
  auto [active, standby] = Settle();
  ASSERT_NE(active, nullptr);
  StartTraffic(absl::Milliseconds(5));
  absl::SleepFor(absl::Milliseconds(500));
  const absl::Time cut = absl::Now();
  etcd_->Freeze();
  std::optional<absl::Time> demoted;
  while (absl::Now() - cut < absl::Seconds(5)) {
    if (active->Metric("firehose_role", {{"role", "standby"}}) == 1) {
      demoted = absl::Now();
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  absl::SleepFor(absl::Milliseconds(500));
  StopTraffic();
  etcd_->Thaw();
  ASSERT_TRUE(demoted.has_value()) << "the cut-off active never demoted itself";
  absl::Time last = absl::InfinitePast();
  for (const BatchSeen& b : active->log().batches()) last = std::max(last, b.at);
  std::cout << "FIGURE cutoff_to_role_standby_ms " << absl::ToInt64Milliseconds(*demoted - cut)
            << "\nFIGURE cutoff_to_last_batch_ms " << absl::ToInt64Milliseconds(last - cut)
            << std::endl;
  EXPECT_LT(*demoted - cut, kTtl);
  EXPECT_LT(last - cut, kTtl);
  EXPECT_EQ(standby->log().batches().size(), standby_batches_at_settle_)
      << "etcd was frozen: nobody could be elected";
}

// NetFlow v9: template 256 (source and destination IPv4, packets, bytes).
std::string FlowTemplatePacket() {
  return decode::testing::FlowPacketBuilder::V9(1000, 1700000000, 1, 5)
      .BeginSet(0)
      .Template(256, {{8, 4}, {12, 4}, {2, 4}, {1, 4}})
      .EndSet()
      .Finish();
}

std::string FlowDataPacket(uint32_t sequence) {
  return decode::testing::FlowPacketBuilder::V9(1000, 1700000000, sequence, 5)
      .BeginSet(256)
      .Ipv4(10, 0, 0, 1)
      .Ipv4(10, 0, 0, 2)
      .U32(3)
      .U32(300)
      .EndSet()
      .Finish();
}

TEST_F(IngestdFailoverTest, APromotedStandbyDecodesFlowsWithTemplatesLearnedThroughEtcd) {
  auto [active, standby] = Settle();
  ASSERT_NE(active, nullptr);
  const std::map<std::string, std::string> missing_label = {{"decoder", "netflow"},
                                                            {"reason", "template_missing"}};
  // Statsd traffic keeps both nodes HEALTHY (packets moving); only the active ever
  // sees the template.
  StartTraffic(absl::Milliseconds(20));
  SendTo(active->flow_port, FlowTemplatePacket());
  SendTo(active->flow_port, FlowDataPacket(2));
  ASSERT_TRUE(active->log().WaitForEpochAbove(0, absl::Seconds(5), 1).has_value());
  // It reaches etcd (the active's ingestd -> controld -> etcd) ...
  etcd::TemplateStore store(etcd_->target(), etcd::TemplatesKey(kElection));
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  uint64_t revision = 0;
  while (revision == 0 && absl::Now() < deadline) {
    auto newer = store.GetNewer(0);
    if (newer.ok() && newer->has_value()) revision = (*newer)->revision;
    if (revision == 0) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_NE(revision, 0u) << "the active's templates never reached etcd";
  EXPECT_EQ(active->Status().templates_revision(), revision);
  // ... and the standby's controld, which puts them on its ingestd's role stream; the
  // workers import them at their next poll.
  deadline = absl::Now() + absl::Seconds(5);
  while (standby->Status().templates_revision() != revision && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(standby->Status().templates_revision(), revision);
  // ingestctl status shows it per node.
  absl::StatusOr<Subprocess> ctl =
      Subprocess::Start({"controlplane/ingestctl/ingestctl", "status", a_.socket, b_.socket});
  ASSERT_TRUE(ctl.ok());
  absl::StatusOr<std::string> row = ctl->WaitForLine(standby->id, absl::Seconds(10));
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_TRUE(absl::StrContains(*row, absl::StrCat(" r", revision, "/"))) << *row;
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(standby->Metric("firehose_decoder_records_total", {{"decoder", "netflow"}}), 0);

  const uint64_t old_epoch = active->MaxEpoch();
  ASSERT_TRUE(WaitHealthy(standby, absl::Seconds(10)));
  ASSERT_EQ(RunIngestctl({"failover", a_.socket, b_.socket}), 0);
  // Statsd traffic shows the promotion; then data records only, no template.
  ASSERT_TRUE(standby->log().WaitForEpochAbove(old_epoch, absl::Seconds(5)).has_value());
  for (uint32_t i = 0; i < 5; ++i) SendTo(standby->flow_port, FlowDataPacket(10 + i));
  std::optional<BatchSeen> flows = standby->log().WaitForEpochAbove(old_epoch, absl::Seconds(5), 5);
  ASSERT_TRUE(flows.has_value()) << "the promoted standby did not publish the 5 flows";
  EXPECT_EQ(standby->Metric("firehose_decoder_errors_total", missing_label), 0);
  EXPECT_EQ(standby->Metric("firehose_decoder_records_total", {{"decoder", "netflow"}}), 5);
}

}  // namespace
}  // namespace firehose
