// Tests fan-out, the drop-oldest policy with exact gap counts, and closing semantics.
#include "node/export/subscriber_hub.h"

#include <thread>

#include "gtest/gtest.h"

namespace firehose::exporter {
namespace {

PublishedBatch MakeBatch(uint64_t seq, uint32_t records, uint64_t cumulative = 0) {
  PublishedBatch batch;
  auto message = std::make_shared<v1::SubscribeResponse>();
  message->mutable_batch()->set_seq(seq);
  batch.message = message;
  batch.epoch = 1;
  batch.seq = seq;
  batch.records = records;
  batch.cumulative_records = cumulative;
  batch.bytes = 100;
  return batch;
}

// Publishes seq 1..n with seq * 10 records each, keeping the running total.
void PublishSeries(SubscriberHub& hub, uint64_t n) {
  uint64_t total = 0;
  for (uint64_t seq = 1; seq <= n; ++seq) {
    total += seq * 10;
    hub.Publish(MakeBatch(seq, static_cast<uint32_t>(seq * 10), total));
  }
}

// The next item is a queue-full Gap notice for exactly these batches.
void ExpectQueueFullGap(Subscription& sub, uint64_t first_seq, uint64_t last_seq,
                        uint64_t records) {
  SubscriptionItem gap = sub.Next(absl::ZeroDuration());
  ASSERT_EQ(gap.kind, SubscriptionItem::Kind::kGap);
  EXPECT_EQ(gap.gap.reason(), v1::Gap::REASON_SUBSCRIBER_QUEUE_FULL);
  EXPECT_EQ(gap.gap.first_seq(), first_seq);
  EXPECT_EQ(gap.gap.last_seq(), last_seq);
  EXPECT_EQ(gap.gap.batches(), last_seq - first_seq + 1);
  EXPECT_EQ(gap.gap.records(), records);
}

TEST(SubscriberHubTest, EverySubscriberGetsEveryBatchInOrder) {
  SubscriberHub hub(8);
  auto a = hub.Add("a");
  auto b = hub.Add("b");
  for (uint64_t seq = 1; seq <= 3; ++seq) hub.Publish(MakeBatch(seq, 10));
  for (auto& sub : {a, b}) {
    for (uint64_t seq = 1; seq <= 3; ++seq) {
      SubscriptionItem item = sub->Next(absl::ZeroDuration());
      ASSERT_EQ(item.kind, SubscriptionItem::Kind::kBatch);
      EXPECT_EQ(item.batch.seq, seq);
      EXPECT_EQ(item.batch.message->batch().seq(), seq);
    }
    EXPECT_EQ(sub->Next(absl::ZeroDuration()).kind, SubscriptionItem::Kind::kIdle);
  }
}

TEST(SubscriberHubTest, FullQueueDropsOldestAndReportsExactGap) {
  SubscriberHub hub(2);
  auto sub = hub.Add("slow");
  for (uint64_t seq = 1; seq <= 5; ++seq) hub.Publish(MakeBatch(seq, seq * 10));
  // Queue holds 4 and 5; 1..3 were dropped (10 + 20 + 30 records).
  ExpectQueueFullGap(*sub, 1, 3, 60);
  EXPECT_EQ(sub->Next(absl::ZeroDuration()).batch.seq, 4u);
  EXPECT_EQ(sub->Next(absl::ZeroDuration()).batch.seq, 5u);
  const HubStats stats = hub.stats();
  EXPECT_EQ(stats.dropped_batches, 3u);
  EXPECT_EQ(stats.dropped_records, 60u);
}

// A hub whose queues hold up to 100 batches but only `queue_bytes` bytes of them.
SubscriberHub ByteBoundedHub(uint64_t queue_bytes, SlowSubscriberPolicy policy) {
  HubOptions options;
  options.queue_capacity = 100;
  options.policy = policy;
  options.queue_bytes = queue_bytes;
  return SubscriberHub(options);
}

PublishedBatch SizedBatch(uint64_t seq, uint32_t records, uint64_t bytes) {
  PublishedBatch batch = MakeBatch(seq, records);
  batch.bytes = bytes;
  return batch;
}

TEST(SubscriberHubTest, ByteBudgetDropsOldestAndReportsExactGap) {
  SubscriberHub hub = ByteBoundedHub(250, SlowSubscriberPolicy::kDropOldest);
  auto sub = hub.Add("slow");
  // 100 bytes each: two fit in 250, so 1..3 of 5 are dropped although 100 batches would.
  for (uint64_t seq = 1; seq <= 5; ++seq) hub.Publish(SizedBatch(seq, 10, 100));
  EXPECT_EQ(sub->stats().queued_bytes, 200u);
  ExpectQueueFullGap(*sub, 1, 3, 30);
  EXPECT_EQ(sub->Next(absl::ZeroDuration()).batch.seq, 4u);
  // What was handed to the writer no longer counts against the budget.
  EXPECT_EQ(sub->stats().queued_bytes, 100u);
  hub.Publish(SizedBatch(6, 10, 100));
  EXPECT_EQ(sub->Next(absl::ZeroDuration()).batch.seq, 5u);
  EXPECT_EQ(sub->Next(absl::ZeroDuration()).batch.seq, 6u);
  EXPECT_EQ(sub->stats().queued_bytes, 0u);
  EXPECT_EQ(hub.stats().dropped_records, 30u);
}

TEST(SubscriberHubTest, OversizedBatchPushesOutSmallOnesAndIsStillDelivered) {
  SubscriberHub hub = ByteBoundedHub(250, SlowSubscriberPolicy::kDropOldest);
  auto sub = hub.Add("a");
  hub.Publish(SizedBatch(1, 10, 100));
  hub.Publish(SizedBatch(2, 20, 100));
  // Larger than the whole budget: everything before it goes, it stays (alone).
  hub.Publish(SizedBatch(3, 30, 1000));
  EXPECT_EQ(sub->stats().queued_bytes, 1000u);
  ExpectQueueFullGap(*sub, 1, 2, 30);
  SubscriptionItem big = sub->Next(absl::ZeroDuration());
  ASSERT_EQ(big.kind, SubscriptionItem::Kind::kBatch);
  EXPECT_EQ(big.batch.seq, 3u);
}

TEST(SubscriberHubTest, ByteBudgetUnderDisconnectPolicyEndsTheStream) {
  SubscriberHub hub = ByteBoundedHub(250, SlowSubscriberPolicy::kDisconnect);
  auto sub = hub.Add("slow");
  for (uint64_t seq = 1; seq <= 3; ++seq) hub.Publish(SizedBatch(seq, 10, 100));
  EXPECT_EQ(sub->Next(absl::ZeroDuration()).kind, SubscriptionItem::Kind::kOverflow);
  const SubscriptionStats stats = sub->stats();
  EXPECT_TRUE(stats.disconnected);
  EXPECT_EQ(stats.dropped_records, 30u);
  EXPECT_EQ(stats.queued_bytes, 0u);
}

TEST(SubscriberHubTest, ClosedHubEndsSubscriptionsAfterDraining) {
  SubscriberHub hub(4);
  auto sub = hub.Add("a");
  hub.Publish(MakeBatch(1, 1));
  hub.Close();
  EXPECT_EQ(sub->Next(absl::ZeroDuration()).kind, SubscriptionItem::Kind::kBatch);
  EXPECT_EQ(sub->Next(absl::ZeroDuration()).kind, SubscriptionItem::Kind::kClosed);
  auto late = hub.Add("late");
  EXPECT_EQ(late->Next(absl::ZeroDuration()).kind, SubscriptionItem::Kind::kClosed);
}

TEST(SubscriberHubTest, WaitForSubscribersWakesOnAdd) {
  SubscriberHub hub(4);
  EXPECT_FALSE(hub.WaitForSubscribers(1, absl::Milliseconds(10)));
  std::thread adder([&] { hub.Add("x"); });
  EXPECT_TRUE(hub.WaitForSubscribers(1, absl::Seconds(10)));
  adder.join();
  EXPECT_EQ(hub.stats().subscribers, 1u);
}

TEST(SubscriberHubTest, ResumeReplaysFromTheRingThenGoesLive) {
  SubscriberHub hub(HubOptions{8, SlowSubscriberPolicy::kDropOldest, /*replay_bytes=*/1000});
  PublishSeries(hub, 5);
  auto sub = hub.AddFrom("resume", 1, 3);
  ASSERT_TRUE(sub.ok()) << sub.status();
  hub.Publish(MakeBatch(6, 60, 210));
  for (uint64_t seq = 3; seq <= 6; ++seq) {
    SubscriptionItem item = (*sub)->Next(absl::ZeroDuration());
    ASSERT_EQ(item.kind, SubscriptionItem::Kind::kBatch) << seq;
    EXPECT_EQ(item.batch.seq, seq);
    (*sub)->MarkDelivered(item.batch.seq, item.batch.records);
  }
  EXPECT_EQ((*sub)->Next(absl::ZeroDuration()).kind, SubscriptionItem::Kind::kIdle);
  EXPECT_TRUE((*sub)->Drained());
}

TEST(SubscriberHubTest, ResumeFromEvictedBatchesReportsExactReplayGap) {
  // 100 bytes per batch, 300-byte ring: after 10 batches only 8..10 remain.
  SubscriberHub hub(HubOptions{8, SlowSubscriberPolicy::kDropOldest, /*replay_bytes=*/300});
  PublishSeries(hub, 10);
  auto sub = hub.AddFrom("late", 1, 3);  // wants 3.. but 3..7 are gone
  ASSERT_TRUE(sub.ok()) << sub.status();
  SubscriptionItem gap = (*sub)->Next(absl::ZeroDuration());
  ASSERT_EQ(gap.kind, SubscriptionItem::Kind::kGap);
  EXPECT_EQ(gap.gap.reason(), v1::Gap::REASON_REPLAY_EXPIRED);
  EXPECT_EQ(gap.gap.first_seq(), 3u);
  EXPECT_EQ(gap.gap.last_seq(), 7u);
  EXPECT_EQ(gap.gap.batches(), 5u);
  EXPECT_EQ(gap.gap.records(), 30u + 40 + 50 + 60 + 70);
  EXPECT_EQ((*sub)->Next(absl::ZeroDuration()).batch.seq, 8u);
}

TEST(SubscriberHubTest, EarliestStartsAtTheOldestRetainedBatch) {
  SubscriberHub hub(HubOptions{8, SlowSubscriberPolicy::kDropOldest, /*replay_bytes=*/200});
  PublishSeries(hub, 4);
  auto sub = hub.AddFrom("earliest", 1, 0);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ((*sub)->Next(absl::ZeroDuration()).batch.seq, 3u);
  EXPECT_EQ((*sub)->Next(absl::ZeroDuration()).batch.seq, 4u);
}

TEST(SubscriberHubTest, ResumeAheadOfTheNodeOrTooOldIsRefused) {
  SubscriberHub hub(HubOptions{8, SlowSubscriberPolicy::kDropOldest, 1000});
  PublishSeries(hub, 3);
  EXPECT_EQ(hub.AddFrom("future", 1, 9).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(hub.AddFrom("next", 1, 4).ok());  // exactly the next batch: live
  ReplayRing tiny_index(0, /*index_batches=*/2);
  uint64_t total = 0;
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    total += 1;
    tiny_index.Append(MakeBatch(seq, 1, total));
  }
  EXPECT_FALSE(tiny_index.RecordsBefore(1, 2).has_value());
  EXPECT_EQ(tiny_index.RecordsBefore(1, 5), 4u);
  EXPECT_EQ(tiny_index.RecordsBefore(1, 6), 5u);
}

TEST(SubscriberHubTest, DisconnectPolicyEndsAnOverflowingSubscription) {
  SubscriberHub hub(HubOptions{2, SlowSubscriberPolicy::kDisconnect, 0});
  auto sub = hub.Add("slow");
  PublishSeries(hub, 3);
  EXPECT_EQ(sub->Next(absl::ZeroDuration()).kind, SubscriptionItem::Kind::kOverflow);
  EXPECT_TRUE(sub->stats().disconnected);
  EXPECT_EQ(sub->stats().dropped_records, 60u);
  hub.Remove(sub);
  EXPECT_EQ(hub.stats().disconnected_slow, 1u);
}

TEST(SubscriberHubTest, LagCountsBatchesNotYetWritten) {
  SubscriberHub hub(8);
  auto sub = hub.Add("a");
  PublishSeries(hub, 3);
  SubscriptionItem item = sub->Next(absl::ZeroDuration());
  sub->MarkDelivered(item.batch.seq, item.batch.records);
  const std::vector<SubscriberSnapshot> subs = hub.Subscribers();
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].lag_batches, 2u);
  EXPECT_EQ(subs[0].stats.queued_batches, 2u);
}

}  // namespace
}  // namespace firehose::exporter
