// Tests that the replay ring is bounded by the memory its batches hold (ReplayFootprint):
// a message's heap, not its encoded size, which for columnar batches is a fraction of
// it; an encoded batch's bytes, plus the message parsed from them while it is retained;
// and that a batch built on its own arena (NewBatchMessage) lives as long as its holders.
#include "node/export/replay_ring.h"

#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace firehose::exporter {
namespace {

// Fills `message` with a statsd batch of `records` records over `names` 24-byte names.
void FillStatsd(v1::SubscribeResponse* message, uint64_t seq, int records, int names) {
  v1::Batch* b = message->mutable_batch();
  b->set_seq(seq);
  b->add_strings("");
  for (int i = 0; i < names; ++i) b->add_strings("service.request.latency." + std::to_string(i));
  v1::StatsdColumns* c = b->mutable_statsd();
  for (int i = 0; i < records; ++i) {
    c->add_name(1 + i % names);
    c->add_value(i);
    c->add_type(v1::METRIC_TYPE_COUNTER);
    c->add_sample_rate(1);
    c->add_tag_count(0);
    c->add_source(0);
    c->add_receive_offset_nanos(static_cast<uint64_t>(i) * 100);
    c->add_flags(0);
    c->add_text(0);
  }
  b->set_record_count(records);
}

std::shared_ptr<v1::SubscribeResponse> StatsdBatch(uint64_t seq, int records, int names) {
  auto message = std::make_shared<v1::SubscribeResponse>();
  FillStatsd(message.get(), seq, records, names);
  return message;
}

PublishedBatch Charged(uint64_t seq, int records, int names) {
  PublishedBatch batch;
  batch.message = StatsdBatch(seq, records, names);
  batch.epoch = 1;
  batch.seq = seq;
  batch.records = static_cast<uint32_t>(records);
  batch.cumulative_records = seq * static_cast<uint64_t>(records);
  batch.bytes = ReplayFootprint(*batch.message, batch.message->ByteSizeLong());
  return batch;
}

TEST(ReplayFootprintTest, CountsTheHeapOfColumnsAndDictionaryPlusTheSerialisation) {
  const auto message = StatsdBatch(1, 1024, 300);
  const uint64_t encoded = message->ByteSizeLong();
  const uint64_t footprint = ReplayFootprint(*message, encoded);
  // Nine 4- or 8-byte columns of 1024 records and 300 heap-allocated std::strings:
  // at least 1024 * (6 * 4 + 3 * 8) + 300 * (32 + 25) bytes besides the serialisation.
  EXPECT_GE(footprint, encoded + 1024 * (6 * 4 + 3 * 8) + 300 * (32 + 25));
  // ...and well over twice what the wire size alone used to charge.
  EXPECT_GT(footprint, 2 * encoded);
}

TEST(ReplayFootprintTest, RingHoldsBatchesUpToItsMemoryBudget) {
  const PublishedBatch probe = Charged(1, 1024, 300);
  // Room for exactly four such batches (all are the same size).
  ReplayRing ring(4 * probe.bytes + probe.bytes / 2);
  for (uint64_t seq = 1; seq <= 10; ++seq) ring.Append(Charged(seq, 1024, 300));
  const ReplayRingStats stats = ring.stats();
  EXPECT_EQ(stats.batches, 4u);
  EXPECT_EQ(stats.first_seq, 7u);
  EXPECT_EQ(stats.evicted_batches, 6u);
  EXPECT_LE(stats.bytes, 4 * probe.bytes + probe.bytes / 2);
  // Charged by wire size, the same budget would have kept more than twice as many.
  EXPECT_GT((4 * probe.bytes + probe.bytes / 2) / probe.message->ByteSizeLong(), 8u);
  // Evicted batches still count exactly.
  EXPECT_EQ(ring.RecordsBefore(1, 3), 2u * 1024);
  EXPECT_FALSE(ring.Get(1, 6).has_value());
  ASSERT_TRUE(ring.Get(1, 7).has_value());
  EXPECT_EQ(ring.Get(1, 7)->message->batch().seq(), 7u);
}

PublishedBatch Encoded(uint64_t seq, int records, int names, uint64_t epoch = 1) {
  PublishedBatch batch;
  batch.encoded =
      std::make_shared<EncodedBatch>(StatsdBatch(seq, records, names)->SerializeAsString());
  batch.epoch = epoch;
  batch.seq = seq;
  batch.records = static_cast<uint32_t>(records);
  batch.cumulative_records = seq * static_cast<uint64_t>(records);
  batch.bytes = ReplayFootprint(*batch.encoded);
  return batch;
}

TEST(EncodedBatchTest, ParsedOnceOnFirstNeedAndChargedWhileRetained) {
  ReplayRing ring(uint64_t{1} << 30);
  const PublishedBatch a = Encoded(1, 1024, 300);
  // The blocks that hold the bytes: less than one block more than the bytes.
  EXPECT_EQ(a.bytes, a.encoded->bytes().held_bytes());
  EXPECT_GE(a.bytes, a.encoded->bytes().size());
  EXPECT_LT(a.bytes, a.encoded->bytes().size() + kBlockBytes);
  ring.Append(a);
  EXPECT_EQ(ring.stats().bytes, a.bytes);
  EXPECT_EQ(a.encoded->parsed_bytes(), 0u);  // nothing parsed until a stream asks

  const v1::SubscribeResponse* message = a.Message();
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->batch().seq(), 1u);
  EXPECT_EQ(message->batch().statsd().name_size(), 1024);
  EXPECT_EQ(message->SerializeAsString(), a.encoded->bytes().Flatten());
  EXPECT_EQ(ring.Get(1, 1)->Message(), message);  // every holder shares the one parse
  const uint64_t parsed = a.encoded->parsed_bytes();
  // The parsed message's heap is several times the bytes, and the ring now counts it.
  EXPECT_GT(parsed, 2 * a.bytes);
  EXPECT_EQ(ring.stats().bytes, a.bytes + parsed);

  // A new epoch empties the ring, and with it the parsed message's charge.
  const PublishedBatch b = Encoded(1, 16, 4, /*epoch=*/2);
  ring.Append(b);
  EXPECT_EQ(ring.stats().bytes, b.bytes);
  // A parse after the batch left the ring is not charged to it.
  ASSERT_NE(Encoded(1, 16, 4).Message(), nullptr);
  EXPECT_EQ(ring.stats().bytes, b.bytes);
}

TEST(EncodedBatchTest, RingEvictsWhatAParseAddedAtTheNextAppend) {
  const PublishedBatch probe = Encoded(1, 1024, 300);
  const uint64_t budget = 4 * probe.bytes + probe.bytes / 2;
  ReplayRing ring(budget);
  for (uint64_t seq = 1; seq <= 4; ++seq) ring.Append(Encoded(seq, 1024, 300));
  ASSERT_EQ(ring.stats().batches, 4u);  // as bytes, four fit

  ASSERT_NE(ring.Get(1, 4)->Message(), nullptr);  // a filtered stream parses seq 4
  EXPECT_GT(ring.stats().bytes, budget);          // over until the next append...
  ring.Append(Encoded(5, 1024, 300));
  const ReplayRingStats stats = ring.stats();
  EXPECT_LE(stats.bytes, budget);  // ...which evicts down to the budget
  EXPECT_LT(stats.batches, 4u);
  uint64_t held = 0;
  for (uint64_t seq = stats.first_seq; seq <= 5; ++seq) {
    const std::optional<PublishedBatch> kept = ring.Get(1, seq);
    ASSERT_TRUE(kept.has_value());
    held += kept->bytes + kept->encoded->parsed_bytes();
  }
  EXPECT_EQ(stats.bytes, held);
}

TEST(NewBatchMessageTest, LivesOnItsOwnArenaAsLongAsAnyHolder) {
  std::shared_ptr<const v1::SubscribeResponse> kept;
  {
    std::shared_ptr<v1::SubscribeResponse> message = NewBatchMessage();
    ASSERT_NE(message->GetArena(), nullptr);
    FillStatsd(message.get(), 1, 1024, 300);
    kept = message;
  }  // the publisher's reference is gone; the ring's (here `kept`) still holds the arena
  EXPECT_EQ(kept->batch().statsd().name_size(), 1024);
  EXPECT_EQ(kept->batch().strings(300), "service.request.latency.299");
  const google::protobuf::Arena* arena = kept->GetArena();
  const uint64_t encoded = kept->ByteSizeLong();
  // The unused tails of the arena's blocks are charged on top of what the message uses.
  EXPECT_EQ(ReplayFootprint(*kept, encoded),
            kept->SpaceUsedLong() + encoded + (arena->SpaceAllocated() - arena->SpaceUsed()));
  // The columns themselves are in the arena's blocks.
  EXPECT_GE(arena->SpaceAllocated(), 1024u * (6 * 4 + 3 * 8));
  // Another message never shares the arena.
  EXPECT_NE(NewBatchMessage()->GetArena(), arena);
}

}  // namespace
}  // namespace firehose::exporter
