// One worker's batching stage: the RecordSink decoders write to, the pool of batch
// builders it cycles through, and the lock-free hand-off to the export thread.
//
// Builders circulate between two SPSC rings. The worker always holds one builder
// (`current_`); when it flushes, it takes a clean builder from `free_` and pushes the
// full one to `full_`. The export thread pops `full_`, publishes, clears and returns
// the builder to `free_`; the worker clears it when it takes it back, because clearing
// touches the worker's shared probe tables. If `free_` is empty the export side is behind by the
// whole pool: the worker never waits, it drops the current batch and counts it (handoff_full), so
// nothing is lost without a counter.
//
// The export thread sleeps when every ring is empty; a HandoffDoorbell wakes it when a
// batch is pushed, so a batch does not wait out a timed nap (on Linux a 50 µs sleep is
// 60-110 µs). The worker pays a syscall only when the export thread is actually asleep:
// at most one per batch, never per packet, and none while the exporter keeps up busily.
#ifndef FIREHOSE_NODE_BATCH_BATCHER_H_
#define FIREHOSE_NODE_BATCH_BATCHER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "node/batch/batch_builder.h"
#include "node/batch/spsc_ring.h"
#include "node/common/relaxed_counter.h"
#include "node/decode/record_sink.h"

namespace firehose::batch {

// Upper bounds of the batch histograms' buckets.
inline constexpr std::array<uint32_t, 8> kBatchRecordBuckets = {1,    16,   64,    256,
                                                                1024, 4096, 16384, 65536};
inline constexpr std::array<uint32_t, 10> kFlushDelayBucketsMicros = {
    10, 50, 100, 250, 500, 1000, 2500, 10000, 50000, 250000};

// Wakes the export thread (one waiter) when any of its workers hands off a batch.
// The classic sleeping-flag protocol with seq_cst fences on both sides: the worker
// publishes a batch and then reads the flag; the export thread sets the flag and then
// looks at the rings once more before it blocks. At least one of the two sees the
// other, so a batch pushed while the exporter falls asleep is never left unnoticed.
class HandoffDoorbell {
 public:
  // Any thread, after making work visible (a TryPush, a role request). Returns true when
  // it had to wake the export thread, i.e. when it made a syscall.
  bool Ring() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (state_.load(std::memory_order_relaxed) != kSleeping) return false;
    if (state_.exchange(kAwake, std::memory_order_acq_rel) != kSleeping) return false;
    Wake();
    return true;
  }
  // Export thread: announce the intent to sleep, then check for work once more and call
  // either Wait() or CancelWait().
  void PrepareWait() {
    state_.store(kSleeping, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  void CancelWait() { state_.store(kAwake, std::memory_order_relaxed); }
  // Export thread: blocks until Ring() or `timeout_nanos`, whichever is first (returns
  // at once if Ring() came after PrepareWait()).
  void Wait(int64_t timeout_nanos);

 private:
  static constexpr uint32_t kAwake = 0;
  static constexpr uint32_t kSleeping = 1;
  void Wake();
  // A futex word: the kernel compares it with kSleeping before it blocks.
  std::atomic<uint32_t> state_{kAwake};
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
                std::atomic<uint32_t>::is_always_lock_free);
};

// Batcher counters; each is written by the worker thread only.
struct BatcherCounters {
  RelaxedCounter records_added;         // records accepted into a batch
  RelaxedCounter batches_handed_off;    // batches pushed to the export side
  RelaxedCounter records_handed_off;    // records in those batches
  RelaxedCounter handoff_full_batches;  // batches dropped: export side had no free builder
  RelaxedCounter handoff_full_records;  // records in those batches
  RelaxedCounter record_too_large;      // records that do not fit an empty batch
  RelaxedCounter flushes_on_records;    // flush causes, for tuning batch limits
  RelaxedCounter flushes_on_bytes;
  RelaxedCounter flushes_on_delay;
  RelaxedCounter flushes_on_stop;
  // Hand-offs that had to wake a sleeping export thread (one futex syscall each).
  RelaxedCounter export_wakeups;
  // Histograms of flushed batches (bucket i counts values <= its bound and above the
  // previous one; the last bucket is +Inf): records per batch, and how long the oldest
  // record had waited when its batch was flushed.
  std::array<RelaxedCounter, kBatchRecordBuckets.size() + 1> batch_records;
  RelaxedCounter batch_records_sum;
  std::array<RelaxedCounter, kFlushDelayBucketsMicros.size() + 1> flush_delay;
  RelaxedCounter flush_delay_sum_nanos;
};

class Batcher final : public decode::RecordSink {
 public:
  // `pool_size` builders (a power of two >= 2) circulate between worker and exporter.
  Batcher(uint16_t queue_id, const BatchLimits& limits, uint32_t pool_size,
          int64_t max_delay_nanos);
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // --- Worker side ---
  void AddStatsd(const decode::StatsdRecord& record, const PacketMeta& meta) override;
  void AddFlow(const decode::FlowRecord& record, const PacketMeta& meta) override;
  void AddLinePoint(const decode::LinePoint& point, const PacketMeta& meta) override;
  // Flushes when the oldest record has waited `max_delay_nanos`. Call every poll.
  void FlushIfDue(int64_t now_unix_nanos) {
    if (now_unix_nanos >= FlushDeadline()) {
      counters_.flushes_on_delay.Increment();
      Flush(now_unix_nanos);
    }
  }
  // When FlushIfDue will flush the current batch (unix nanos), or INT64_MAX when it is
  // empty: an idle worker sleeps until then at most, so a partial batch leaves on time
  // even when no further packet arrives to trigger the check.
  int64_t FlushDeadline() const {
    return current_->empty() ? INT64_MAX : current_->first_receive_unix_nanos() + max_delay_nanos_;
  }
  // How long a record may wait in a batch (batch.max_delay_us).
  int64_t max_delay_nanos() const { return max_delay_nanos_; }
  // Hands off the current batch if it has records (used on stop).
  void FlushNow() {
    if (current_->empty()) return;
    counters_.flushes_on_stop.Increment();
    Flush(current_->last_receive_unix_nanos());
  }

  // --- Export side ---
  // Set by the export side before the worker starts (or nullptr): rung after each
  // hand-off.
  void set_doorbell(HandoffDoorbell* doorbell) {
    doorbell_.store(doorbell, std::memory_order_release);
  }
  // Next finished batch, or nullptr. Give it back with Release() after publishing.
  BatchBuilder* TakeFull() { return full_.TryPop(); }
  void Release(BatchBuilder* builder);

  // --- Any thread ---
  const BatcherCounters& counters() const { return counters_; }
  uint16_t queue_id() const { return queue_id_; }
  // Batches waiting for the export thread (a gauge for metrics).
  uint32_t handoff_occupancy() const { return full_.SizeApprox(); }
  uint32_t pool_size() const { return pool_size_; }

 private:
  template <typename Record>
  void Add(AddResult (BatchBuilder::*add)(const Record&, const PacketMeta&), const Record& record,
           const PacketMeta& meta);
  // `now_unix_nanos` is only used to observe the flush delay.
  void Flush(int64_t now_unix_nanos);
  void ObserveFlush(int64_t now_unix_nanos);
  BatchBuilder* TakeFreeBuilder();

  const uint16_t queue_id_;
  const uint32_t pool_size_;
  const int64_t max_delay_nanos_;
  BatchIndexes indexes_;  // shared by every builder of this worker; worker-only
  std::vector<std::unique_ptr<BatchBuilder>> pool_;
  SpscRing<BatchBuilder> full_;  // worker -> exporter
  SpscRing<BatchBuilder> free_;  // exporter -> worker
  // Worker-only stack of clean builders, refilled from `free_`; see TakeFreeBuilder().
  std::unique_ptr<BatchBuilder*[]> spare_;
  uint32_t spare_count_ = 0;
  BatchBuilder* current_;
  std::atomic<HandoffDoorbell*> doorbell_{nullptr};
  BatcherCounters counters_;
};

}  // namespace firehose::batch

#endif  // FIREHOSE_NODE_BATCH_BATCHER_H_
