// Bounded per-subscriber queues with exact gap accounting; see the header.
#include "node/export/subscriber_hub.h"

#include <algorithm>
#include <utility>

namespace firehose::exporter {

Subscription::Subscription(std::string name, uint32_t capacity)
    : name_(std::move(name)), capacity_(std::max<uint32_t>(capacity, 1)) {}

void Subscription::Push(const PublishedBatch& batch) {
  absl::MutexLock lock(&mu_);
  if (closed_) return;
  if (queue_.size() >= capacity_) {
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
    queue_.pop_front();
  }
  queue_.push_back(batch);
}

SubscriptionItem Subscription::Next(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return gap_pending_ || !queue_.empty() || closed_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  SubscriptionItem item;
  if (gap_pending_) {
    item.kind = SubscriptionItem::Kind::kGap;
    item.gap = gap_;
    gap_pending_ = false;
  } else if (!queue_.empty()) {
    item.kind = SubscriptionItem::Kind::kBatch;
    item.batch = std::move(queue_.front());
    queue_.pop_front();
  } else if (closed_) {
    item.kind = SubscriptionItem::Kind::kClosed;
  }
  return item;
}

void Subscription::MarkDelivered(uint32_t records) {
  absl::MutexLock lock(&mu_);
  ++stats_.delivered_batches;
  stats_.delivered_records += records;
}

void Subscription::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

SubscriptionStats Subscription::stats() const {
  absl::MutexLock lock(&mu_);
  SubscriptionStats s = stats_;
  s.queued_batches = static_cast<uint32_t>(queue_.size());
  return s;
}

std::shared_ptr<Subscription> SubscriberHub::Add(std::string name) {
  auto subscription = std::make_shared<Subscription>(std::move(name), queue_capacity_);
  absl::MutexLock lock(&mu_);
  if (closed_) subscription->Close();
  subscriptions_.push_back(subscription);
  ++subscriptions_total_;
  return subscription;
}

void SubscriberHub::Remove(const std::shared_ptr<Subscription>& subscription) {
  absl::MutexLock lock(&mu_);
  auto it = std::find(subscriptions_.begin(), subscriptions_.end(), subscription);
  if (it == subscriptions_.end()) return;
  const SubscriptionStats s = subscription->stats();
  retired_.delivered_batches += s.delivered_batches;
  retired_.delivered_records += s.delivered_records;
  retired_.dropped_batches += s.dropped_batches;
  retired_.dropped_records += s.dropped_records;
  subscriptions_.erase(it);
}

void SubscriberHub::Publish(const PublishedBatch& batch) {
  absl::MutexLock lock(&mu_);
  for (const auto& subscription : subscriptions_) subscription->Push(batch);
}

void SubscriberHub::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (const auto& subscription : subscriptions_) subscription->Close();
}

bool SubscriberHub::WaitForSubscribers(size_t count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, count]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return subscriptions_.size() >= count;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

bool SubscriberHub::WaitUntilDrained(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    bool drained = true;
    {
      absl::MutexLock lock(&mu_);
      for (const auto& subscription : subscriptions_) {
        if (subscription->stats().queued_batches > 0) drained = false;
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
  for (const auto& subscription : subscriptions_) {
    const SubscriptionStats s = subscription->stats();
    h.delivered_batches += s.delivered_batches;
    h.delivered_records += s.delivered_records;
    h.dropped_batches += s.dropped_batches;
    h.dropped_records += s.dropped_records;
  }
  return h;
}

}  // namespace firehose::exporter
