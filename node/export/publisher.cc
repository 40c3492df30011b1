// The export thread's loop; see the header.
#include "node/export/publisher.h"

#include <memory>
#include <thread>
#include <utility>

#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::exporter {
namespace {

// How long the export thread naps when every hand-off ring is empty. Short enough that
// it adds well under the default 1 ms batch delay, long enough not to burn a core.
constexpr std::chrono::microseconds kIdleSleep(50);

}  // namespace

Publisher::Publisher(std::string node_id, uint64_t epoch, std::vector<batch::Batcher*> batchers,
                     SubscriberHub* hub)
    : node_id_(std::move(node_id)), epoch_(epoch), batchers_(std::move(batchers)), hub_(hub) {}

void Publisher::PublishOne(batch::Batcher* batcher, batch::BatchBuilder* builder) {
  auto message = std::make_shared<v1::SubscribeResponse>();
  v1::Batch* wire = message->mutable_batch();
  builder->ToProto(wire);
  const uint32_t records = builder->record_count();
  // The builder's running estimate of the encoded size, for the replay ring's budget:
  // exact sizes would cost the export thread a walk over every column of every batch.
  const uint64_t approx_bytes = builder->approx_bytes();
  batcher->Release(builder);  // give the builder back to the worker as soon as possible

  const uint64_t seq = seq_.load(std::memory_order_relaxed) + 1;
  wire->set_node_id(node_id_);
  wire->set_epoch(epoch_);
  wire->set_seq(seq);
  seq_.store(seq, std::memory_order_relaxed);

  cumulative_records_ += records;
  PublishedBatch published;
  published.bytes = approx_bytes;
  published.message = std::move(message);
  // Serialised once, lazily, by the first stream that sends it unchanged.
  published.serialized = std::make_shared<SerializedOnce>();
  published.epoch = epoch_;
  published.seq = seq;
  published.records = records;
  published.cumulative_records = cumulative_records_;
  hub_->Publish(published);
  counters_.batches_published.Increment();
  counters_.records_published.Add(records);
}

int Publisher::PollOnce() {
  int published = 0;
  for (batch::Batcher* batcher : batchers_) {
    while (batch::BatchBuilder* builder = batcher->TakeFull()) {
      PublishOne(batcher, builder);
      ++published;
    }
  }
  return published;
}

void Publisher::Run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_acquire)) {
    if (PollOnce() == 0) {
      counters_.idle_polls.Increment();
      std::this_thread::sleep_for(kIdleSleep);
    }
  }
  PollOnce();
}

}  // namespace firehose::exporter
