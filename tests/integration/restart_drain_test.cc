// Graceful drain and resume across a restart, with the real ingestd (kernel socket
// backend, loopback UDP) and the real C++ client library following it:
//   1. records decoded but still in an open batch when SIGTERM arrives are flushed,
//      published and delivered before ingestd exits 0, within the drain bound;
//   2. the restarted node takes the next epoch from grpc.epoch_file; the client
//      reconnects by itself, resumes after its last (epoch, seq), is told of the epoch
//      change, and receives the new run's records — every record of both runs exactly
//      once, and no gap notice.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/subscription_test_node.h"
#include "tests/support/ingestd_process.h"
#include "tests/support/prometheus_text.h"

namespace firehose {
namespace {

constexpr int kRecordsPerRun = 600;
constexpr int kLinesPerPacket = 6;

// Sends records with values [first, first + count) as statsd counters "drain.v".
void SendRecords(uint16_t port, int first, int count) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string payload;
  for (int v = first; v < first + count; ++v) {
    absl::StrAppend(&payload, "drain.v:", v, "|c\n");
    if ((v - first) % kLinesPerPacket == kLinesPerPacket - 1 || v == first + count - 1) {
      sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
      payload.clear();
      if ((v - first) % 60 == 59) usleep(500);  // stay well inside the socket buffer
    }
  }
  close(fd);
}

TEST(RestartDrainTest, ConnectedSubscriberLosesNothingAcrossARestart) {
  const uint16_t udp_port = testing::FreeLoopbackPort(SOCK_DGRAM);
  const uint16_t grpc_port = testing::FreeLoopbackPort(SOCK_STREAM);
  const std::string dir = testing::TestTempDir();
  const std::string epoch_file = dir + "/epoch";
  std::remove(epoch_file.c_str());
  const std::string config = dir + "/drain.yaml";
  // A 1 s batch delay and a large batch: the records of a run are still in an open
  // batch when SIGTERM comes, so only the drain can deliver them.
  std::ofstream(config) << "node_id: drain-node\n"
                        << "backend: kernel\n"
                        << "kernel:\n  bind_address: 127.0.0.1\n  workers: 1\n"
                        << "decoders:\n  '" << udp_port << "': statsd\n"
                        << "batch:\n  max_records: 100000\n  max_delay_us: 1000000\n"
                        << "grpc:\n  listen: 127.0.0.1:" << grpc_port
                        << "\n  epoch_file: " << epoch_file << "\n"
                        << "metrics:\n  listen: 127.0.0.1:0\n";

  client::SubscriberOptions options;
  options.address = absl::StrCat("127.0.0.1:", grpc_port);
  options.request.set_client_name("follower");
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(200);
  options.connect_timeout = absl::Seconds(1);
  options.max_attempts = 100;  // ~bounded: the restart takes a few seconds at most

  std::unique_ptr<testing::Collected> sub;
  uint64_t connections_before = 0;  // streams opened to earlier runs
  for (int run = 0; run < 2; ++run) {
    absl::StatusOr<testing::IngestdProcess> node = testing::StartIngestd(
        "node/ingestd", config, {"--wait_for_subscribers=1", "--drain_timeout_ms=5000"});
    ASSERT_TRUE(node.ok()) << node.status();
    ASSERT_EQ(node->grpc_address, options.address);
    if (sub == nullptr) sub = std::make_unique<testing::Collected>(options);
    // Wait until the follower is connected (the node then starts receiving).
    const absl::Time connected_by = absl::Now() + absl::Seconds(20);
    while (sub->stats().connections <= connections_before && absl::Now() < connected_by) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    absl::SleepFor(absl::Milliseconds(300));
    // The node's view: the epoch from the epoch file, and the follower's own series.
    absl::StatusOr<std::string> scrape = testing::HttpGet(node->metrics_address, "/metrics");
    ASSERT_TRUE(scrape.ok()) << scrape.status();
    const std::vector<testing::Sample> samples = testing::ParsePrometheusText(*scrape);
    EXPECT_EQ(testing::SumSamples(samples, "firehose_epoch"), run + 1);
    EXPECT_EQ(testing::SumSamples(samples, "firehose_subscribers"), 1);
    bool follower_series = false;
    for (const testing::Sample& sample : samples) {
      if (sample.name == "firehose_subscriber_lag_batches" && sample.labels.count("subscriber") &&
          sample.labels.at("subscriber").rfind("follower#", 0) == 0) {
        follower_series = true;
      }
    }
    EXPECT_TRUE(follower_series) << *scrape;
    SendRecords(udp_port, run * kRecordsPerRun, kRecordsPerRun);
    absl::SleepFor(absl::Milliseconds(200));  // read and decoded, batch still open
    const absl::Time stop_at = absl::Now();
    node->process.Signal(SIGTERM);
    absl::StatusOr<int> exit_code = node->process.Wait(absl::Seconds(15));
    ASSERT_TRUE(exit_code.ok()) << exit_code.status();
    EXPECT_EQ(*exit_code, 0);
    EXPECT_LT(absl::Now() - stop_at, absl::Seconds(8)) << "drain is bounded";
    connections_before = sub->stats().connections;
    ASSERT_TRUE(sub->WaitForValues((run + 1) * kRecordsPerRun, absl::Seconds(10)))
        << "run " << run << ": " << sub->values().size() << " records";
  }
  sub->Stop();

  const std::multiset<uint64_t> values = sub->values();
  EXPECT_EQ(values.size(), 2u * kRecordsPerRun);
  std::set<uint64_t> expected;
  for (uint64_t v = 0; v < 2 * kRecordsPerRun; ++v) expected.insert(v);
  EXPECT_EQ(std::set<uint64_t>(values.begin(), values.end()), expected);
  // One epoch per run, each starting at seq 1, and the change announced.
  const std::vector<v1::Batch> batches = sub->batches();
  ASSERT_FALSE(batches.empty());
  EXPECT_EQ(batches.front().epoch(), 1u);
  EXPECT_EQ(batches.back().epoch(), 2u);
  int epoch_changes = 0;
  for (const v1::Notice& notice : sub->notices()) {
    EXPECT_FALSE(notice.has_gap()) << notice.DebugString();
    if (notice.has_epoch_change()) {
      ++epoch_changes;
      EXPECT_EQ(notice.epoch_change().previous_epoch(), 1u);
      EXPECT_EQ(notice.epoch_change().epoch(), 2u);
    }
  }
  EXPECT_EQ(epoch_changes, 1);
  EXPECT_EQ(sub->stats().duplicates_skipped, 0u);
}

}  // namespace
}  // namespace firehose
