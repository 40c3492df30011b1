// A real gRPC subscriber for multi-process tests: subscribes to an ingestd, flattens
// every statsd record it receives into a comparable string, and remembers batch
// sequence numbers and gap notices, so a test can assert exactly what arrived.
#ifndef FIREHOSE_TESTS_SUPPORT_RECORD_COLLECTOR_H_
#define FIREHOSE_TESTS_SUPPORT_RECORD_COLLECTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"

namespace firehose::testing {

// A statsd record as "name|value|type|rate|tag1,tag2|member".
std::string StatsdKey(const std::string& name, double value, const std::string& type,
                      double rate, const std::vector<std::string>& tags,
                      const std::string& member = "");

class RecordCollector {
 public:
  // Subscribes to `address` at once and collects on its own thread.
  explicit RecordCollector(const std::string& address,
                           const std::string& client_name = "test-collector");
  ~RecordCollector();

  bool WaitForRecords(size_t count, absl::Duration timeout);
  bool WaitForEnd(absl::Duration timeout);

  std::vector<std::string> records();
  std::vector<std::string> node_ids();
  std::vector<uint64_t> seqs();
  int gaps();
  grpc::Status status();

 private:
  void Run();

  std::unique_ptr<v1::Ingest::Stub> stub_;
  grpc::ClientContext context_;
  const std::string client_name_;
  absl::Mutex mu_;
  std::vector<std::string> records_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> node_ids_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> seqs_ ABSL_GUARDED_BY(mu_);
  int gaps_ ABSL_GUARDED_BY(mu_) = 0;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace firehose::testing

#endif  // FIREHOSE_TESTS_SUPPORT_RECORD_COLLECTOR_H_
