// Test fixtures for subscription suites: the real export stage (SubscriberHub, replay
// ring, IngestService on a real gRPC server with health and reflection) in-process,
// fed with synthetic statsd batches whose records carry unique values, plus a
// collector that runs the real client library on its own thread. No DPDK, no mocks.
#ifndef FIREHOSE_TESTS_INTEGRATION_SUBSCRIPTION_TEST_NODE_H_
#define FIREHOSE_TESTS_INTEGRATION_SUBSCRIPTION_TEST_NODE_H_

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/subscriber.h"
#include "node/export/grpc_server.h"
#include "node/export/ingest_service.h"
#include "node/export/subscriber_hub.h"

namespace firehose::testing {

// Metric names the synthetic records cycle through.
inline const std::vector<std::string>& TestNames() {
  static const auto* names =
      new std::vector<std::string>{"cpu.load", "cpu.idle", "mem.free", "disk.io"};
  return *names;
}

// The sender of record value v: 64 distinct senders, the last 8 of them IPv6
// (2001:db8::N), the rest IPv4 10.0.0.N.
std::string SenderAddress(uint64_t value);

class TestNode {
 public:
  explicit TestNode(exporter::HubOptions hub_options,
                    exporter::IngestServiceOptions service_options = {},
                    exporter::GrpcServerOptions server_options = {"127.0.0.1:0", "", "", ""});
  ~TestNode();

  // Publishes one batch of `records` statsd records with the next unique values;
  // record value v has name TestNames()[v % 4] and sender SenderAddress(v).
  void PublishBatch(int records);
  // Stops the gRPC server (streams end) and starts a new one on the same port with a
  // new service over the same hub: a node restart that keeps its replay ring.
  void RestartServer();
  void StopServer();

  const std::string& address() const { return address_; }
  const absl::Status& start_status() const { return start_status_; }
  exporter::SubscriberHub& hub() { return hub_; }
  grpc::Server* server() { return server_.get(); }
  uint64_t published_records() const { return next_value_; }
  uint64_t last_seq() const { return last_seq_.load(); }

 private:
  void StartServer(const std::string& listen);

  exporter::SubscriberHub hub_;
  const exporter::IngestServiceOptions service_options_;
  exporter::GrpcServerOptions server_options_;
  std::unique_ptr<exporter::IngestService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  absl::Status start_status_;
  std::atomic<uint64_t> last_seq_{0};
  uint64_t cumulative_ = 0;
  uint64_t next_value_ = 0;
};

// Runs client::Subscriber::Run on a thread and keeps what it delivers.
class Collected {
 public:
  explicit Collected(client::SubscriberOptions options);
  ~Collected();

  bool WaitForValues(size_t count, absl::Duration timeout);
  // Batches, however few records the subscriber's filter left in them.
  bool WaitForBatches(size_t count, absl::Duration timeout);
  // Waits for Run() to return (a non-retryable status, or no reconnect).
  bool WaitForDone(absl::Duration timeout);
  void Stop();

  std::multiset<uint64_t> values() const;
  std::vector<uint64_t> seqs() const;
  std::vector<v1::Notice> notices() const;
  std::vector<v1::Batch> batches() const;
  absl::Status result() const;
  client::SubscriberStats stats() const { return subscriber_.stats(); }
  std::optional<client::Position> position() const { return subscriber_.position(); }

 private:
  client::Subscriber subscriber_;
  mutable absl::Mutex mu_;
  std::multiset<uint64_t> values_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> seqs_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Notice> notices_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Batch> batches_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status result_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace firehose::testing

#endif  // FIREHOSE_TESTS_INTEGRATION_SUBSCRIPTION_TEST_NODE_H_
