// Tests the batcher's flush causes, its hand-off to the export side, and that a stalled
// exporter makes it drop and count batches instead of blocking.
#include "node/batch/batcher.h"

#include <chrono>
#include <climits>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::batch {
namespace {

decode::StatsdRecord Counter() {
  decode::StatsdRecord r;
  r.name = "requests";
  r.value = 1;
  return r;
}

PacketMeta At(int64_t nanos) {
  PacketMeta meta;
  meta.receive_unix_nanos = nanos;
  meta.source_address_len = 4;
  return meta;
}

TEST(BatcherTest, FlushesOnRecordLimitAndHandsOff) {
  Batcher batcher(7, BatchLimits{4, 1 << 16}, 4, 1'000'000);
  for (int i = 0; i < 10; ++i) batcher.AddStatsd(Counter(), At(i));
  // Two full batches of 4 handed off, 2 records still in the current one.
  EXPECT_EQ(batcher.counters().batches_handed_off.Get(), 2u);
  EXPECT_EQ(batcher.counters().flushes_on_records.Get(), 2u);
  BatchBuilder* first = batcher.TakeFull();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->record_count(), 4u);
  EXPECT_EQ(first->queue_id(), 7);
  batcher.Release(first);
  BatchBuilder* second = batcher.TakeFull();
  ASSERT_NE(second, nullptr);
  batcher.Release(second);
  EXPECT_EQ(batcher.TakeFull(), nullptr);
  batcher.FlushNow();
  BatchBuilder* last = batcher.TakeFull();
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->record_count(), 2u);
  EXPECT_EQ(batcher.counters().records_added.Get(), 10u);
  EXPECT_EQ(batcher.counters().records_handed_off.Get(), 10u);
}

TEST(BatcherTest, FlushesWhenOldestRecordIsDue) {
  Batcher batcher(0, BatchLimits{100, 1 << 16}, 2, 1000);
  batcher.AddStatsd(Counter(), At(5000));
  batcher.FlushIfDue(5999);
  EXPECT_EQ(batcher.TakeFull(), nullptr);
  batcher.FlushIfDue(6000);
  BatchBuilder* batch = batcher.TakeFull();
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->record_count(), 1u);
  EXPECT_EQ(batcher.counters().flushes_on_delay.Get(), 1u);
  batcher.Release(batch);
  batcher.FlushIfDue(1'000'000);  // empty: nothing to flush
  EXPECT_EQ(batcher.TakeFull(), nullptr);
}

TEST(BatcherTest, FlushDeadlineIsTheOldestRecordPlusTheDelay) {
  Batcher batcher(0, BatchLimits{100, 1 << 16}, 2, 1000);
  EXPECT_EQ(batcher.FlushDeadline(), INT64_MAX);  // empty: nothing to wake up for
  batcher.AddStatsd(Counter(), At(5000));
  batcher.AddStatsd(Counter(), At(5400));
  EXPECT_EQ(batcher.FlushDeadline(), 6000);
  batcher.FlushIfDue(6000);
  EXPECT_EQ(batcher.FlushDeadline(), INT64_MAX);
}

// The worker rings only a sleeping exporter: no syscall while it is awake, one (and a
// Wait that returns at once) when it announced sleep before the hand-off.
TEST(BatcherTest, HandOffWakesTheExporterOnlyWhenItSleeps) {
  Batcher batcher(0, BatchLimits{1, 1 << 16}, 8, 1'000'000);
  HandoffDoorbell doorbell;
  batcher.set_doorbell(&doorbell);
  batcher.AddStatsd(Counter(), At(1));
  batcher.AddStatsd(Counter(), At(2));  // hands off the first batch; exporter awake
  EXPECT_EQ(batcher.counters().batches_handed_off.Get(), 1u);
  EXPECT_EQ(batcher.counters().export_wakeups.Get(), 0u);

  doorbell.PrepareWait();
  batcher.AddStatsd(Counter(), At(3));  // hands off while the exporter is falling asleep
  EXPECT_EQ(batcher.counters().export_wakeups.Get(), 1u);
  const auto start = std::chrono::steady_clock::now();
  doorbell.Wait(60'000'000'000);  // already rung: must not block for the minute
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  batcher.AddStatsd(Counter(), At(4));  // awake again: no further wake-up
  EXPECT_EQ(batcher.counters().export_wakeups.Get(), 1u);
}

// A hand-off from another thread ends a Wait that would otherwise last a minute.
TEST(BatcherTest, HandOffFromTheWorkerThreadEndsTheExportersWait) {
  Batcher batcher(0, BatchLimits{1, 1 << 16}, 8, 1'000'000);
  HandoffDoorbell doorbell;
  batcher.set_doorbell(&doorbell);
  doorbell.PrepareWait();
  ASSERT_EQ(batcher.TakeFull(), nullptr);
  std::thread worker([&batcher] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    batcher.AddStatsd(Counter(), At(1));
    batcher.FlushNow();
  });
  const auto start = std::chrono::steady_clock::now();
  doorbell.Wait(60'000'000'000);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  worker.join();
  BatchBuilder* batch = batcher.TakeFull();
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->record_count(), 1u);
  EXPECT_EQ(batcher.counters().export_wakeups.Get(), 1u);
  batcher.Release(batch);
}

TEST(BatcherTest, StalledExporterCausesCountedDropsNotBlocking) {
  // Pool of 2: one in the worker's hands, one free. Nobody takes full batches.
  Batcher batcher(0, BatchLimits{1, 1 << 16}, 2, 1'000'000);
  for (int i = 0; i < 5; ++i) batcher.AddStatsd(Counter(), At(i));
  // Record 0 fills the first builder; record 1 hands it off (the only free builder
  // replaces it); records 2..4 each find no free builder, so the batch in hand
  // (one record) is dropped and counted each time.
  const BatcherCounters& c = batcher.counters();
  EXPECT_EQ(c.batches_handed_off.Get(), 1u);
  EXPECT_EQ(c.handoff_full_batches.Get(), 3u);
  EXPECT_EQ(c.handoff_full_records.Get(), 3u);
  EXPECT_EQ(c.records_added.Get(), 5u);
  // Identity: added = handed off + dropped + still in hand.
  EXPECT_EQ(c.records_added.Get(), c.records_handed_off.Get() + c.handoff_full_records.Get() + 1);
}

// Packets of three records from two senders in turn, through one PacketMeta object, in
// batches of four: every other flush falls between two records of one packet. Each
// record must keep its own packet's sender in whatever batch it lands.
TEST(BatcherTest, SourcesStayExactWhenABatchFlushesMidPacket) {
  Batcher batcher(0, BatchLimits{4, 1 << 16}, 4, 1'000'000);
  PacketMeta meta = At(0);
  std::vector<uint16_t> want_ports;
  for (int packet = 0; packet < 4; ++packet) {
    meta.source_address[3] = static_cast<uint8_t>(packet % 2 == 0 ? 1 : 2);
    meta.source_port = static_cast<uint16_t>(packet % 2 == 0 ? 1111 : 2222);
    meta.receive_unix_nanos = packet;
    for (int line = 0; line < 3; ++line) {
      batcher.AddStatsd(Counter(), meta);
      want_ports.push_back(meta.source_port);
    }
  }
  batcher.FlushNow();
  EXPECT_EQ(batcher.counters().batches_handed_off.Get(), 3u);
  size_t record = 0;
  while (BatchBuilder* full = batcher.TakeFull()) {
    v1::Batch batch;
    full->ToProto(&batch);
    for (uint32_t source : batch.statsd().source()) {
      ASSERT_LT(record, want_ports.size());
      const v1::Endpoint& e = batch.sources(static_cast<int>(source));
      EXPECT_EQ(e.port(), want_ports[record]) << "record " << record;
      EXPECT_EQ(e.address(),
                std::string("\0\0\0", 3) + static_cast<char>(want_ports[record] == 1111 ? 1 : 2));
      ++record;
    }
    batcher.Release(full);
  }
  EXPECT_EQ(record, want_ports.size());
}

TEST(BatcherTest, RecordTooLargeIsCounted) {
  Batcher batcher(0, BatchLimits{10, 64}, 2, 1'000'000);
  decode::StatsdRecord r = Counter();
  const std::string name(200, 'x');
  r.name = name;
  batcher.AddStatsd(r, At(1));
  EXPECT_EQ(batcher.counters().record_too_large.Get(), 1u);
  EXPECT_EQ(batcher.counters().records_added.Get(), 0u);
}

}  // namespace
}  // namespace firehose::batch

namespace firehose::batch {
namespace {

TEST(BatcherTest, FlowsAndLinePointsFlushLikeStatsd) {
  Batcher batcher(1, BatchLimits{3, 1 << 16}, 4, 1'000'000);
  decode::LinePoint p;
  p.measurement = "cpu";
  p.field_count = 1;
  p.fields[0].key = "v";
  for (int i = 0; i < 2; ++i) batcher.AddFlow(decode::FlowRecord(), At(i));
  for (int i = 0; i < 2; ++i) batcher.AddLinePoint(p, At(10 + i));
  EXPECT_EQ(batcher.counters().records_added.Get(), 4u);
  EXPECT_EQ(batcher.counters().flushes_on_records.Get(), 1u);
  BatchBuilder* full = batcher.TakeFull();
  ASSERT_NE(full, nullptr);
  EXPECT_EQ(full->record_count(), 3u);
  batcher.Release(full);
}

}  // namespace
}  // namespace firehose::batch

namespace firehose::batch {
namespace {

TEST(BatcherHistogramTest, ObservesRecordsPerBatchAndFlushDelay) {
  Batcher batcher(0, BatchLimits{100, 1 << 16}, 4, 1'000'000);  // 1 ms max delay
  decode::StatsdRecord r;
  r.name = "m";
  PacketMeta meta;
  meta.source_address_len = 4;
  for (int i = 0; i < 20; ++i) {
    meta.receive_unix_nanos = 1'000'000 + i;
    batcher.AddStatsd(r, meta);
  }
  batcher.FlushIfDue(1'000'000 + 3'000'000);  // oldest waited 3 ms
  const BatcherCounters& c = batcher.counters();
  EXPECT_EQ(c.batch_records_sum.Get(), 20u);
  EXPECT_EQ(c.batch_records[2].Get(), 1u);  // 16 < 20 <= 64
  EXPECT_EQ(c.flush_delay_sum_nanos.Get(), 3'000'000u);
  EXPECT_EQ(c.flush_delay[7].Get(), 1u);  // 2500 us < 3000 us <= 10000 us
  uint64_t total = 0;
  for (const auto& b : c.batch_records) total += b.Get();
  EXPECT_EQ(total, 1u);
}

}  // namespace
}  // namespace firehose::batch
