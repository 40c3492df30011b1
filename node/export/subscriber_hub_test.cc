// Tests fan-out, the drop-oldest policy with exact gap counts, and closing semantics.
#include "node/export/subscriber_hub.h"

#include <thread>

#include "gtest/gtest.h"

namespace firehose::exporter {
namespace {

PublishedBatch MakeBatch(uint64_t seq, uint32_t records) {
  PublishedBatch batch;
  auto message = std::make_shared<v1::SubscribeResponse>();
  message->mutable_batch()->set_seq(seq);
  batch.message = message;
  batch.epoch = 1;
  batch.seq = seq;
  batch.records = records;
  return batch;
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
  SubscriptionItem gap = sub->Next(absl::ZeroDuration());
  ASSERT_EQ(gap.kind, SubscriptionItem::Kind::kGap);
  EXPECT_EQ(gap.gap.reason(), v1::Gap::REASON_SUBSCRIBER_QUEUE_FULL);
  EXPECT_EQ(gap.gap.first_seq(), 1u);
  EXPECT_EQ(gap.gap.last_seq(), 3u);
  EXPECT_EQ(gap.gap.batches(), 3u);
  EXPECT_EQ(gap.gap.records(), 60u);
  EXPECT_EQ(sub->Next(absl::ZeroDuration()).batch.seq, 4u);
  EXPECT_EQ(sub->Next(absl::ZeroDuration()).batch.seq, 5u);
  const HubStats stats = hub.stats();
  EXPECT_EQ(stats.dropped_batches, 3u);
  EXPECT_EQ(stats.dropped_records, 60u);
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

}  // namespace
}  // namespace firehose::exporter
