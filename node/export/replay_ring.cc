// Bounded replay of recent batches with exact miss accounting; see the header.
#include "node/export/replay_ring.h"

#include <algorithm>
#include <utility>

#include "google/protobuf/arena.h"

namespace firehose::exporter {

uint64_t ReplayFootprint(const v1::SubscribeResponse& message, uint64_t encoded_bytes) {
  uint64_t bytes = static_cast<uint64_t>(message.SpaceUsedLong()) + encoded_bytes;
  if (const google::protobuf::Arena* arena = message.GetArena()) {
    bytes += arena->SpaceAllocated() - arena->SpaceUsed();
  }
  return bytes;
}

namespace {

// The arena and the message on it, freed together with the last shared_ptr.
struct ArenaBatch {
  ArenaBatch() : arena(Options()) {}
  static google::protobuf::ArenaOptions Options() {
    google::protobuf::ArenaOptions options;
    options.start_block_size = kBatchArenaFirstBlock;
    options.max_block_size = kBatchArenaMaxBlock;
    return options;
  }
  google::protobuf::Arena arena;
};

}  // namespace

std::shared_ptr<v1::SubscribeResponse> NewBatchMessage() {
  auto holder = std::make_shared<ArenaBatch>();
  auto* message = google::protobuf::Arena::CreateMessage<v1::SubscribeResponse>(&holder->arena);
  return std::shared_ptr<v1::SubscribeResponse>(std::move(holder), message);
}

ReplayRing::ReplayRing(uint64_t max_bytes, size_t index_batches)
    : max_bytes_(max_bytes),
      index_batches_(std::max<size_t>(index_batches, 1)),
      index_(index_batches_, 0) {}

void ReplayRing::Append(const PublishedBatch& batch) {
  absl::MutexLock lock(&mu_);
  if (batch.epoch != epoch_) {
    epoch_ = batch.epoch;
    batches_.clear();
    bytes_ = 0;
    index_count_ = 0;
    index_base_ = batch.seq;
  }
  last_seq_ = batch.seq;
  last_cumulative_ = batch.cumulative_records;
  // Seqs are dense within an epoch: this batch is index_base_ + index_count_.
  index_[(index_base_ + index_count_) % index_batches_] = batch.cumulative_records;
  if (index_count_ < index_batches_) {
    ++index_count_;
  } else {
    ++index_base_;  // the oldest entry was just overwritten
  }
  if (max_bytes_ == 0) {
    ++evicted_;
    return;
  }
  batches_.push_back(batch);
  bytes_ += batch.bytes;
  // Always keep the newest batch, even one larger than the whole budget, so that a
  // resume from "just before now" works with any setting.
  while (bytes_ > max_bytes_ && batches_.size() > 1) {
    bytes_ -= batches_.front().bytes;
    batches_.pop_front();
    ++evicted_;
  }
}

std::optional<uint64_t> ReplayRing::RecordsBeforeLocked(uint64_t seq) const {
  if (seq <= 1) return 0;
  if (seq == last_seq_ + 1) return last_cumulative_;
  const uint64_t previous = seq - 1;
  if (previous < index_base_ || previous - index_base_ >= index_count_) return std::nullopt;
  return index_[previous % index_batches_];
}

std::optional<uint64_t> ReplayRing::RecordsBefore(uint64_t epoch, uint64_t seq) const {
  absl::MutexLock lock(&mu_);
  if (epoch != epoch_) return seq <= 1 ? std::optional<uint64_t>(0) : std::nullopt;
  return RecordsBeforeLocked(seq);
}

std::optional<PublishedBatch> ReplayRing::Get(uint64_t epoch, uint64_t seq) const {
  absl::MutexLock lock(&mu_);
  if (epoch != epoch_ || batches_.empty()) return std::nullopt;
  const uint64_t first = batches_.front().seq;
  if (seq < first || seq > last_seq_) return std::nullopt;
  return batches_[seq - first];
}

uint64_t ReplayRing::FirstRetained(uint64_t epoch) const {
  absl::MutexLock lock(&mu_);
  if (epoch != epoch_) return 1;
  return batches_.empty() ? last_seq_ + 1 : batches_.front().seq;
}

ReplayRingStats ReplayRing::stats() const {
  absl::MutexLock lock(&mu_);
  ReplayRingStats s;
  s.batches = batches_.size();
  s.bytes = bytes_;
  s.first_seq = batches_.empty() ? 0 : batches_.front().seq;
  s.evicted_batches = evicted_;
  return s;
}

}  // namespace firehose::exporter
