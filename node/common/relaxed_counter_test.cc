// Tests that RelaxedCounter counts exactly when written by its owner and read elsewhere.
#include "node/common/relaxed_counter.h"

#include <thread>

#include "gtest/gtest.h"

namespace firehose {
namespace {

TEST(RelaxedCounterTest, AddsAndSets) {
  RelaxedCounter counter;
  EXPECT_EQ(counter.Get(), 0u);
  counter.Increment();
  counter.Add(41);
  EXPECT_EQ(counter.Get(), 42u);
  counter.Set(7);
  EXPECT_EQ(counter.Get(), 7u);
}

TEST(RelaxedCounterTest, ReaderSeesOwnerTotalAfterJoin) {
  RelaxedCounter counter;
  constexpr uint64_t kIncrements = 1'000'000;
  std::thread owner([&] {
    for (uint64_t i = 0; i < kIncrements; ++i) counter.Increment();
  });
  uint64_t last = 0;
  while (last < kIncrements) {
    uint64_t now = counter.Get();
    ASSERT_GE(now, last);  // a single writer never makes the value go backwards
    last = now;
    if (last < kIncrements) std::this_thread::yield();
  }
  owner.join();
  EXPECT_EQ(counter.Get(), kIncrements);
}

}  // namespace
}  // namespace firehose
