// Tests BlockBuffer: bytes kept exactly across block boundaries for every size class of
// input, blocks reused from the pool and freed beyond its idle bound, blocks held until
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
  size_t large_blocks;
  size_t small_blocks;
};

TEST(BlockBufferTest, KeepsEveryByteInBlocksOfTheTwoSizes) {
  const Case cases[] = {
      {0, 0, 0},
      {1, 0, 1},
      {kSmallBlockBytes, 0, 1},
      {kSmallBlockBytes + 1, 0, 2},
      {kTailBytes, 0, 8},
      {kTailBytes + 1, 1, 0},  // a tail too long for small blocks takes one large one
      {kBlockBytes, 1, 0},
      {kBlockBytes + 1, 1, 1},
      {kBlockBytes + kTailBytes + 1, 2, 0},
      {115'809, 7, 2},  // the statsd benchmark batch: 7 * 16 KiB + 1,121 bytes
      {10 * kBlockBytes + 5, 10, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.size);
    const std::string bytes = Pattern(c.size);
    const BlockBuffer buffer = BlockBuffer::CopyOf(bytes);
    EXPECT_EQ(buffer.size(), c.size);
    EXPECT_EQ(buffer.block_count(), c.large_blocks + c.small_blocks);
    EXPECT_EQ(buffer.held_bytes(),
              c.large_blocks * kBlockBytes + c.small_blocks * kSmallBlockBytes);
    EXPECT_EQ(buffer.Flatten(), bytes);
    EXPECT_EQ(Joined(buffer), bytes);
    // Never more than a small block or half a large one beyond the bytes.
    EXPECT_LT(buffer.held_bytes() - buffer.size(), kBlockBytes / 2);
  }
}

TEST(BlockBufferTest, BlocksComeBackToThePoolAndAreReused) {
  BlockPool large(64, 16);
  BlockPool small(8, 16);
  const std::string bytes = Pattern(64 * 3 + 5);
  const char* first_block;
  {
    BlockBuffer buffer = BlockBuffer::CopyOf(bytes, large, small);
    EXPECT_EQ(buffer.block_count(), 4u);
    first_block = buffer.block(0).data();
    EXPECT_EQ(large.stats().in_use, 3u);
    EXPECT_EQ(small.stats().in_use, 1u);
    BlockBuffer moved = std::move(buffer);  // the blocks move, nothing is returned
    EXPECT_EQ(large.stats().in_use, 3u);
    EXPECT_EQ(moved.Flatten(), bytes);
  }
  BlockPoolStats s = large.stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.idle, 3u);
  EXPECT_EQ(s.allocated, 3u);
  // The next buffer takes the idle blocks (last given back, first taken) and allocates none.
  const BlockBuffer again = BlockBuffer::CopyOf(bytes, large, small);
  EXPECT_EQ(again.Flatten(), bytes);
  s = large.stats();
  EXPECT_EQ(s.allocated, 3u);
  EXPECT_EQ(s.idle, 0u);
  bool reused = false;
  for (size_t i = 0; i < again.block_count(); ++i) reused |= again.block(i).data() == first_block;
  EXPECT_TRUE(reused);
  EXPECT_EQ(small.stats().allocated, 1u);
}

TEST(BlockBufferTest, PoolKeepsAtMostItsIdleBound) {
  BlockPool large(64, 2);
  BlockPool small(8, 1);
  {
    const BlockBuffer a = BlockBuffer::CopyOf(Pattern(64 * 5 + 1), large, small);
    EXPECT_EQ(large.stats().in_use, 5u);
  }
  const BlockPoolStats s = large.stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.idle, 2u);
  EXPECT_EQ(s.freed, 3u);
}

TEST(BlockBufferTest, ByteBufferSlicesHoldTheBlocksUntilGrpcReleasesThem) {
  BlockPool large(64, 16);
  BlockPool small(8, 16);
  const std::string bytes = Pattern(64 * 2 + 20);
  auto owner = std::make_shared<BlockBuffer>(BlockBuffer::CopyOf(bytes, large, small));
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
  EXPECT_EQ(large.stats().in_use, 2u);
  std::string got;
  for (const grpc::Slice& slice : slices) {
    got.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  EXPECT_EQ(got, bytes);
  grpc::ByteBuffer copy(message);
  message.Clear();
  slices.clear();
  EXPECT_EQ(large.stats().in_use, 2u);  // the copy shares the slices
  copy.Clear();
  EXPECT_EQ(large.stats().in_use, 0u);
  EXPECT_EQ(small.stats().in_use, 0u);
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
  // Blocks of 7 and 3 bytes put a boundary inside nearly every field and varint.
  BlockPool large(7, 0);
  BlockPool small(3, 0);
  const BlockBuffer buffer = BlockBuffer::CopyOf(bytes, large, small);
  ASSERT_GT(buffer.block_count(), bytes.size() / 7);
  BlockInputStream stream(buffer);
  v1::SubscribeResponse parsed;
  ASSERT_TRUE(parsed.ParseFromZeroCopyStream(&stream));
  EXPECT_EQ(parsed.SerializeAsString(), bytes);
  EXPECT_EQ(stream.ByteCount(), static_cast<int64_t>(bytes.size()));
}

TEST(BlockInputStreamTest, NextBackUpAndSkipWalkTheBlocks) {
  BlockPool large(4, 0);
  BlockPool small(1, 0);
  // abcd efgh, then a tail of 6 (up to 8 small blocks) in blocks of 1: i j k l m n.
  const BlockBuffer buffer = BlockBuffer::CopyOf("abcdefghijklmn", large, small);
  ASSERT_EQ(buffer.block_count(), 8u);
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
  EXPECT_FALSE(stream.Skip(7));  // only i..n are left
  EXPECT_FALSE(stream.Next(&data, &size));
  EXPECT_EQ(stream.ByteCount(), 14);
}

}  // namespace
}  // namespace firehose::exporter
