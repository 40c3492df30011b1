// The worker-side batching stage and its builder pool; see the header.
#include "node/batch/batcher.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

namespace firehose::batch {

void HandoffDoorbell::Wait(int64_t timeout_nanos) {
  const timespec timeout = {static_cast<time_t>(timeout_nanos / 1'000'000'000),
                            static_cast<long>(timeout_nanos % 1'000'000'000)};
  // Returns at once (EAGAIN) if Ring() already reset the word; a spurious or timed-out
  // return is harmless because the caller polls the rings again either way.
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, kSleeping, &timeout,
          nullptr, 0);
  state_.store(kAwake, std::memory_order_relaxed);
}

void HandoffDoorbell::Wake() {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr,
          0);
}

Batcher::Batcher(uint16_t queue_id, const BatchLimits& limits, uint32_t pool_size,
                 int64_t max_delay_nanos)
    : queue_id_(queue_id),
      pool_size_(pool_size),
      max_delay_nanos_(max_delay_nanos),
      indexes_(limits),
      full_(pool_size),
      free_(pool_size) {
  pool_.reserve(pool_size);
  for (uint32_t i = 0; i < pool_size; ++i) {
    pool_.push_back(std::make_unique<BatchBuilder>(limits, &indexes_));
    pool_.back()->set_queue_id(queue_id);
  }
  current_ = pool_[0].get();
  spare_ = std::make_unique<BatchBuilder*[]>(pool_size);
  for (uint32_t i = 1; i < pool_size; ++i) spare_[spare_count_++] = pool_[i].get();
}

// Adds one record of any kind with `add` (a BatchBuilder member), flushing once when
// the current batch is full. One template for all kinds keeps the flush rules identical.
template <typename Record>
void Batcher::Add(AddResult (BatchBuilder::*add)(const Record&, const PacketMeta&),
                  const Record& record, const PacketMeta& meta) {
  AddResult result = (current_->*add)(record, meta);
  if (result == AddResult::kFull) {
    if (current_->at_record_limit()) {
      counters_.flushes_on_records.Increment();
    } else {
      counters_.flushes_on_bytes.Increment();
    }
    Flush(meta.receive_unix_nanos);
    result = (current_->*add)(record, meta);
  }
  if (result == AddResult::kAdded) {
    counters_.records_added.Increment();
  } else {
    // kTooLarge, or kFull on an empty builder, which only limits too small to hold one
    // record can cause: either way the record cannot be batched.
    counters_.record_too_large.Increment();
  }
}

void Batcher::AddStatsd(const decode::StatsdRecord& record, const PacketMeta& meta) {
  Add(&BatchBuilder::AddStatsd, record, meta);
}

void Batcher::AddFlow(const decode::FlowRecord& record, const PacketMeta& meta) {
  Add(&BatchBuilder::AddFlow, record, meta);
}

void Batcher::AddLinePoint(const decode::LinePoint& point, const PacketMeta& meta) {
  Add(&BatchBuilder::AddLinePoint, point, meta);
}

BatchBuilder* Batcher::TakeFreeBuilder() {
  // Move everything the exporter has returned onto the worker's private stack, oldest
  // first, then use the top: the builder released most recently, whose memory is still
  // in cache. Taking builders in ring (FIFO) order would walk the whole pool, a few
  // hundred KiB each, and evict the probe tables on every batch.
  while (BatchBuilder* returned = free_.TryPop()) spare_[spare_count_++] = returned;
  return spare_count_ == 0 ? nullptr : spare_[--spare_count_];
}

void Batcher::ObserveFlush(int64_t now_unix_nanos) {
  const uint32_t records = current_->record_count();
  size_t bucket = 0;
  while (bucket < kBatchRecordBuckets.size() && records > kBatchRecordBuckets[bucket]) ++bucket;
  counters_.batch_records[bucket].Increment();
  counters_.batch_records_sum.Add(records);
  const int64_t waited =
      std::max<int64_t>(0, now_unix_nanos - current_->first_receive_unix_nanos());
  bucket = 0;
  while (bucket < kFlushDelayBucketsMicros.size() &&
         waited > static_cast<int64_t>(kFlushDelayBucketsMicros[bucket]) * 1000) {
    ++bucket;
  }
  counters_.flush_delay[bucket].Increment();
  counters_.flush_delay_sum_nanos.Add(static_cast<uint64_t>(waited));
}

void Batcher::Flush(int64_t now_unix_nanos) {
  ObserveFlush(now_unix_nanos);
  BatchBuilder* next = TakeFreeBuilder();
  if (next == nullptr) {
    counters_.handoff_full_batches.Increment();
    counters_.handoff_full_records.Add(current_->record_count());
    current_->Clear();
    return;
  }
  counters_.batches_handed_off.Increment();
  counters_.records_handed_off.Add(current_->record_count());
  // Cannot fail: the pool never holds more builders than the ring's capacity.
  full_.TryPush(current_);
  if (HandoffDoorbell* doorbell = doorbell_.load(std::memory_order_acquire)) {
    if (doorbell->Ring()) counters_.export_wakeups.Increment();
  }
  next->Clear();
  current_ = next;
}

void Batcher::Release(BatchBuilder* builder) {
  // Not cleared here: this is the export thread, and clearing belongs to the worker.
  free_.TryPush(builder);
}

}  // namespace firehose::batch
