// Fan-out of published batches to subscribers, each through its own bounded queue.
//
// The export thread publishes every batch once; each subscription keeps shared
// pointers to the immutable messages, so fan-out costs a pointer copy per subscriber.
// A queue that is full drops its oldest batch and remembers exactly what was dropped,
// and the subscriber is told in a Gap notice before its next batch. The export thread
// therefore never waits for a subscriber, and the workers never wait for it.
#ifndef FIREHOSE_NODE_EXPORT_SUBSCRIBER_HUB_H_
#define FIREHOSE_NODE_EXPORT_SUBSCRIBER_HUB_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::exporter {

// A batch as published: the shared wire message plus what gap accounting needs.
struct PublishedBatch {
  std::shared_ptr<const v1::SubscribeResponse> message;
  uint64_t epoch = 0;
  uint64_t seq = 0;
  uint32_t records = 0;
};

// What Subscription::Next() hands the stream writer.
struct SubscriptionItem {
  enum class Kind { kBatch, kGap, kIdle, kClosed };
  Kind kind = Kind::kIdle;
  PublishedBatch batch;  // kBatch
  v1::Gap gap;           // kGap
};

// Totals a subscription has seen; readable from any thread.
struct SubscriptionStats {
  uint64_t delivered_batches = 0;
  uint64_t delivered_records = 0;
  uint64_t dropped_batches = 0;
  uint64_t dropped_records = 0;
  uint32_t queued_batches = 0;
};

class Subscription {
 public:
  Subscription(std::string name, uint32_t capacity);

  const std::string& name() const { return name_; }

  // Export thread: enqueue, dropping the oldest batch when full.
  void Push(const PublishedBatch& batch) ABSL_LOCKS_EXCLUDED(mu_);
  // Stream writer: waits up to `timeout` for the next item. A pending gap comes before
  // the batch that follows it. kClosed only after the hub closed and the queue is empty.
  SubscriptionItem Next(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  // The writer reports each batch it actually wrote.
  void MarkDelivered(uint32_t records) ABSL_LOCKS_EXCLUDED(mu_);
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

  SubscriptionStats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const std::string name_;
  const uint32_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<PublishedBatch> queue_ ABSL_GUARDED_BY(mu_);
  bool gap_pending_ ABSL_GUARDED_BY(mu_) = false;
  v1::Gap gap_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  SubscriptionStats stats_ ABSL_GUARDED_BY(mu_);
};

// Totals over every subscription, past and present, for metrics.
struct HubStats {
  uint64_t subscribers = 0;
  uint64_t subscriptions_total = 0;
  uint64_t delivered_batches = 0;
  uint64_t delivered_records = 0;
  uint64_t dropped_batches = 0;
  uint64_t dropped_records = 0;
};

class SubscriberHub {
 public:
  explicit SubscriberHub(uint32_t queue_capacity) : queue_capacity_(queue_capacity) {}

  std::shared_ptr<Subscription> Add(std::string name) ABSL_LOCKS_EXCLUDED(mu_);
  void Remove(const std::shared_ptr<Subscription>& subscription) ABSL_LOCKS_EXCLUDED(mu_);

  void Publish(const PublishedBatch& batch) ABSL_LOCKS_EXCLUDED(mu_);
  // No more batches will come: subscriptions end once their queues are empty.
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until at least `count` subscribers are connected or `timeout` passes.
  bool WaitForSubscribers(size_t count, absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until every subscription's queue is empty or `timeout` passes.
  bool WaitUntilDrained(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

  HubStats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const uint32_t queue_capacity_;
  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<Subscription>> subscriptions_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t subscriptions_total_ ABSL_GUARDED_BY(mu_) = 0;
  // Totals of subscriptions already removed.
  SubscriptionStats retired_ ABSL_GUARDED_BY(mu_);
};

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_SUBSCRIBER_HUB_H_
