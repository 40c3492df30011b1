// One worker's batching stage: the RecordSink decoders write to, the pool of batch
// builders it cycles through, and the lock-free hand-off to the export thread.
//
// Builders circulate between two SPSC rings. The worker always holds one builder
// (`current_`); when it flushes, it takes a clean builder from `free_` and pushes the
// full one to `full_`. The export thread pops `full_`, publishes, clears and returns
// the builder to `free_`; the worker clears it when it takes it back, because clearing
// touches the worker's shared probe tables. If `free_` is empty the export side is behind by the whole
// pool: the worker never waits, it drops the current batch and counts it
// (handoff_full), so nothing is lost without a counter.
#ifndef FIREHOSE_NODE_BATCH_BATCHER_H_
#define FIREHOSE_NODE_BATCH_BATCHER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "node/batch/batch_builder.h"
#include "node/batch/spsc_ring.h"
#include "node/common/relaxed_counter.h"
#include "node/decode/record_sink.h"

namespace firehose::batch {

// Upper bounds of the batch histograms' buckets.
inline constexpr std::array<uint32_t, 8> kBatchRecordBuckets = {1,   16,   64,   256,
                                                                1024, 4096, 16384, 65536};
inline constexpr std::array<uint32_t, 10> kFlushDelayBucketsMicros = {
    10, 50, 100, 250, 500, 1000, 2500, 10000, 50000, 250000};

// Batcher counters; each is written by the worker thread only.
struct BatcherCounters {
  RelaxedCounter records_added;          // records accepted into a batch
  RelaxedCounter batches_handed_off;     // batches pushed to the export side
  RelaxedCounter records_handed_off;     // records in those batches
  RelaxedCounter handoff_full_batches;   // batches dropped: export side had no free builder
  RelaxedCounter handoff_full_records;   // records in those batches
  RelaxedCounter record_too_large;       // records that do not fit an empty batch
  RelaxedCounter flushes_on_records;     // flush causes, for tuning batch limits
  RelaxedCounter flushes_on_bytes;
  RelaxedCounter flushes_on_delay;
  RelaxedCounter flushes_on_stop;
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
    if (!current_->empty() &&
        now_unix_nanos - current_->first_receive_unix_nanos() >= max_delay_nanos_) {
      counters_.flushes_on_delay.Increment();
      Flush(now_unix_nanos);
    }
  }
  // Hands off the current batch if it has records (used on stop).
  void FlushNow() {
    if (current_->empty()) return;
    counters_.flushes_on_stop.Increment();
    Flush(current_->last_receive_unix_nanos());
  }

  // --- Export side ---
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
  void Add(AddResult (BatchBuilder::*add)(const Record&, const PacketMeta&),
           const Record& record, const PacketMeta& meta);
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
  BatcherCounters counters_;
};

}  // namespace firehose::batch

#endif  // FIREHOSE_NODE_BATCH_BATCHER_H_
