// Bounded per-subscriber queues, replay cursors and exact gap accounting; see the header.
#include "node/export/subscriber_hub.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace firehose::exporter {

Subscription::Subscription(std::string name, uint32_t capacity, SlowSubscriberPolicy policy,
                           uint64_t max_queued_bytes)
    : name_(std::move(name)),
      capacity_(std::max<uint32_t>(capacity, 1)),
      policy_(policy),
      max_queued_bytes_(max_queued_bytes) {}

void Subscription::StartReplay(const ReplayRing* ring, uint64_t epoch, uint64_t from_seq,
                               uint64_t to_seq, uint64_t records_before) {
  absl::MutexLock lock(&mu_);
  ring_ = ring;
  replay_epoch_ = epoch;
  replay_next_ = from_seq;
  replay_end_ = to_seq;
  replay_records_before_ = records_before;
  stats_.last_delivered_seq = from_seq - 1;
}

bool Subscription::FullForLocked(const PublishedBatch& incoming) const {
  if (queue_.size() >= capacity_) return true;
  // An empty queue takes any batch, however large; otherwise the budget holds.
  return !queue_.empty() &&
         (queued_bytes_ > max_queued_bytes_ || incoming.bytes > max_queued_bytes_ - queued_bytes_);
}

void Subscription::DropOldestLocked() {
  const PublishedBatch& oldest = queue_.front();
  if (!gap_pending_) {
    gap_pending_ = true;
    gap_.Clear();
    gap_.set_reason(v1::Gap::REASON_SUBSCRIBER_QUEUE_FULL);
    gap_.set_epoch(oldest.epoch);
    gap_.set_first_seq(oldest.seq);
  }
  gap_.set_last_seq(oldest.seq);
  gap_.set_batches(gap_.batches() + 1);
  gap_.set_records(gap_.records() + oldest.records);
  ++stats_.dropped_batches;
  stats_.dropped_records += oldest.records;
  queued_bytes_ -= oldest.bytes;
  queue_.pop_front();
}

void Subscription::Push(const PublishedBatch& batch) {
  absl::MutexLock lock(&mu_);
  if (closed_) return;
  if (FullForLocked(batch)) {
    if (policy_ == SlowSubscriberPolicy::kDisconnect) {
      // Everything queued is lost to this stream; its client resumes from the last
      // batch it got (the replay ring usually still holds what follows).
      overflowed_ = true;
      closed_ = true;
      stats_.disconnected = true;
      for (const PublishedBatch& dropped : queue_) {
        ++stats_.dropped_batches;
        stats_.dropped_records += dropped.records;
      }
      ++stats_.dropped_batches;
      stats_.dropped_records += batch.records;
      queue_.clear();
      queued_bytes_ = 0;
      return;
    }
    // Over the byte budget a large batch may push out several small ones.
    while (FullForLocked(batch)) DropOldestLocked();
  }
  queue_.push_back(batch);
  queued_bytes_ += batch.bytes;
}

SubscriptionItem Subscription::NextReplayedLocked() {
  SubscriptionItem item;
  if (std::optional<PublishedBatch> batch = ring_->Get(replay_epoch_, replay_next_)) {
    item.kind = SubscriptionItem::Kind::kBatch;
    item.batch = *std::move(batch);
    ++replay_next_;
    replay_records_before_ = item.batch.cumulative_records;
    in_flight_ = true;
    return item;
  }
  // The cursor's batch has left the ring: skip to the oldest one still there (or past
  // the replay range) and count exactly what is skipped.
  const uint64_t resume = std::min(ring_->FirstRetained(replay_epoch_), replay_end_ + 1);
  const uint64_t records_before_resume =
      ring_->RecordsBefore(replay_epoch_, resume).value_or(replay_records_before_);
  item.kind = SubscriptionItem::Kind::kGap;
  item.gap.set_reason(v1::Gap::REASON_REPLAY_EXPIRED);
  item.gap.set_epoch(replay_epoch_);
  item.gap.set_first_seq(replay_next_);
  item.gap.set_last_seq(resume - 1);
  item.gap.set_batches(resume - replay_next_);
  item.gap.set_records(records_before_resume - replay_records_before_);
  stats_.expired_batches += item.gap.batches();
  stats_.expired_records += item.gap.records();
  replay_next_ = resume;
  replay_records_before_ = records_before_resume;
  return item;
}

SubscriptionItem Subscription::Next(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return gap_pending_ || !queue_.empty() || closed_ || ReplayingLocked();
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  SubscriptionItem item;
  if (overflowed_) {
    item.kind = SubscriptionItem::Kind::kOverflow;
  } else if (ReplayingLocked()) {
    item = NextReplayedLocked();
  } else if (gap_pending_) {
    item.kind = SubscriptionItem::Kind::kGap;
    item.gap = gap_;
    gap_pending_ = false;
  } else if (!queue_.empty()) {
    item.kind = SubscriptionItem::Kind::kBatch;
    item.batch = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= item.batch.bytes;
    in_flight_ = true;
  } else if (closed_) {
    item.kind = SubscriptionItem::Kind::kClosed;
  }
  return item;
}

void Subscription::MarkDelivered(uint64_t seq, uint32_t records) {
  absl::MutexLock lock(&mu_);
  in_flight_ = false;
  ++stats_.delivered_batches;
  stats_.delivered_records += records;
  stats_.last_delivered_seq = seq;
}

void Subscription::MarkAbandoned() {
  absl::MutexLock lock(&mu_);
  in_flight_ = false;
}

void Subscription::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

SubscriptionStats Subscription::stats() const {
  absl::MutexLock lock(&mu_);
  SubscriptionStats s = stats_;
  s.queued_batches = queue_.size() + (ReplayingLocked() ? replay_end_ - replay_next_ + 1 : 0);
  s.queued_bytes = queued_bytes_;
  return s;
}

bool Subscription::Drained() const {
  absl::MutexLock lock(&mu_);
  return overflowed_ || (queue_.empty() && !ReplayingLocked() && !gap_pending_ && !in_flight_);
}

SubscriberHub::SubscriberHub(HubOptions options) : options_(options), ring_(options.replay_bytes) {}

std::shared_ptr<Subscription> SubscriberHub::AddLocked(std::shared_ptr<Subscription> subscription) {
  if (closed_) subscription->Close();
  subscriptions_.push_back({++subscriptions_total_, subscription});
  return subscription;
}

std::shared_ptr<Subscription> SubscriberHub::Add(std::string name) {
  auto subscription = std::make_shared<Subscription>(std::move(name), options_.queue_capacity,
                                                     options_.policy, options_.queue_bytes);
  absl::MutexLock lock(&mu_);
  // Live from the next batch: lag is measured from here.
  subscription->StartReplay(nullptr, epoch_, last_seq_ + 1, last_seq_, 0);
  return AddLocked(std::move(subscription));
}

absl::StatusOr<std::shared_ptr<Subscription>> SubscriberHub::AddFrom(std::string name,
                                                                     uint64_t epoch,
                                                                     uint64_t from_seq) {
  auto subscription = std::make_shared<Subscription>(std::move(name), options_.queue_capacity,
                                                     options_.policy, options_.queue_bytes);
  // Under the hub lock no batch is published, so the replay range ends exactly where
  // the live queue begins.
  absl::MutexLock lock(&mu_);
  const bool same_epoch = epoch == epoch_;
  const uint64_t last = same_epoch ? last_seq_ : 0;
  if (from_seq == 0) from_seq = same_epoch ? ring_.FirstRetained(epoch) : 1;
  if (from_seq > last + 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("resume position is ahead of the node: it has published up to seq ", last,
                     " of epoch ", epoch));
  }
  std::optional<uint64_t> records_before = ring_.RecordsBefore(epoch, from_seq);
  if (!records_before.has_value()) {
    return absl::OutOfRangeError(
        absl::StrCat("resume position seq ", from_seq - 1, " of epoch ", epoch,
                     " is too old for the node to count what was missed; subscribe FROM_EARLIEST"));
  }
  subscription->StartReplay(from_seq <= last ? &ring_ : nullptr, epoch, from_seq, last,
                            *records_before);
  return AddLocked(std::move(subscription));
}

void SubscriberHub::Remove(const std::shared_ptr<Subscription>& subscription) {
  absl::MutexLock lock(&mu_);
  auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(),
                         [&](const Entry& e) { return e.subscription == subscription; });
  if (it == subscriptions_.end()) return;
  const SubscriptionStats s = subscription->stats();
  retired_.delivered_batches += s.delivered_batches;
  retired_.delivered_records += s.delivered_records;
  retired_.dropped_batches += s.dropped_batches;
  retired_.dropped_records += s.dropped_records;
  retired_.expired_records += s.expired_records;
  if (s.disconnected) ++disconnected_slow_;
  subscriptions_.erase(it);
}

void SubscriberHub::Publish(const PublishedBatch& batch) {
  absl::MutexLock lock(&mu_);
  ring_.Append(batch);
  epoch_ = batch.epoch;
  last_seq_ = batch.seq;
  for (const Entry& entry : subscriptions_) entry.subscription->Push(batch);
}

void SubscriberHub::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (const Entry& entry : subscriptions_) entry.subscription->Close();
}

bool SubscriberHub::WaitForSubscribers(size_t count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, count]()
                    ABSL_SHARED_LOCKS_REQUIRED(mu_) { return subscriptions_.size() >= count; };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

bool SubscriberHub::WaitUntilDrained(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    bool drained = true;
    {
      absl::MutexLock lock(&mu_);
      for (const Entry& entry : subscriptions_) {
        if (!entry.subscription->Drained()) drained = false;
      }
    }
    if (drained) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

HubStats SubscriberHub::stats() const {
  absl::MutexLock lock(&mu_);
  HubStats h;
  h.subscribers = subscriptions_.size();
  h.subscriptions_total = subscriptions_total_;
  h.delivered_batches = retired_.delivered_batches;
  h.delivered_records = retired_.delivered_records;
  h.dropped_batches = retired_.dropped_batches;
  h.dropped_records = retired_.dropped_records;
  h.expired_records = retired_.expired_records;
  h.disconnected_slow = disconnected_slow_;
  for (const Entry& entry : subscriptions_) {
    const SubscriptionStats s = entry.subscription->stats();
    h.delivered_batches += s.delivered_batches;
    h.delivered_records += s.delivered_records;
    h.dropped_batches += s.dropped_batches;
    h.dropped_records += s.dropped_records;
    h.expired_records += s.expired_records;
  }
  h.replay = ring_.stats();
  return h;
}

std::vector<SubscriberSnapshot> SubscriberHub::Subscribers() const {
  absl::MutexLock lock(&mu_);
  std::vector<SubscriberSnapshot> out;
  out.reserve(subscriptions_.size());
  for (const Entry& entry : subscriptions_) {
    SubscriberSnapshot snapshot;
    snapshot.id = entry.id;
    snapshot.name = entry.subscription->name();
    snapshot.stats = entry.subscription->stats();
    snapshot.lag_batches = last_seq_ > snapshot.stats.last_delivered_seq
                               ? last_seq_ - snapshot.stats.last_delivered_seq
                               : 0;
    out.push_back(std::move(snapshot));
  }
  return out;
}

}  // namespace firehose::exporter
