// ResponseArena: every response parses completely whatever came before it, the memory
// stays at the first block while responses fit it, and a larger response gets more
// blocks that the next reset gives back.
#include "client/response_arena.h"

#include <string>

#include "gtest/gtest.h"
#include "node/batch/batch_builder.h"
#include "node/batch/statsd_bench_batch.h"

namespace firehose::client {
namespace {

// A serialized SubscribeResponse holding the benchmarks' statsd batch of `records`.
std::string EncodedBatch(int records, uint64_t seq) {
  batch::BatchLimits limits;
  limits.max_records = 4096;
  limits.max_bytes = 4 << 20;
  batch::BatchBuilder builder(limits);
  EXPECT_EQ(batch::FillStatsdBenchBatch(builder, records), records);
  std::string bytes;
  builder.EncodeResponse(batch::BatchHeader{"node-a", 1, seq}, &bytes);
  return bytes;
}

TEST(ResponseArenaTest, EachResponseParsesWhole) {
  const std::string small = EncodedBatch(60, 1);
  const std::string full = EncodedBatch(4096, 2);
  ResponseArena arena;
  for (int round = 0; round < 3; ++round) {
    for (const std::string* bytes : {&full, &small}) {
      v1::SubscribeResponse* response = arena.Next();
      ASSERT_TRUE(response->ParseFromString(*bytes));
      ASSERT_TRUE(response->has_batch());
      EXPECT_EQ(response->batch().record_count(), bytes == &full ? 4096u : 60u);
      // Nothing of the previous response is left in this one.
      EXPECT_EQ(response->SerializeAsString(), *bytes);
    }
  }
}

TEST(ResponseArenaTest, MemoryStaysAtTheFirstBlockWhileResponsesFit) {
  const std::string full = EncodedBatch(4096, 1);
  ResponseArena arena;
  ASSERT_TRUE(arena.Next()->ParseFromString(full));
  const uint64_t held = arena.bytes_held();
  EXPECT_LE(held, ResponseArena::kFirstBlockBytes);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(arena.Next()->ParseFromString(full));
    ASSERT_EQ(arena.bytes_held(), held) << "after " << i + 2 << " responses";
  }
}

TEST(ResponseArenaTest, LargerResponsesGetBlocksTheNextResetReturns) {
  const std::string small = EncodedBatch(20, 1);
  const std::string full = EncodedBatch(4096, 2);
  ResponseArena arena(size_t{16} << 10);
  ASSERT_TRUE(arena.Next()->ParseFromString(small));
  const uint64_t small_held = arena.bytes_held();
  v1::SubscribeResponse* response = arena.Next();
  ASSERT_TRUE(response->ParseFromString(full));
  EXPECT_EQ(response->SerializeAsString(), full);
  EXPECT_GT(arena.bytes_held(), small_held + full.size());
  ASSERT_TRUE(arena.Next()->ParseFromString(small));
  EXPECT_EQ(arena.bytes_held(), small_held);
}

}  // namespace
}  // namespace firehose::client
