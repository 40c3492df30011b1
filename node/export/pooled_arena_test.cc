// Tests that a pooled arena's blocks come from ArenaBlockPool and go back to it, are
// reused by the next arena (no new allocation in a steady state), and that an
// allocation too large for one block still works, from the heap.
#include "node/export/pooled_arena.h"

#include <cstdint>

#include "google/protobuf/arena.h"
#include "gtest/gtest.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::exporter {
namespace {

// A batch of `records` statsd records on `arena`, parsed from the wire as a filtered
// stream parses a published batch (packed columns: each one allocated once, at its
// final size).
v1::SubscribeResponse* BatchOn(google::protobuf::Arena* arena, int records) {
  v1::SubscribeResponse built;
  v1::StatsdColumns* columns = built.mutable_batch()->mutable_statsd();
  for (int i = 0; i < records; ++i) {
    columns->add_name(static_cast<uint32_t>(i));
    columns->add_value(i * 0.5);
    columns->add_receive_offset_nanos(static_cast<uint64_t>(i) * 100);
  }
  auto* message = google::protobuf::Arena::CreateMessage<v1::SubscribeResponse>(arena);
  EXPECT_TRUE(message->ParseFromString(built.SerializeAsString()));
  return message;
}

TEST(PooledArenaTest, BlocksComeFromThePoolAndGoBack) {
  BlockPool& pool = ArenaBlockPool();
  const BlockPoolStats before = pool.stats();
  EXPECT_EQ(before.block_bytes, kArenaBlockBytes);
  {
    google::protobuf::Arena arena(PooledArenaOptions());
    const v1::SubscribeResponse* message = BatchOn(&arena, 4096);
    EXPECT_EQ(message->batch().statsd().value(4095), 4095 * 0.5);
    const BlockPoolStats during = pool.stats();
    EXPECT_GT(during.in_use, before.in_use);
    // Every byte the arena holds is in whole pool blocks.
    EXPECT_EQ(arena.SpaceAllocated(), (during.in_use - before.in_use) * kArenaBlockBytes);
  }
  const BlockPoolStats after = pool.stats();
  EXPECT_EQ(after.in_use, before.in_use);
  EXPECT_GT(after.idle, before.idle);
}

TEST(PooledArenaTest, TheNextArenaReusesTheBlocks) {
  BlockPool& pool = ArenaBlockPool();
  {
    google::protobuf::Arena warm(PooledArenaOptions());
    BatchOn(&warm, 4096);
  }
  const uint64_t allocated = pool.stats().allocated;
  for (int round = 0; round < 5; ++round) {
    google::protobuf::Arena arena(PooledArenaOptions());
    BatchOn(&arena, 4096);
  }
  EXPECT_EQ(pool.stats().allocated, allocated);
}

TEST(PooledArenaTest, AnAllocationLargerThanABlockComesFromTheHeap) {
  BlockPool& pool = ArenaBlockPool();
  const uint64_t in_use = pool.stats().in_use;
  google::protobuf::Arena arena(PooledArenaOptions());
  auto* message = google::protobuf::Arena::CreateMessage<v1::SubscribeResponse>(&arena);
  auto* values = message->mutable_batch()->mutable_statsd()->mutable_value();
  constexpr int kValues = 2 * kArenaBlockBytes / sizeof(double);
  for (int i = 0; i < kValues; ++i) values->Add(i);  // grown one value at a time
  EXPECT_EQ(values->Get(kValues - 1), kValues - 1);
  EXPECT_GE(arena.SpaceAllocated(), kValues * sizeof(double));
  // The column's last, largest allocations are the heap's, not the pool's.
  EXPECT_GT(arena.SpaceAllocated(), (pool.stats().in_use - in_use) * kArenaBlockBytes);
}

}  // namespace
}  // namespace firehose::exporter
