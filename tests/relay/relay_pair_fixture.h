// What the relay end-to-end suites share: a real etcd on loopback, two ingestd nodes
// (kernel backend) each following its own controld, the relay (//relay:relay)
// subscribed to both, a consumer (client::Subscriber) reading the relay, numbered
// statsd packets sprayed to both nodes, and the nodes' and the relay's /metrics.
// Each suite drives its own kind of failover on top of it.
#ifndef FIREHOSE_TESTS_RELAY_RELAY_PAIR_FIXTURE_H_
#define FIREHOSE_TESTS_RELAY_RELAY_PAIR_FIXTURE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/subscriber.h"
#include "gtest/gtest.h"
#include "tests/controlplane/etcd_server.h"
#include "tests/support/ingestd_process.h"
#include "tests/support/subprocess.h"

namespace firehose::relay_e2e {

struct Node {
  std::string id;
  std::string socket;  // controld's control socket
  uint16_t udp_port = 0;
  std::optional<testing::Subprocess> controld;
  std::optional<testing::IngestdProcess> ingestd;
};

// What the consumer of the relay received.
struct Received {
  std::vector<v1::Batch> batches;
  uint64_t records = 0;
  uint64_t gap_notices = 0;
};

// The consumer: the firehose C++ subscriber reading the relay.
class Consumer {
 public:
  explicit Consumer(const std::string& address);
  ~Consumer();
  Received received() const;
  uint64_t records() const;

 private:
  std::unique_ptr<client::Subscriber> subscriber_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  Received received_ ABSL_GUARDED_BY(mu_);
};

// Batch `index` (0-based) of the relay's stream: the relay's own, its seq dense, from
// pair "edge", its (origin epoch, origin seq) not in `origins` (then added there).
::testing::AssertionResult RelayBatchInPlace(const v1::Batch& batch, size_t index,
                                             std::set<std::pair<uint64_t, uint64_t>>* origins);

class RelayPairFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  void StartNode(Node* node, const std::string& id);
  // node-a is listed twice (by address and as an explicit ipv4: target): every batch
  // it publishes reaches the relay by two paths, the second copy a duplicate.
  void StartRelay();
  // Waits until the relay is ready (following an active node) and connected on all
  // three streams, then subscribes the consumer to it.
  void AwaitRelayAndSubscribe();

  double RelayMetric(const std::string& name,
                     const std::map<std::string, std::string>& labels = {}) const;
  double NodeMetric(const Node& node, const std::string& name,
                    const std::map<std::string, std::string>& labels = {}) const;

  // The relay's batch counters, as its /metrics reports them.
  struct RelayBooks {
    double received = 0;
    double forwarded = 0;
    double duplicate = 0;
    double stale = 0;
  };
  RelayBooks ReadRelayBooks() const;
  // The relay's books balance (received = forwarded + duplicate + stale epoch, batches
  // and records), match what the consumer got, and count every batch each node
  // published (node-a's twice, by its two paths).
  void ExpectRelayBooksBalance(const RelayBooks& books, const Received& got) const;

  // Packet n, the same datagram to each node, as a load balancer spraying both would.
  // Its value is n, so every record names its packet.
  void SendToBoth(const std::string& phase);

  template <typename Predicate>
  bool WaitFor(Predicate predicate, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (predicate()) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return predicate();
  }

  std::unique_ptr<testing::EtcdServer> etcd_;
  std::string dir_;
  int sender_ = -1;
  uint64_t sent_ = 0;
  std::map<std::string, uint64_t> sent_by_phase_;
  Node a_;
  Node b_;
  std::optional<testing::IngestdProcess> relay_;
  std::unique_ptr<Consumer> consumer_;
};

}  // namespace firehose::relay_e2e

#endif  // FIREHOSE_TESTS_RELAY_RELAY_PAIR_FIXTURE_H_
