// The replay ring: the node's most recent published batches, bounded in bytes, from
// which resuming subscribers are served (StartPosition FROM_EARLIEST / FROM_AFTER).
//
// Besides the batches themselves the ring keeps a much longer, fixed-size index of the
// running record count per sequence number (8 bytes per batch), so that a subscriber
// asking for batches that have already left the ring is told exactly how many records
// it missed, not just how many batches.
//
// Batches reach the ring in one of two forms: ingestd's publisher hands over wire bytes
// (EncodedBatch, in fixed-size blocks, ~1.02x the encoded size), message-building producers such as
// the relay a message on its arena (3-4x). Either way the budget charges the memory held.
#ifndef FIREHOSE_NODE_EXPORT_REPLAY_RING_H_
#define FIREHOSE_NODE_EXPORT_REPLAY_RING_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "node/export/block_buffer.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::exporter {

// The serialised form of a published message, made at most once, by whichever stream
// writes it first, and then shared by every stream that sends the message unchanged
// (producers that publish a message; encoded batches already are bytes).
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

// A batch published as wire bytes (ingestd's publisher: BatchBuilder::EncodeResponse,
// the serialized SubscribeResponse), held in fixed-size pool blocks (BlockBuffer: no
// buffer of a new size per batch for glibc's heap to fragment on). Every stream that
// sends the batch unchanged sends these blocks as slices; a stream that needs the
// message (record filters) gets it parsed from them once, on the first such stream's
// thread, never on the export thread, and shared by every later one.
//
// Memory: the ring charges the blocks when the batch is appended and the parsed message
// (its heap, as ReplayFootprint measures it) when and if it is made, for as long as the
// ring retains the batch, so its budget counts what its batches actually hold. A parse
// raises the ring's total at once; the excess is evicted at the next Append. (As with
// message batches, what subscriber queues hold after eviction is not the ring's.) The
// batch strings are well-formed UTF-8 (the decoders check), so proto3 parsing accepts
// them; a batch belongs to one ring at a time.
class EncodedBatch {
 public:
  explicit EncodedBatch(BlockBuffer bytes) : bytes_(std::move(bytes)) {}
  // Copies `bytes` into blocks (tests, benchmarks).
  explicit EncodedBatch(std::string_view bytes) : bytes_(BlockBuffer::CopyOf(bytes)) {}
  EncodedBatch(const EncodedBatch&) = delete;
  EncodedBatch& operator=(const EncodedBatch&) = delete;

  const BlockBuffer& bytes() const { return bytes_; }
  // The message, parsed on the first call (any thread); null if the bytes do not parse,
  // which the encoder's byte-for-byte test against protobuf rules out for its output.
  const v1::SubscribeResponse* message();
  // Heap of the parsed message; 0 until message() made it.
  uint64_t parsed_bytes() const ABSL_LOCKS_EXCLUDED(charge_mu_);

 private:
  friend class ReplayRing;
  // The ring retaining this batch adds the parsed message's heap to `sink` (null: left
  // the ring), now if it is already parsed, else when it is.
  void ChargeParsedTo(std::shared_ptr<std::atomic<uint64_t>> sink) ABSL_LOCKS_EXCLUDED(charge_mu_);

  const BlockBuffer bytes_;
  std::once_flag parse_once_;
  std::shared_ptr<v1::SubscribeResponse> parsed_;  // written once, under parse_once_
  bool parse_ok_ = false;
  mutable absl::Mutex charge_mu_;
  uint64_t parsed_bytes_ ABSL_GUARDED_BY(charge_mu_) = 0;
  std::shared_ptr<std::atomic<uint64_t>> sink_ ABSL_GUARDED_BY(charge_mu_);
};

// A batch as published: the shared wire message or bytes, plus what gap accounting needs.
struct PublishedBatch {
  // Set by producers that build a message (the relay, tests); null for encoded batches.
  std::shared_ptr<const v1::SubscribeResponse> message;
  // Optional, with `message`: present when the producer wants it serialised once for all.
  std::shared_ptr<SerializedOnce> serialized;
  // Set instead of `message` by ingestd's publisher: the bytes, and the message on demand.
  std::shared_ptr<EncodedBatch> encoded;
  uint64_t epoch = 0;
  uint64_t seq = 0;
  uint32_t records = 0;
  // Records published in this epoch up to and including this batch.
  uint64_t cumulative_records = 0;
  // What the replay ring's byte budget charges for this batch: its memory, from
  // ReplayFootprint() (tests and the relay may charge any other consistent measure).
  uint64_t bytes = 0;

  // The message: `message`, or `encoded` parsed on first need (null if it cannot be).
  const v1::SubscribeResponse* Message() const {
    return encoded != nullptr ? encoded->message() : message.get();
  }
};

// The memory a batch holds while it sits in the replay ring: the message's own heap
// (Message::SpaceUsedLong: columns as C++ arrays, dictionary entries as std::strings,
// 3-4x the encoded size of a statsd batch) plus `encoded_bytes` for the one shared
// serialisation (SerializedOnce) that the first stream to send the batch keeps with it.
// Charging the encoded size alone let a 64 MiB ring hold ~190 MiB of heap, and a
// varying amount of it as batch sizes varied, which showed as RSS creeping and
// wobbling by several MiB. Costs the export thread 10-25 us per batch.
// For a message on an Arena (NewBatchMessage), the arena's unused block tails count too.
// This is for producers that publish a message (the relay); ingestd's publisher
// publishes bytes and charges the overload below.
uint64_t ReplayFootprint(const v1::SubscribeResponse& message, uint64_t encoded_bytes);

// What an encoded batch holds when published: its blocks, whole (BlockBuffer::
// held_bytes: the bytes plus the unused end of the last block), ~1.02x the encoded size
// of a full statsd batch instead of the message's 3-4x. The message parsed from them
// later, if any stream needs one, is charged by the ring when it is made (see
// EncodedBatch), not here, so it is never counted twice.
uint64_t ReplayFootprint(const EncodedBatch& batch);

// An empty message for the export thread to build one published batch in, on its own
// protobuf Arena that lives as long as the last holder of the message (ring, subscriber
// queues). Its columns then sit in a few 128 KiB blocks from one pool
// (node/export/pooled_arena.h) instead of a dozen odd-sized allocations per batch, so a
// block freed by eviction is the next batch's, whichever thread frees or takes it, and
// the heap does not fragment as batch sizes vary.
std::shared_ptr<v1::SubscribeResponse> NewBatchMessage();

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
  // Takes the oldest batch out; its parsed message stops counting.
  void PopOldestLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const uint64_t max_bytes_;
  const size_t index_batches_;
  mutable absl::Mutex mu_;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_cumulative_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<PublishedBatch> batches_ ABSL_GUARDED_BY(mu_);
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Heap of the messages parsed from retained encoded batches (EncodedBatch adds to it
  // from stream threads, hence atomic and shared; the ring's total is bytes_ + this).
  const std::shared_ptr<std::atomic<uint64_t>> parsed_bytes_ =
      std::make_shared<std::atomic<uint64_t>>(0);
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
