// The export thread's loop: takes finished batches from every worker's hand-off ring,
// stamps them with node_id, epoch and the next sequence number, turns them into wire
// messages and gives them to the subscriber hub.
//
// There is one Publisher per node, so sequence numbers increase by exactly one per
// batch without any coordination between workers.
#ifndef FIREHOSE_NODE_EXPORT_PUBLISHER_H_
#define FIREHOSE_NODE_EXPORT_PUBLISHER_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "node/batch/batcher.h"
#include "node/common/relaxed_counter.h"
#include "node/export/subscriber_hub.h"

namespace firehose::exporter {

struct PublisherCounters {
  RelaxedCounter batches_published;
  RelaxedCounter records_published;
  RelaxedCounter idle_polls;
};

class Publisher {
 public:
  Publisher(std::string node_id, uint64_t epoch, std::vector<batch::Batcher*> batchers,
            SubscriberHub* hub);

  // Publishes every batch waiting in the hand-off rings; returns how many.
  int PollOnce();
  // Polls until `stop` is set and then once more, so that batches the workers flushed
  // while stopping are published too. Sleeps briefly when there is nothing to do.
  void Run(const std::atomic<bool>& stop);

  const PublisherCounters& counters() const { return counters_; }
  uint64_t last_seq() const { return seq_.load(std::memory_order_relaxed); }
  uint64_t epoch() const { return epoch_; }

 private:
  void PublishOne(batch::Batcher* batcher, batch::BatchBuilder* builder);

  const std::string node_id_;
  const uint64_t epoch_;
  const std::vector<batch::Batcher*> batchers_;
  SubscriberHub* const hub_;
  std::atomic<uint64_t> seq_{0};
  // Records published in this epoch (export thread only).
  uint64_t cumulative_records_ = 0;
  PublisherCounters counters_;
};

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_PUBLISHER_H_
