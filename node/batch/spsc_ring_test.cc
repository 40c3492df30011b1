// Tests the SPSC ring's bounds and that a concurrent producer/consumer pair passes every
// element exactly once and in order.
#include "node/batch/spsc_ring.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace firehose::batch {
namespace {

TEST(SpscRingTest, RejectsPushWhenFullAndPopWhenEmpty) {
  SpscRing<int> ring(4);
  int values[5] = {0, 1, 2, 3, 4};
  EXPECT_EQ(ring.TryPop(), nullptr);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(ring.TryPush(&values[i]));
  EXPECT_FALSE(ring.TryPush(&values[4]));
  EXPECT_EQ(ring.SizeApprox(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ring.TryPop(), &values[i]);
  EXPECT_EQ(ring.TryPop(), nullptr);
  EXPECT_TRUE(ring.TryPush(&values[4]));  // space is reusable after wrap
  EXPECT_EQ(ring.TryPop(), &values[4]);
}

TEST(SpscRingTest, ValidCapacity) {
  EXPECT_FALSE(SpscRing<int>::ValidCapacity(0));
  EXPECT_FALSE(SpscRing<int>::ValidCapacity(1));
  EXPECT_FALSE(SpscRing<int>::ValidCapacity(6));
  EXPECT_TRUE(SpscRing<int>::ValidCapacity(2));
  EXPECT_TRUE(SpscRing<int>::ValidCapacity(1024));
}

TEST(SpscRingTest, ConcurrentTransferIsExactAndOrdered) {
  constexpr int kItems = 200000;
  std::vector<int> values(kItems);
  for (int i = 0; i < kItems; ++i) values[i] = i;
  SpscRing<int> ring(8);
  std::thread producer([&] {
    for (int i = 0; i < kItems; ++i) {
      while (!ring.TryPush(&values[i])) std::this_thread::yield();
    }
  });
  int expected = 0;
  while (expected < kItems) {
    int* item = ring.TryPop();
    if (item == nullptr) {
      std::this_thread::yield();
      continue;
    }
    ASSERT_EQ(*item, expected);
    ++expected;
  }
  producer.join();
  EXPECT_EQ(ring.TryPop(), nullptr);
}

}  // namespace
}  // namespace firehose::batch
