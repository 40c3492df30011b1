// The export thread's loop: takes finished batches from every worker's hand-off ring,
// stamps them with node_id, epoch and the next sequence number, encodes them straight
// into wire bytes (BatchBuilder::EncodeResponse, copied into fixed-size pool blocks) and
// gives them to the subscriber hub.
//
// There is one Publisher per node, so sequence numbers increase by exactly one per
// batch without any coordination between workers.
//
// Role and epoch can change at runtime (controld's assignments via SetRole, from any
// thread). The change is only requested there and applied by the export thread between
// two batches, so a batch is never stamped half in the old epoch and the worker lcores
// never see a lock. While standby, hand-off batches are released unpublished and
// counted, so that received = delivered + drops still adds up.
#ifndef FIREHOSE_NODE_EXPORT_PUBLISHER_H_
#define FIREHOSE_NODE_EXPORT_PUBLISHER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "node/batch/batcher.h"
#include "node/common/relaxed_counter.h"
#include "node/export/subscriber_hub.h"

namespace firehose::exporter {

struct PublisherCounters {
  RelaxedCounter batches_published;
  RelaxedCounter records_published;
  RelaxedCounter idle_polls;
  // Batches (and their records) released unpublished because the node was standby.
  RelaxedCounter standby_dropped_batches;
  RelaxedCounter standby_dropped_records;
  // Role changes applied, promotions with a new epoch among them.
  RelaxedCounter epoch_changes;
};

class Publisher {
 public:
  // Starts active in `epoch`, which is what a node without controld keeps for good.
  // Hangs its doorbell on every batcher: construct it before the workers hand off batches
  // and destroy it after they stopped.
  Publisher(std::string node_id, uint64_t epoch, std::vector<batch::Batcher*> batchers,
            SubscriberHub* hub);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Any thread: from the next poll on, publish (active) or drop (standby). An active
  // role with an epoch other than the current one starts that epoch at seq 1; epoch 0
  // means "keep the current one" (a standalone controld assigns none).
  void SetRole(bool active, uint64_t epoch) ABSL_LOCKS_EXCLUDED(pending_mu_);

  // Publishes (or, standby, drops) every batch waiting in the hand-off rings; returns
  // how many.
  int PollOnce();
  // Polls until `stop` is set and then once more, so that batches the workers flushed
  // while stopping are published too. When there is nothing to do it sleeps until a
  // worker hands off a batch (the batchers' doorbell), a role change, or at most
  // kIdleWait, after which it looks at `stop` again.
  void Run(const std::atomic<bool>& stop);

  const PublisherCounters& counters() const { return counters_; }
  // Records of `batcher`'s batches dropped while standby (per queue, for metrics).
  uint64_t StandbyDroppedRecords(const batch::Batcher* batcher) const;
  uint64_t last_seq() const { return seq_.load(std::memory_order_relaxed); }
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  // The role the export thread is acting on (a SetRole not yet polled is not seen).
  bool active() const { return active_.load(std::memory_order_acquire); }

 private:
  void PublishOne(batch::Batcher* batcher, batch::BatchBuilder* builder);
  void DropOne(size_t index, batch::BatchBuilder* builder);
  // Export thread: takes up a role change requested by SetRole.
  void ApplyPendingRole() ABSL_LOCKS_EXCLUDED(pending_mu_);
  // Whether PollOnce would find something to do (checked after PrepareWait).
  bool WorkPending() const;

  const std::string node_id_;
  // Written by the export thread only; atomic for metrics and the Subscribe service.
  std::atomic<uint64_t> epoch_;
  std::atomic<bool> active_{true};
  // SetRole's request; the flag spares the export thread the mutex on every poll.
  std::atomic<bool> role_pending_{false};
  absl::Mutex pending_mu_;
  bool pending_active_ ABSL_GUARDED_BY(pending_mu_) = true;
  uint64_t pending_epoch_ ABSL_GUARDED_BY(pending_mu_) = 0;
  const std::vector<batch::Batcher*> batchers_;
  SubscriberHub* const hub_;
  // Parallel to batchers_.
  std::unique_ptr<RelaxedCounter[]> standby_records_by_batcher_;
  std::atomic<uint64_t> seq_{0};
  // Records published in this epoch (export thread only).
  uint64_t cumulative_records_ = 0;
  // Export thread: each batch is encoded here, then copied into pool blocks. Its
  // allocation is kept from batch to batch (EncodeResponse clears and resizes), so the
  // heap sees one buffer of the largest batch's size for good, not one per batch.
  std::string scratch_;
  PublisherCounters counters_;
  // Rung by every batcher's hand-off and by SetRole.
  batch::HandoffDoorbell doorbell_;
};

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_PUBLISHER_H_
