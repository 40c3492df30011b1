// Fan-out of published batches to subscribers, each through its own bounded queue.
//
// The export thread publishes every batch once: it appends the batch to the replay
// ring and hands each subscription a shared pointer to the immutable batch (encoded
// bytes, or a message), so fan-out costs a pointer copy per subscriber. A queue is full at
// its batch count or at its byte budget, whichever comes first (a batch the replay ring
// has evicted lives on in the queues that hold it, so only a byte bound caps what a slow
// subscriber can keep alive). A full queue either drops its oldest batch and remembers
// exactly what was dropped (the subscriber is told in a Gap notice before its next batch)
// or, with the disconnect policy, ends that subscription. Either
// way the export thread never waits for a subscriber, and the workers never wait for
// the export thread because of one.
//
// A resuming subscription first reads the replay ring through its own cursor (on its
// stream thread) up to the last batch published when it joined, then its live queue.
#ifndef FIREHOSE_NODE_EXPORT_SUBSCRIBER_HUB_H_
#define FIREHOSE_NODE_EXPORT_SUBSCRIBER_HUB_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "node/export/replay_ring.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::exporter {

// What happens when a subscriber's queue is full (config grpc.slow_subscriber).
enum class SlowSubscriberPolicy {
  // Drop the oldest queued batch and send a Gap notice with exact counts.
  kDropOldest,
  // End the stream with RESOURCE_EXHAUSTED; the client resumes from where it was.
  kDisconnect,
};

// What Subscription::Next() hands the stream writer.
struct SubscriptionItem {
  enum class Kind {
    kBatch,
    kGap,
    kIdle,
    kClosed,
    // The queue overflowed under the disconnect policy: end the stream.
    kOverflow,
  };
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
  // Missed because a resume asked for batches that had left the replay ring.
  uint64_t expired_batches = 0;
  uint64_t expired_records = 0;
  // Batches waiting: in the live queue plus those still to replay.
  uint64_t queued_batches = 0;
  // Bytes of the batches in the live queue (PublishedBatch::bytes).
  uint64_t queued_bytes = 0;
  uint64_t last_delivered_seq = 0;
  bool disconnected = false;
};

class Subscription {
 public:
  static constexpr uint64_t kUnboundedBytes = ~uint64_t{0};

  // The queue holds at most `capacity` batches and, beyond its first batch, at most
  // `max_queued_bytes` bytes of them: one batch larger than the budget is still queued
  // (alone) rather than never delivered.
  Subscription(std::string name, uint32_t capacity,
               SlowSubscriberPolicy policy = SlowSubscriberPolicy::kDropOldest,
               uint64_t max_queued_bytes = kUnboundedBytes);

  const std::string& name() const { return name_; }

  // Before the subscription is visible to the hub: serve batches from_seq..to_seq of
  // `epoch` from `ring` first; `records_before` is the epoch's record count before
  // from_seq, so that batches found missing are counted exactly.
  void StartReplay(const ReplayRing* ring, uint64_t epoch, uint64_t from_seq, uint64_t to_seq,
                   uint64_t records_before) ABSL_LOCKS_EXCLUDED(mu_);

  // Export thread: enqueue; when full (batches or bytes), apply the slow-subscriber policy.
  void Push(const PublishedBatch& batch) ABSL_LOCKS_EXCLUDED(mu_);
  // Stream writer: waits up to `timeout` for the next item. Replayed batches come
  // first, then a pending gap before the live batch that follows it. kClosed only after
  // the hub closed and nothing is left.
  SubscriptionItem Next(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  // The writer reports each batch item it finished with (`records` actually sent).
  void MarkDelivered(uint64_t seq, uint32_t records) ABSL_LOCKS_EXCLUDED(mu_);
  // The writer could not write (client gone): nothing is in flight any more.
  void MarkAbandoned() ABSL_LOCKS_EXCLUDED(mu_);
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

  SubscriptionStats stats() const ABSL_LOCKS_EXCLUDED(mu_);
  // Nothing queued, nothing left to replay and nothing being written.
  bool Drained() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  bool ReplayingLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return ring_ != nullptr && replay_next_ <= replay_end_;
  }
  SubscriptionItem NextReplayedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether `incoming` fits beside what is queued.
  bool FullForLocked(const PublishedBatch& incoming) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Drops the oldest queued batch into the pending Gap notice.
  void DropOldestLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string name_;
  const uint32_t capacity_;
  const SlowSubscriberPolicy policy_;
  const uint64_t max_queued_bytes_;
  mutable absl::Mutex mu_;
  std::deque<PublishedBatch> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool gap_pending_ ABSL_GUARDED_BY(mu_) = false;
  v1::Gap gap_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  SubscriptionStats stats_ ABSL_GUARDED_BY(mu_);
  // Replay cursor over the ring (ring_ null: live only).
  const ReplayRing* ring_ ABSL_GUARDED_BY(mu_) = nullptr;
  uint64_t replay_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t replay_next_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t replay_end_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t replay_records_before_ ABSL_GUARDED_BY(mu_) = 0;
};

// Totals over every subscription, past and present, for metrics.
struct HubStats {
  uint64_t subscribers = 0;
  uint64_t subscriptions_total = 0;
  uint64_t delivered_batches = 0;
  uint64_t delivered_records = 0;
  uint64_t dropped_batches = 0;
  uint64_t dropped_records = 0;
  uint64_t expired_records = 0;
  uint64_t disconnected_slow = 0;
  ReplayRingStats replay;
};

// One connected subscriber, for per-subscriber metrics.
struct SubscriberSnapshot {
  uint64_t id = 0;
  std::string name;
  SubscriptionStats stats;
  // Batches published that it has not yet been sent.
  uint64_t lag_batches = 0;
};

struct HubOptions {
  uint32_t queue_capacity = 256;
  SlowSubscriberPolicy policy = SlowSubscriberPolicy::kDropOldest;
  // Replay ring budget; 0 keeps none (resumes still get exact gap counts).
  uint64_t replay_bytes = 0;
  // Each subscriber's queue budget in bytes (see Subscription).
  uint64_t queue_bytes = Subscription::kUnboundedBytes;
};

class SubscriberHub {
 public:
  explicit SubscriberHub(uint32_t queue_capacity) : SubscriberHub(HubOptions{queue_capacity}) {}
  explicit SubscriberHub(HubOptions options);

  // A live subscription: batches published from now on.
  std::shared_ptr<Subscription> Add(std::string name) ABSL_LOCKS_EXCLUDED(mu_);
  // A subscription that starts at batch `from_seq` of `epoch` (0: the oldest retained)
  // and continues live without a hole or a duplicate between replay and live.
  // FAILED_PRECONDITION when from_seq is beyond the next batch to be published;
  // OUT_OF_RANGE when it is so old that its exact gap can no longer be counted.
  absl::StatusOr<std::shared_ptr<Subscription>> AddFrom(std::string name, uint64_t epoch,
                                                        uint64_t from_seq) ABSL_LOCKS_EXCLUDED(mu_);
  void Remove(const std::shared_ptr<Subscription>& subscription) ABSL_LOCKS_EXCLUDED(mu_);

  void Publish(const PublishedBatch& batch) ABSL_LOCKS_EXCLUDED(mu_);
  // No more batches will come: subscriptions end once their queues are empty.
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until at least `count` subscribers are connected or `timeout` passes.
  bool WaitForSubscribers(size_t count, absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  // Blocks until every subscription has written everything or `timeout` passes.
  bool WaitUntilDrained(absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

  HubStats stats() const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<SubscriberSnapshot> Subscribers() const ABSL_LOCKS_EXCLUDED(mu_);
  const ReplayRing& ring() const { return ring_; }

 private:
  std::shared_ptr<Subscription> AddLocked(std::shared_ptr<Subscription> subscription)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const HubOptions options_;
  ReplayRing ring_;
  mutable absl::Mutex mu_;
  struct Entry {
    uint64_t id;
    std::shared_ptr<Subscription> subscription;
  };
  std::vector<Entry> subscriptions_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t subscriptions_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  // Totals of subscriptions already removed.
  SubscriptionStats retired_ ABSL_GUARDED_BY(mu_);
  uint64_t disconnected_slow_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_SUBSCRIBER_HUB_H_
