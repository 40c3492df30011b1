// Bounded replay of recent batches with exact miss accounting; see the header.
#include "node/export/replay_ring.h"

#include <algorithm>
#include <utility>

#include "google/protobuf/arena.h"
#include "node/export/pooled_arena.h"

namespace firehose::exporter {

uint64_t ReplayFootprint(const v1::SubscribeResponse& message, uint64_t encoded_bytes) {
  uint64_t bytes = static_cast<uint64_t>(message.SpaceUsedLong()) + encoded_bytes;
  if (const google::protobuf::Arena* arena = message.GetArena()) {
    bytes += arena->SpaceAllocated() - arena->SpaceUsed();
  }
  return bytes;
}

uint64_t ReplayFootprint(const EncodedBatch& batch) { return batch.bytes().held_bytes(); }

const v1::SubscribeResponse* EncodedBatch::message() {
  std::call_once(parse_once_, [this] {
    // On its own arena like a built batch (a few blocks instead of an allocation per
    // column, freed with the last holder), parsed straight from the pool blocks:
    // protobuf reads across their boundaries itself.
    parsed_ = NewBatchMessage();
    BlockInputStream stream(bytes_);
    parse_ok_ = parsed_->ParseFromZeroCopyStream(&stream);
    const uint64_t heap = ReplayFootprint(*parsed_, 0);
    absl::MutexLock lock(&charge_mu_);
    parsed_bytes_ = heap;
    if (sink_ != nullptr) sink_->fetch_add(heap, std::memory_order_relaxed);
  });
  return parse_ok_ ? parsed_.get() : nullptr;
}

uint64_t EncodedBatch::parsed_bytes() const {
  absl::MutexLock lock(&charge_mu_);
  return parsed_bytes_;
}

void EncodedBatch::ChargeParsedTo(std::shared_ptr<std::atomic<uint64_t>> sink) {
  absl::MutexLock lock(&charge_mu_);
  if (sink_ != nullptr) sink_->fetch_sub(parsed_bytes_, std::memory_order_relaxed);
  sink_ = std::move(sink);
  if (sink_ != nullptr) sink_->fetch_add(parsed_bytes_, std::memory_order_relaxed);
}

namespace {

// The arena and the message on it, freed together with the last shared_ptr.
struct ArenaBatch {
  ArenaBatch() : arena(PooledArenaOptions()) {}
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
    while (!batches_.empty()) PopOldestLocked();
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
  if (batch.encoded != nullptr) batch.encoded->ChargeParsedTo(parsed_bytes_);
  // Always keep the newest batch, even one larger than the whole budget, so that a
  // resume from "just before now" works with any setting.
  while (bytes_ + parsed_bytes_->load(std::memory_order_relaxed) > max_bytes_ &&
         batches_.size() > 1) {
    PopOldestLocked();
    ++evicted_;
  }
}

void ReplayRing::PopOldestLocked() {
  const PublishedBatch& oldest = batches_.front();
  bytes_ -= oldest.bytes;
  if (oldest.encoded != nullptr) oldest.encoded->ChargeParsedTo(nullptr);
  batches_.pop_front();
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
  s.bytes = bytes_ + parsed_bytes_->load(std::memory_order_relaxed);
  s.first_seq = batches_.empty() ? 0 : batches_.front().seq;
  s.evicted_batches = evicted_;
  return s;
}

}  // namespace firehose::exporter
