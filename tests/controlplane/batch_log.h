// A subscriber for pair failover tests: records every batch one ingestd publishes --
// who stamped it (node_id, epoch, seq), when it arrived, the numbers carried by its
// statsd names ("n.<N>"), and how many flow records it held -- so a test can check
// what was lost, duplicated, or published twice in one epoch.
#ifndef FIREHOSE_TESTS_CONTROLPLANE_BATCH_LOG_H_
#define FIREHOSE_TESTS_CONTROLPLANE_BATCH_LOG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"

namespace firehose::testing {

struct BatchSeen {
  std::string node_id;
  uint64_t epoch = 0;
  uint64_t seq = 0;
  absl::Time at;
  std::vector<uint64_t> numbers;  // from statsd names "n.<N>"
  int flows = 0;
};

class BatchLog {
 public:
  // Subscribes to `address` at once and records on its own thread until destroyed.
  explicit BatchLog(const std::string& address);
  ~BatchLog();

  std::vector<BatchSeen> batches();
  // The first batch with epoch > `epoch` (and, if given, at least `flows` flow
  // records), waiting up to `timeout`.
  std::optional<BatchSeen> WaitForEpochAbove(uint64_t epoch, absl::Duration timeout,
                                             int flows = 0);

 private:
  void Run();

  std::unique_ptr<v1::Ingest::Stub> stub_;
  grpc::ClientContext context_;
  absl::Mutex mu_;
  std::vector<BatchSeen> batches_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace firehose::testing

#endif  // FIREHOSE_TESTS_CONTROLPLANE_BATCH_LOG_H_
