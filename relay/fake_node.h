// FakeNode: an ingest node as the relay sees it — the real subscriber hub, Subscribe
// service and gRPC server on loopback — fed by hand instead of by workers. Shared by
// the relay's tests (small hand-made batches with chosen epochs) and its benchmark
// (full statsd batches encoded as ingestd's publisher encodes them).
#ifndef FIREHOSE_RELAY_FAKE_NODE_H_
#define FIREHOSE_RELAY_FAKE_NODE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "node/batch/batch_builder.h"
#include "node/export/ingest_service.h"
#include "node/export/subscriber_hub.h"

namespace firehose::relay {

class FakeNode {
 public:
  // Serves on 127.0.0.1 (an ephemeral port) in `epoch`, active or standby. The replay
  // ring holds `replay_bytes`.
  FakeNode(std::string id, uint64_t epoch, bool active, uint64_t replay_bytes = 1 << 20);
  ~FakeNode();
  FakeNode(const FakeNode&) = delete;
  FakeNode& operator=(const FakeNode&) = delete;

  void Shutdown();

  // What controld does to a node: a promotion starts a new epoch at seq 1.
  void SetRole(bool active, uint64_t epoch);

  // Publishes a batch of `records` statsd records, whatever the role (a deposed node
  // that has not yet noticed): a built message, as the relay itself publishes.
  void Publish(uint32_t records);

  // Publishes `builder`'s batch as ingestd's publisher does: encoded straight from the
  // columns (BatchBuilder::EncodeResponse) into pool blocks, parsed only on demand.
  void PublishEncoded(const batch::BatchBuilder& builder);

  const std::string& address() const { return address_; }
  uint64_t last_seq() const { return seq_.load(); }

 private:
  void PublishNext(exporter::PublishedBatch published);

  const std::string id_;
  std::atomic<uint64_t> epoch_;
  std::atomic<bool> active_;
  std::atomic<uint64_t> seq_{0};
  uint64_t cumulative_ = 0;
  std::string scratch_;  // PublishEncoded's encoding buffer
  std::unique_ptr<exporter::SubscriberHub> hub_;
  std::unique_ptr<exporter::IngestService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

// Polls `predicate` every 5 ms until it holds or `timeout` passes; returns its last value.
template <typename Predicate>
bool WaitFor(Predicate predicate, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (predicate()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return predicate();
}

}  // namespace firehose::relay

#endif  // FIREHOSE_RELAY_FAKE_NODE_H_
