// The replay ring: the node's most recent published batches, bounded in bytes, from
// which resuming subscribers are served (StartPosition FROM_EARLIEST / FROM_AFTER).
//
// Besides the batches themselves the ring keeps a much longer, fixed-size index of the
// running record count per sequence number (8 bytes per batch), so that a subscriber
// asking for batches that have already left the ring is told exactly how many records
// it missed, not just how many batches.
#ifndef FIREHOSE_NODE_EXPORT_REPLAY_RING_H_
#define FIREHOSE_NODE_EXPORT_REPLAY_RING_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::exporter {

// The serialised form of a published message, made at most once, by whichever stream
// writes it first, and then shared by every stream that sends the message unchanged.
class SerializedOnce {
 public:
  const std::string& Get(const v1::SubscribeResponse& message) {
    std::call_once(once_, [&] {
      // If sizes were already computed (ByteSizeLong), serialising with them saves
      // walking every column a second time; otherwise compute them here, on the
      // subscriber's stream thread rather than the export thread.
      const int size = message.GetCachedSize();
      if (size <= 0) {
        message.SerializeToString(&bytes_);
        return;
      }
      bytes_.resize(static_cast<size_t>(size));
      message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(bytes_.data()));
    });
    return bytes_;
  }

 private:
  std::once_flag once_;
  std::string bytes_;
};

// A batch as published: the shared wire message plus what gap accounting needs.
struct PublishedBatch {
  std::shared_ptr<const v1::SubscribeResponse> message;
  // Optional: present when the publisher wants the message serialised once for all.
  std::shared_ptr<SerializedOnce> serialized;
  uint64_t epoch = 0;
  uint64_t seq = 0;
  uint32_t records = 0;
  // Records published in this epoch up to and including this batch.
  uint64_t cumulative_records = 0;
  // What the replay ring's byte budget charges for this batch: its memory, from
  // ReplayFootprint() (tests and the relay may charge any other consistent measure).
  uint64_t bytes = 0;
};

// The memory a batch holds while it sits in the replay ring: the message's own heap
// (Message::SpaceUsedLong: columns as C++ arrays, dictionary entries as std::strings,
// 3-4x the encoded size of a statsd batch) plus `encoded_bytes` for the one shared
// serialisation (SerializedOnce) that the first stream to send the batch keeps with it.
// Charging the encoded size alone let a 64 MiB ring hold ~190 MiB of heap, and a
// varying amount of it as batch sizes varied, which showed as RSS creeping and
// wobbling by several MiB. Costs the export thread 10-25 us per batch.
// For a message on an Arena (NewBatchMessage), the arena's unused block tails count too.
uint64_t ReplayFootprint(const v1::SubscribeResponse& message, uint64_t encoded_bytes);

// An empty message for the export thread to build one published batch in, on its own
// protobuf Arena that lives as long as the last holder of the message (ring, subscriber
// queues). Its columns then sit in a few blocks of fixed power-of-two sizes
// (kBatchArenaFirstBlock doubling up to kBatchArenaMaxBlock) instead of a dozen
// odd-sized allocations per batch, so a block freed by eviction fits the next batch's
// and the heap does not fragment as batch sizes vary.
std::shared_ptr<v1::SubscribeResponse> NewBatchMessage();
inline constexpr size_t kBatchArenaFirstBlock = 4 << 10;
inline constexpr size_t kBatchArenaMaxBlock = 64 << 10;

struct ReplayRingStats {
  uint64_t batches = 0;
  uint64_t bytes = 0;
  uint64_t first_seq = 0;  // 0 when empty
  uint64_t evicted_batches = 0;
};

class ReplayRing {
 public:
  // Index entries kept for exact gap counts: 8 MiB, over a million batches (minutes at
  // full rate, hours at ordinary rates) — far longer than the ring itself.
  static constexpr size_t kDefaultIndexBatches = size_t{1} << 20;

  // `max_bytes` 0 keeps no batches (every resume is a gap) but still counts exactly.
  explicit ReplayRing(uint64_t max_bytes, size_t index_batches = kDefaultIndexBatches);

  // Export thread. A batch of a new epoch empties the ring: seq restarts with it.
  void Append(const PublishedBatch& batch) ABSL_LOCKS_EXCLUDED(mu_);

  // Records published in `epoch` before batch `seq`, if still known. Always known for
  // seq 1 and for any seq up to one past the last published.
  std::optional<uint64_t> RecordsBefore(uint64_t epoch, uint64_t seq) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // The batch `seq` of `epoch` if the ring still holds it.
  std::optional<PublishedBatch> Get(uint64_t epoch, uint64_t seq) const ABSL_LOCKS_EXCLUDED(mu_);
  // Oldest retained seq of `epoch`, or last published + 1 when none is retained.
  uint64_t FirstRetained(uint64_t epoch) const ABSL_LOCKS_EXCLUDED(mu_);

  ReplayRingStats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  std::optional<uint64_t> RecordsBeforeLocked(uint64_t seq) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const uint64_t max_bytes_;
  const size_t index_batches_;
  mutable absl::Mutex mu_;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_cumulative_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<PublishedBatch> batches_ ABSL_GUARDED_BY(mu_);
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t evicted_ ABSL_GUARDED_BY(mu_) = 0;
  // cumulative_records of seqs index_base_ .. index_base_ + index_count_ - 1, seq s at
  // index_[s % index_batches_]. Allocated whole at construction, so that the node's
  // memory is flat from the start rather than creeping up by 8 bytes per batch until
  // the index is full (a growing deque showed as RSS growth in the soak benchmark).
  std::vector<uint64_t> index_ ABSL_GUARDED_BY(mu_);
  uint64_t index_base_ ABSL_GUARDED_BY(mu_) = 1;
  size_t index_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_REPLAY_RING_H_
