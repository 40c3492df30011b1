// The export thread's loop; see the header.
#include "node/export/publisher.h"

#include <memory>
#include <string>
#include <utility>

namespace firehose::exporter {
namespace {

// The longest the export thread sleeps when every hand-off ring is empty. Batches and
// role changes wake it at once through the doorbell; this only bounds how long a stop
// request (a plain flag) goes unnoticed.
constexpr int64_t kIdleWaitNanos = 1'000'000;

}  // namespace

Publisher::Publisher(std::string node_id, uint64_t epoch, std::vector<batch::Batcher*> batchers,
                     SubscriberHub* hub)
    : node_id_(std::move(node_id)),
      epoch_(epoch),
      batchers_(std::move(batchers)),
      hub_(hub),
      standby_records_by_batcher_(std::make_unique<RelaxedCounter[]>(batchers_.size())) {
  pending_epoch_ = epoch;
  for (batch::Batcher* batcher : batchers_) batcher->set_doorbell(&doorbell_);
}

Publisher::~Publisher() {
  for (batch::Batcher* batcher : batchers_) batcher->set_doorbell(nullptr);
}

void Publisher::PublishOne(batch::Batcher* batcher, batch::BatchBuilder* builder) {
  const uint64_t epoch = epoch_.load(std::memory_order_relaxed);
  const uint64_t seq = seq_.load(std::memory_order_relaxed) + 1;
  // The wire bytes straight from the columns, no message; streams that need one parse
  // it from these, on their own thread. Encoded into the reused scratch buffer, then
  // copied into fixed-size pool blocks. Once the ring is full those blocks are cold, and
  // the copy costs what encoding into a fresh string used to cost beyond encoding into a
  // warm one (~23 us per full batch); see docs/benchmarks.md.
  builder->EncodeResponse(batch::BatchHeader{node_id_, epoch, seq}, &scratch_);
  const uint32_t records = builder->record_count();
  batcher->Release(builder);  // give the builder back to the worker as soon as possible
  seq_.store(seq, std::memory_order_relaxed);

  cumulative_records_ += records;
  PublishedBatch published;
  published.encoded = std::make_shared<EncodedBatch>(BlockBuffer::CopyOf(scratch_));
  // The replay ring is bounded by the memory its batches hold: here the blocks alone.
  published.bytes = ReplayFootprint(*published.encoded);
  published.epoch = epoch;
  published.seq = seq;
  published.records = records;
  published.cumulative_records = cumulative_records_;
  hub_->Publish(published);
  counters_.batches_published.Increment();
  counters_.records_published.Add(records);
}

void Publisher::DropOne(size_t index, batch::BatchBuilder* builder) {
  const uint32_t records = builder->record_count();
  batchers_[index]->Release(builder);
  counters_.standby_dropped_batches.Increment();
  counters_.standby_dropped_records.Add(records);
  standby_records_by_batcher_[index].Add(records);
}

uint64_t Publisher::StandbyDroppedRecords(const batch::Batcher* batcher) const {
  for (size_t i = 0; i < batchers_.size(); ++i) {
    if (batchers_[i] == batcher) return standby_records_by_batcher_[i].Get();
  }
  return 0;
}

void Publisher::SetRole(bool active, uint64_t epoch) {
  absl::MutexLock lock(&pending_mu_);
  pending_active_ = active;
  pending_epoch_ = epoch;
  role_pending_.store(true, std::memory_order_release);
  doorbell_.Ring();
}

void Publisher::ApplyPendingRole() {
  bool active;
  uint64_t epoch;
  {
    absl::MutexLock lock(&pending_mu_);
    active = pending_active_;
    epoch = pending_epoch_;
    role_pending_.store(false, std::memory_order_relaxed);
  }
  const uint64_t current = epoch_.load(std::memory_order_relaxed);
  if (active && epoch != 0 && epoch != current) {
    // A new term: its batches supersede the old epoch's and number from 1 again. The
    // seq is reset before the epoch is visible so a reader never pairs the new epoch
    // with the old epoch's last seq (it may briefly pair the old epoch with 0).
    seq_.store(0, std::memory_order_relaxed);
    cumulative_records_ = 0;
    epoch_.store(epoch, std::memory_order_release);
    counters_.epoch_changes.Increment();
  }
  active_.store(active, std::memory_order_release);
}

int Publisher::PollOnce() {
  if (role_pending_.load(std::memory_order_acquire)) ApplyPendingRole();
  const bool active = active_.load(std::memory_order_relaxed);
  int handled = 0;
  for (size_t i = 0; i < batchers_.size(); ++i) {
    while (batch::BatchBuilder* builder = batchers_[i]->TakeFull()) {
      if (active) {
        PublishOne(batchers_[i], builder);
      } else {
        DropOne(i, builder);
      }
      ++handled;
    }
  }
  return handled;
}

bool Publisher::WorkPending() const {
  if (role_pending_.load(std::memory_order_acquire)) return true;
  for (const batch::Batcher* batcher : batchers_) {
    if (batcher->handoff_occupancy() != 0) return true;
  }
  return false;
}

void Publisher::Run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_acquire)) {
    if (PollOnce() != 0) continue;
    counters_.idle_polls.Increment();
    doorbell_.PrepareWait();
    if (WorkPending()) {
      doorbell_.CancelWait();
    } else {
      doorbell_.Wait(kIdleWaitNanos);
    }
  }
  PollOnce();
}

}  // namespace firehose::exporter
