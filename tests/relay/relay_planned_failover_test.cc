// The relay end to end through a PLANNED failover: the pair of relay_pair_fixture.h
// (real etcd, two controld + ingestd nodes, the relay subscribed to both, a consumer of
// the relay) and an operator's `ingestctl failover A.sock B.sock`, which makes the
// active's controld Resign. Numbered statsd packets go to BOTH nodes before, during and
// after the hand-over.
//
// What the design promises here (docs/failover.md, docs/relay.md): the hand-over is
// make-before-break — the new active publishes in a higher epoch while the old one goes
// on publishing in its own for handover_overlap (300 ms) — and the relay moves to the
// higher epoch at the new active's EpochChange notice (sent just before its first
// batch), dropping the old active's later batches as stale. So no packet is lost: every
// packet the old active had not yet published when the relay moved on is one the new
// active publishes too. The relay de-duplicates by (origin epoch, seq), not by content,
// so a packet both nodes published right at the switch can reach the consumer once
// from each epoch (seen in 6 of 8 runs: one packet). The test allows that only at the
// switch — within kSwitchWindowPackets of the new epoch's first packet, where the
// overlap the relay drops as stale lasts 300 ms or more — and prints how many it saw.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/firehose/v1/control.grpc.pb.h"
#include "tests/relay/relay_pair_fixture.h"
#include "tests/support/subprocess.h"

namespace firehose::relay_e2e {
namespace {

using testing::Subprocess;

// Packet pacing: 100/s to each node, below anything the nodes could drop.
constexpr absl::Duration kPacketEvery = absl::Milliseconds(10);
constexpr int kPacketsBefore = 100;
constexpr int kPacketsAfter = 100;
// A packet may arrive twice only if sent this close after the new epoch's first packet
// (100 ms at the pacing above): a relay that went on forwarding the old active through
// the make-before-break overlap (300 ms) would deliver ~30 twice.
constexpr uint64_t kSwitchWindowPackets = 10;

// What controld says about its node (the RPC `ingestctl status` prints).
v1::NodeStatus Status(const Node& node) {
  auto stub = v1::Control::NewStub(
      grpc::CreateChannel("unix:" + node.socket, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::NodeStatus status;
  (void)stub->GetStatus(&context, v1::GetStatusRequest(), &status);
  return status;
}

class RelayPlannedFailoverTest : public RelayPairFixture {
 protected:
  // Sends one paced packet per step until `done` holds or `timeout` passes.
  template <typename Predicate>
  bool SendUntil(const std::string& phase, Predicate done, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (done()) return true;
      SendToBoth(phase);
      absl::SleepFor(kPacketEvery);
    }
    return done();
  }
};

TEST_F(RelayPlannedFailoverTest, EveryPacketReachesTheConsumerThroughAnIngestctlFailover) {
  StartRelay();
  ASSERT_TRUE(relay_.has_value());
  AwaitRelayAndSubscribe();
  ASSERT_NE(consumer_, nullptr);

  // Before: packets while both nodes become HEALTHY (`ingestctl failover` refuses an
  // unhealthy standby; health needs packets moving) and for a full 100 more.
  Node* active = nullptr;
  ASSERT_TRUE(SendUntil(
      "before",
      [&] {
        const v1::NodeStatus a = Status(a_);
        const v1::NodeStatus b = Status(b_);
        if (a.health().state() != v1::Health::HEALTHY ||
            b.health().state() != v1::Health::HEALTHY ||
            (a.role() == v1::ROLE_ACTIVE) == (b.role() == v1::ROLE_ACTIVE)) {
          return false;
        }
        active = a.role() == v1::ROLE_ACTIVE ? &a_ : &b_;
        return true;
      },
      absl::Seconds(20)))
      << "the pair never had one HEALTHY active and one HEALTHY standby";
  Node* standby = active == &a_ ? &b_ : &a_;
  const uint64_t old_epoch = Status(*active).epoch();
  for (int i = 0; i < kPacketsBefore; ++i) {
    SendToBoth("before");
    absl::SleepFor(kPacketEvery);
  }

  // During: the operator's planned failover, packets flowing all along, until the old
  // active has demoted itself (after the make-before-break overlap).
  const absl::Time asked = absl::Now();
  absl::StatusOr<Subprocess> ingestctl = Subprocess::Start(
      {"controlplane/ingestctl/ingestctl", "failover", a_.socket, b_.socket, "--timeout=10"});
  ASSERT_TRUE(ingestctl.ok()) << ingestctl.status();
  absl::StatusOr<int> ingestctl_exit = absl::UnknownError("not waited for");
  ASSERT_TRUE(SendUntil(
      "during",
      [&] {
        if (!ingestctl_exit.ok()) ingestctl_exit = ingestctl->Wait(absl::ZeroDuration());
        return ingestctl_exit.ok() && Status(*active).role() == v1::ROLE_STANDBY;
      },
      absl::Seconds(15)))
      << "ingestctl failover did not finish, or the old active never stood down";
  const absl::Duration handover = absl::Now() - asked;
  ASSERT_EQ(*ingestctl_exit, 0) << "ingestctl failover failed";
  // It printed who it made active: the former standby, in a higher epoch.
  const std::string announced = standby->id + " is active, epoch ";
  absl::StatusOr<std::string> line = ingestctl->WaitForLine(announced, absl::Seconds(1));
  ASSERT_TRUE(line.ok()) << line.status();
  // The epoch is the number right after the announcement (a note may follow it).
  const std::string after = line->substr(line->find(announced) + announced.size());
  uint64_t new_epoch = 0;
  ASSERT_TRUE(absl::SimpleAtoi(after.substr(0, after.find_first_not_of("0123456789")), &new_epoch))
      << *line;
  EXPECT_GT(new_epoch, old_epoch);

  // After: 100 more, with the new active.
  for (int i = 0; i < kPacketsAfter; ++i) {
    SendToBoth("after");
    absl::SleepFor(kPacketEvery);
  }

  // controld agrees: the former standby is active in the new epoch, the other stood down.
  const v1::NodeStatus new_status = Status(*standby);
  EXPECT_EQ(new_status.role(), v1::ROLE_ACTIVE);
  EXPECT_EQ(new_status.epoch(), new_epoch);
  EXPECT_EQ(Status(*active).role(), v1::ROLE_STANDBY);

  // Every packet arrives (or the wait times out and the checks below say which not).
  auto distinct = [&] {
    std::set<uint64_t> numbers;
    for (const v1::Batch& batch : consumer_->received().batches) {
      for (double value : batch.statsd().value()) numbers.insert(static_cast<uint64_t>(value));
    }
    return numbers.size();
  };
  (void)WaitFor([&] { return distinct() == sent_; }, absl::Seconds(10));
  absl::SleepFor(absl::Milliseconds(300));  // nothing more in flight

  // One continuous stream: the relay's seq dense, each (origin epoch, seq) once, the
  // origin epoch stepping forward exactly once, from the old active to the new.
  const Received got = consumer_->received();
  std::set<std::pair<uint64_t, uint64_t>> origins;
  std::map<uint64_t, std::vector<uint64_t>> epochs_of_packet;  // packet -> origin epochs
  std::vector<uint64_t> origin_epochs;
  uint64_t new_first_packet = 0;  // the first packet of the new epoch's first batch
  uint64_t last_origin_seq = 0;
  for (size_t i = 0; i < got.batches.size(); ++i) {
    const v1::Batch& batch = got.batches[i];
    ASSERT_TRUE(RelayBatchInPlace(batch, i, &origins));
    const bool new_epoch_batch =
        !origin_epochs.empty() && batch.origin_epoch() != origin_epochs.back();
    if (origin_epochs.empty() || new_epoch_batch) {
      ASSERT_TRUE(origin_epochs.empty() || batch.origin_epoch() > origin_epochs.back())
          << "the relay stepped back to an older epoch";
      // The first epoch is joined mid-stream; the next starts at seq 1, with no hole.
      if (new_epoch_batch) {
        EXPECT_EQ(batch.origin_seq(), 1u) << "batches of the new term lost";
      }
      origin_epochs.push_back(batch.origin_epoch());
    } else {
      EXPECT_EQ(batch.origin_seq(), last_origin_seq + 1) << "a hole in the origin's seq";
    }
    last_origin_seq = batch.origin_seq();
    // The old epoch's batches are the old active's, the new one's the former standby's.
    EXPECT_EQ(batch.origin_node_id(), origin_epochs.size() == 1 ? active->id : standby->id)
        << "origin epoch " << batch.origin_epoch();
    for (double value : batch.statsd().value()) {
      const uint64_t n = static_cast<uint64_t>(value);
      epochs_of_packet[n].push_back(batch.origin_epoch());
      if (new_epoch_batch && new_first_packet == 0) new_first_packet = n;
    }
  }
  ASSERT_EQ(origin_epochs.size(), 2u) << "one epoch before the failover, one after";
  EXPECT_EQ(origin_epochs[0], old_epoch);
  EXPECT_EQ(origin_epochs[1], new_epoch);
  EXPECT_EQ(got.gap_notices, 0u) << "gap notices reached the consumer";
  EXPECT_EQ(RelayMetric("firehose_relay_gap_batches_total"), 0);
  EXPECT_EQ(RelayMetric("firehose_relay_upstream_gap_notices_total"), 0);
  EXPECT_EQ(RelayMetric("firehose_relay_epoch_changes_total"), 1);

  // Zero loss; a packet twice only once from each epoch, at the switch.
  std::vector<uint64_t> missing;
  std::vector<uint64_t> twice;
  for (uint64_t n = 1; n <= sent_; ++n) {
    auto it = epochs_of_packet.find(n);
    if (it == epochs_of_packet.end()) {
      missing.push_back(n);
      continue;
    }
    if (it->second.size() == 1) continue;
    twice.push_back(n);
    EXPECT_EQ(it->second, (std::vector<uint64_t>{old_epoch, new_epoch})) << "packet " << n;
    EXPECT_LT(n, new_first_packet + kSwitchWindowPackets)
        << "packet " << n << " twice, away from the switch (the new epoch began at packet "
        << new_first_packet << ")";
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " packets lost, first " << missing.front();
  uint64_t records = 0;
  for (const auto& [n, epochs] : epochs_of_packet) records += epochs.size();
  EXPECT_EQ(records, got.records);

  // The relay's books balance and match what the consumer got; the make-before-break
  // overlap shows as the old active's batches published after the relay moved on.
  const RelayBooks books = ReadRelayBooks();
  ExpectRelayBooksBalance(books, got);
  EXPECT_GT(books.stale, 0) << "make-before-break: the old active publishes on past the switch";
  // Both nodes decoded every packet.
  for (const Node* node : {&a_, &b_}) {
    EXPECT_EQ(NodeMetric(*node, "firehose_decoder_records_total"), sent_) << node->id;
  }

  std::cout << "planned failover through the relay: sent " << sent_ << " packets to each node ("
            << sent_by_phase_.size() << " phases); ingestctl failover + old active standing down "
            << absl::FormatDuration(absl::Trunc(handover, absl::Milliseconds(1))) << "; epoch "
            << old_epoch << " (" << active->id << ") -> " << new_epoch << " (" << standby->id
            << ")\nconsumer: " << got.batches.size() << " batches / " << got.records << " records, "
            << epochs_of_packet.size() << " distinct packets, " << missing.size() << " missing, "
            << twice.size() << " received twice (at the switch)\nrelay: received " << books.received
            << " batches = forwarded " << books.forwarded << " + duplicate " << books.duplicate
            << " + stale_epoch " << books.stale << " (stale records "
            << RelayMetric("firehose_relay_dropped_records_total", {{"reason", "stale_epoch"}})
            << ")" << std::endl;
}

}  // namespace
}  // namespace firehose::relay_e2e
