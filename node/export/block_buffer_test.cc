// Tests BlockBuffer: bytes kept exactly across block boundaries for sizes around the
// block size, blocks reused from the pool and freed beyond its idle bound, blocks held until
// the last holder (a gRPC ByteBuffer's slices included) lets go, and protobuf parsing
// straight from the blocks.
#include "node/export/block_buffer.h"

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "node/export/block_buffer_slices.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::exporter {
namespace {

std::string Pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
  return s;
}

std::string Joined(const BlockBuffer& buffer) {
  std::string out;
  for (size_t i = 0; i < buffer.block_count(); ++i) out.append(buffer.block(i));
  return out;
}

struct Case {
  size_t size;
  size_t blocks;
};

TEST(BlockBufferTest, KeepsEveryByteInFixedSizeBlocks) {
  const Case cases[] = {
      {0, 0},
      {1, 1},
      {kBlockBytes - 1, 1},
      {kBlockBytes, 1},
      {kBlockBytes + 1, 2},
      {115'809, 29},  // the statsd benchmark batch: 28 blocks and 1,121 bytes
      {64 * kBlockBytes, 64},
      {100 * kBlockBytes + 5, 101},  // more than the list keeps without an allocation
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.size);
    const std::string bytes = Pattern(c.size);
    const BlockBuffer buffer = BlockBuffer::CopyOf(bytes);
    EXPECT_EQ(buffer.size(), c.size);
    EXPECT_EQ(buffer.block_count(), c.blocks);
    EXPECT_EQ(buffer.held_bytes(), c.blocks * kBlockBytes);
    for (size_t i = 0; i + 1 < buffer.block_count(); ++i) {
      EXPECT_EQ(buffer.block(i).size(), kBlockBytes);
    }
    EXPECT_EQ(buffer.Flatten(), bytes);
    EXPECT_EQ(Joined(buffer), bytes);
  }
}

// Pieces of every size against a small block: each piece may start, end or straddle
// a block boundary, and the result is their concatenation in order.
TEST(BlockBufferTest, PiecesAreCopiedAsOneSequenceAcrossBlockBoundaries) {
  BlockPool pool(16, 64);
  const std::string all = Pattern(200);
  for (size_t first : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{100}}) {
    for (size_t second : {size_t{0}, size_t{3}, size_t{16}, size_t{33}}) {
      SCOPED_TRACE(testing::Message() << first << " + " << second << " + rest");
      const std::string_view bytes(all);
      const BlockBuffer buffer = BlockBuffer::CopyOfPieces(
          {bytes.substr(0, first), bytes.substr(first, second), bytes.substr(first + second)},
          pool);
      EXPECT_EQ(buffer.size(), all.size());
      EXPECT_EQ(buffer.block_count(), (all.size() + 15) / 16);
      EXPECT_EQ(buffer.Flatten(), all);
    }
  }
  EXPECT_EQ(BlockBuffer::CopyOfPieces({}, pool).size(), 0u);
}

TEST(BlockBufferTest, BlocksComeBackToThePoolAndAreReused) {
  BlockPool pool(64, 16);
  const std::string bytes = Pattern(64 * 3 + 5);
  const char* first_block;
  {
    BlockBuffer buffer = BlockBuffer::CopyOf(bytes, pool);
    EXPECT_EQ(buffer.block_count(), 4u);
    first_block = buffer.block(0).data();
    EXPECT_EQ(pool.stats().in_use, 4u);
    BlockBuffer moved = std::move(buffer);  // the blocks move, nothing is returned
    EXPECT_EQ(pool.stats().in_use, 4u);
    EXPECT_EQ(moved.Flatten(), bytes);
    buffer = std::move(moved);  // and back
    EXPECT_EQ(buffer.Flatten(), bytes);
  }
  BlockPoolStats s = pool.stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.idle, 4u);
  EXPECT_EQ(s.allocated, 4u);
  // The next buffer takes the idle blocks and allocates none.
  const BlockBuffer again = BlockBuffer::CopyOf(bytes, pool);
  EXPECT_EQ(again.Flatten(), bytes);
  s = pool.stats();
  EXPECT_EQ(s.allocated, 4u);
  EXPECT_EQ(s.idle, 0u);
  bool reused = false;
  for (size_t i = 0; i < again.block_count(); ++i) reused |= again.block(i).data() == first_block;
  EXPECT_TRUE(reused);
}

TEST(BlockBufferTest, PoolKeepsAtMostItsIdleBound) {
  BlockPool pool(64, 2);
  {
    const BlockBuffer a = BlockBuffer::CopyOf(Pattern(64 * 5), pool);
    EXPECT_EQ(pool.stats().in_use, 5u);
  }
  const BlockPoolStats s = pool.stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.idle, 2u);
  EXPECT_EQ(s.freed, 3u);
}

TEST(BlockBufferTest, PoolHandsOutSingleBlocksAndBatchesFromOneFreeList) {
  BlockPool pool(32, 3);
  char* one = pool.Take();
  char* many[4];
  pool.Take(4, many);
  EXPECT_EQ(pool.stats().in_use, 5u);
  EXPECT_EQ(pool.stats().allocated, 5u);
  pool.Give(many, 4);  // three kept idle (the bound), one freed
  pool.Give(one);      // over the bound: freed
  BlockPoolStats s = pool.stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.idle, 3u);
  EXPECT_EQ(s.freed, 2u);
  pool.Take(4, many);  // three from the free list, one new
  s = pool.stats();
  EXPECT_EQ(s.idle, 0u);
  EXPECT_EQ(s.allocated, 6u);
  pool.Give(many, 4);
}

TEST(BlockBufferTest, ByteBufferSlicesHoldTheBlocksUntilGrpcReleasesThem) {
  BlockPool pool(64, 16);
  const std::string bytes = Pattern(64 * 2 + 20);
  auto owner = std::make_shared<BlockBuffer>(BlockBuffer::CopyOf(bytes, pool));
  grpc::ByteBuffer message = SlicesOf(*owner, owner);
  EXPECT_EQ(message.Length(), bytes.size());
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(message.Dump(&slices).ok());
  EXPECT_EQ(slices.size(), owner->block_count());
  for (size_t i = 0; i < slices.size(); ++i) {
    // The slices point into the blocks: nothing was copied.
    EXPECT_EQ(reinterpret_cast<const char*>(slices[i].begin()), owner->block(i).data());
  }
  owner.reset();  // the publisher and ring are done; the message still holds the batch
  EXPECT_EQ(pool.stats().in_use, 3u);
  std::string got;
  for (const grpc::Slice& slice : slices) {
    got.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  EXPECT_EQ(got, bytes);
  grpc::ByteBuffer copy(message);
  message.Clear();
  slices.erase(slices.begin(), slices.begin() + 2);
  EXPECT_EQ(pool.stats().in_use, 3u);  // the copy, and one slice, still hold the batch
  copy.Clear();
  EXPECT_EQ(pool.stats().in_use, 3u);
  slices.clear();  // the last slice gRPC held
  EXPECT_EQ(pool.stats().in_use, 0u);
}

TEST(BlockBufferTest, EmptyBufferIsAnEmptyMessage) {
  auto owner = std::make_shared<BlockBuffer>();
  const grpc::ByteBuffer message = SlicesOf(*owner, owner);
  EXPECT_TRUE(message.Valid());
  EXPECT_EQ(message.Length(), 0u);
}

TEST(BlockInputStreamTest, ParsesAMessageSplitAcrossTinyBlocks) {
  v1::SubscribeResponse response;
  v1::Batch* batch = response.mutable_batch();
  batch->set_node_id("node-with-a-long-name");
  batch->set_seq(77);
  for (int i = 0; i < 300; ++i) {
    batch->add_strings("service.request.latency." + std::to_string(i));
    batch->mutable_statsd()->add_name(static_cast<uint32_t>(i));
    batch->mutable_statsd()->add_value(i * 0.5);
  }
  const std::string bytes = response.SerializeAsString();
  // Blocks of 7 bytes put a boundary inside nearly every field and varint.
  BlockPool pool(7, 0);
  const BlockBuffer buffer = BlockBuffer::CopyOf(bytes, pool);
  ASSERT_GT(buffer.block_count(), bytes.size() / 7);
  BlockInputStream stream(buffer);
  v1::SubscribeResponse parsed;
  ASSERT_TRUE(parsed.ParseFromZeroCopyStream(&stream));
  EXPECT_EQ(parsed.SerializeAsString(), bytes);
  EXPECT_EQ(stream.ByteCount(), static_cast<int64_t>(bytes.size()));
}

TEST(BlockInputStreamTest, NextBackUpAndSkipWalkTheBlocks) {
  BlockPool pool(4, 0);
  const BlockBuffer buffer = BlockBuffer::CopyOf("abcdefghijklmn", pool);  // abcd efgh ijkl mn
  ASSERT_EQ(buffer.block_count(), 4u);
  BlockInputStream stream(buffer);
  const void* data;
  int size;
  ASSERT_TRUE(stream.Next(&data, &size));
  EXPECT_EQ(std::string(static_cast<const char*>(data), size), "abcd");
  stream.BackUp(1);
  EXPECT_EQ(stream.ByteCount(), 3);
  ASSERT_TRUE(stream.Next(&data, &size));
  EXPECT_EQ(std::string(static_cast<const char*>(data), size), "d");
  ASSERT_TRUE(stream.Skip(2));  // e f
  ASSERT_TRUE(stream.Next(&data, &size));
  EXPECT_EQ(std::string(static_cast<const char*>(data), size), "gh");
  EXPECT_EQ(stream.ByteCount(), 8);
  EXPECT_FALSE(stream.Skip(7));  // only ijkl mn are left
  EXPECT_FALSE(stream.Next(&data, &size));
  EXPECT_EQ(stream.ByteCount(), 14);
}

}  // namespace
}  // namespace firehose::exporter
