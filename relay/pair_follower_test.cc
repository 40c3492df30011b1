// Epoch following and de-duplication fed real Batch and Notice protos: what is
// forwarded, what is dropped and why, holes counted, readiness per node role.
#include "relay/pair_follower.h"

#include "gtest/gtest.h"

namespace firehose::relay {
namespace {

v1::Batch MakeBatch(const std::string& node, uint64_t epoch, uint64_t seq, uint32_t records) {
  v1::Batch batch;
  batch.set_node_id(node);
  batch.set_epoch(epoch);
  batch.set_seq(seq);
  batch.set_record_count(records);
  for (uint32_t i = 0; i < records; ++i) {
    batch.mutable_statsd()->add_name(1);
    batch.mutable_statsd()->add_value(1);
  }
  batch.add_strings("");
  batch.add_strings("m");
  return batch;
}

v1::Notice EpochChange(uint64_t previous, uint64_t epoch) {
  v1::Notice notice;
  notice.mutable_epoch_change()->set_previous_epoch(previous);
  notice.mutable_epoch_change()->set_epoch(epoch);
  notice.mutable_epoch_change()->set_role(v1::EpochChange::ROLE_ACTIVE);
  return notice;
}

v1::Notice Heartbeat(uint64_t epoch, v1::EpochChange::Role role) {
  v1::Notice notice;
  notice.mutable_heartbeat()->set_epoch(epoch);
  notice.mutable_heartbeat()->set_role(role);
  return notice;
}

void ExpectBalanced(const PairCounters& c) {
  EXPECT_EQ(c.received_batches, c.forwarded_batches + c.duplicate_batches + c.stale_batches);
  EXPECT_EQ(c.received_records, c.forwarded_records + c.duplicate_records + c.stale_records);
}

TEST(PairFollowerTest, ForwardsEachBatchOnceWhenSeenByTwoPaths) {
  PairFollower pair("edge", 2);
  EXPECT_EQ(pair.OnBatch(0, MakeBatch("a", 7, 10, 3)), Verdict::kForward);
  EXPECT_EQ(pair.OnBatch(1, MakeBatch("a", 7, 10, 3)), Verdict::kDuplicate);
  EXPECT_EQ(pair.OnBatch(1, MakeBatch("a", 7, 11, 2)), Verdict::kForward);
  EXPECT_EQ(pair.OnBatch(0, MakeBatch("a", 7, 11, 2)), Verdict::kDuplicate);
  EXPECT_EQ(pair.OnBatch(0, MakeBatch("a", 7, 12, 1)), Verdict::kForward);
  const PairCounters& c = pair.counters();
  EXPECT_EQ(c.forwarded_batches, 3u);
  EXPECT_EQ(c.forwarded_records, 6u);
  EXPECT_EQ(c.duplicate_batches, 2u);
  EXPECT_EQ(c.duplicate_records, 5u);
  // Joining the stream at seq 10 is a start position, not a hole.
  EXPECT_EQ(c.gap_batches, 0u);
  ExpectBalanced(c);
}

TEST(PairFollowerTest, CountsHolesInTheFollowedEpoch) {
  PairFollower pair("edge", 1);
  EXPECT_EQ(pair.OnBatch(0, MakeBatch("a", 3, 1, 1)), Verdict::kForward);
  EXPECT_EQ(pair.OnBatch(0, MakeBatch("a", 3, 4, 1)), Verdict::kForward);
  EXPECT_EQ(pair.OnBatch(0, MakeBatch("a", 3, 5, 1)), Verdict::kForward);
  EXPECT_EQ(pair.counters().gap_batches, 2u);
  v1::Notice gap;
  gap.mutable_gap()->set_records(17);
  pair.OnNotice(0, gap);
  EXPECT_EQ(pair.counters().upstream_gap_notices, 1u);
  EXPECT_EQ(pair.counters().upstream_gap_records, 17u);
}

TEST(PairFollowerTest, FollowsTheHigherEpochAndDropsTheDeposedNodesLateBatches) {
  PairFollower pair("edge", 2);
  EXPECT_EQ(pair.OnBatch(0, MakeBatch("a", 100, 5, 2)), Verdict::kForward);
  EXPECT_TRUE(pair.Ready());
  EXPECT_EQ(pair.ActiveNode(), 0);
  // b is promoted: its stream announces the new term before its first batch.
  pair.OnNotice(1, EpochChange(1, 120));
  EXPECT_EQ(pair.epoch(), 120u);
  EXPECT_EQ(pair.ActiveNode(), 1);
  // a's batch of the old term, still on its way: stale.
  EXPECT_EQ(pair.OnBatch(0, MakeBatch("a", 100, 6, 4)), Verdict::kStaleEpoch);
  EXPECT_EQ(pair.OnBatch(1, MakeBatch("b", 120, 1, 1)), Verdict::kForward);
  // The new term's seq restarts at 1 and was known to: a hole at its start counts.
  EXPECT_EQ(pair.OnBatch(1, MakeBatch("b", 120, 3, 1)), Verdict::kForward);
  const PairCounters& c = pair.counters();
  EXPECT_EQ(c.stale_batches, 1u);
  EXPECT_EQ(c.stale_records, 4u);
  EXPECT_EQ(c.epoch_changes, 1u);
  EXPECT_EQ(c.gap_batches, 1u);
  ExpectBalanced(c);
}

TEST(PairFollowerTest, ANewEpochSeenFirstInABatchCountsTheMissedStart) {
  PairFollower pair("edge", 2);
  EXPECT_EQ(pair.OnBatch(0, MakeBatch("a", 100, 9, 1)), Verdict::kForward);
  // No EpochChange reached the relay (it connected to b after b's promotion): b's seq
  // 1 and 2 were published and never seen.
  EXPECT_EQ(pair.OnBatch(1, MakeBatch("b", 130, 3, 1)), Verdict::kForward);
  EXPECT_EQ(pair.counters().gap_batches, 2u);
  EXPECT_EQ(pair.counters().epoch_changes, 1u);
}

TEST(PairFollowerTest, ReadinessFollowsRolesFromHeartbeatsAndDisconnects) {
  PairFollower pair("edge", 2);
  EXPECT_FALSE(pair.Ready());
  pair.OnNotice(1, Heartbeat(1, v1::EpochChange::ROLE_STANDBY));
  EXPECT_FALSE(pair.Ready());
  // A quiet active node: readiness does not wait for traffic.
  pair.OnNotice(0, Heartbeat(50, v1::EpochChange::ROLE_ACTIVE));
  EXPECT_TRUE(pair.Ready());
  EXPECT_EQ(pair.epoch(), 50u);
  // Its first batch sets the position without counting a hole before it.
  EXPECT_EQ(pair.OnBatch(0, MakeBatch("a", 50, 40, 1)), Verdict::kForward);
  EXPECT_EQ(pair.counters().gap_batches, 0u);
  pair.OnDisconnect(0);
  EXPECT_FALSE(pair.Ready());
  // A node still claiming an older term is not the pair's active node.
  pair.OnNotice(1, Heartbeat(49, v1::EpochChange::ROLE_ACTIVE));
  EXPECT_FALSE(pair.Ready());
  // A node that does not say its role keeps what its batches showed.
  pair.OnNotice(0, Heartbeat(50, v1::EpochChange::ROLE_UNSPECIFIED));
  EXPECT_FALSE(pair.NodeActive(0));
  EXPECT_EQ(pair.OnBatch(0, MakeBatch("a", 50, 41, 1)), Verdict::kForward);
  EXPECT_TRUE(pair.NodeActive(0));
  pair.OnNotice(0, Heartbeat(50, v1::EpochChange::ROLE_UNSPECIFIED));
  EXPECT_TRUE(pair.Ready());
}

}  // namespace
}  // namespace firehose::relay
