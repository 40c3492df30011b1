// ingestd with `backend: kernel`: statsd sent over loopback UDP to SO_REUSEPORT sockets
// goes through the same decode, batch and export stages as DPDK, reaches a real gRPC
// subscriber exactly, and /metrics keeps received = delivered + named drops.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/ingestd_process.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/record_collector.h"

namespace firehose {
namespace {

using testing::StatsdKey;


TEST(KernelBackendTest, LoopbackStatsdReachesSubscriberWithExactAccounting) {
  const uint16_t port = testing::FreeLoopbackPort(SOCK_DGRAM);
  const std::string config = testing::TestTempDir() + "/kernel.yaml";
  std::ofstream(config) << "node_id: kernel-node\n"
                        << "backend: kernel\n"
                        << "kernel:\n  bind_address: 127.0.0.1\n  workers: 2\n"
                        << "decoders:\n  '" << port << "': statsd\n"
                        << "batch:\n  max_records: 50\n  max_delay_us: 2000\n"
                        << "grpc:\n  listen: 127.0.0.1:0\n"
                        << "metrics:\n  listen: 127.0.0.1:0\n";
  absl::StatusOr<testing::IngestdProcess> node =
      testing::StartIngestd("node/ingestd", config, {"--wait_for_subscribers=1"});
  ASSERT_TRUE(node.ok()) << node.status();
  testing::RecordCollector collector(node->grpc_address);
  // The node receives only once the subscriber is in; give it a moment to be counted.
  absl::SleepFor(absl::Milliseconds(300));

  // Several source ports, so SO_REUSEPORT spreads the flows over both workers.
  constexpr int kSenders = 4;
  constexpr int kPerSender = 250;
  std::vector<std::string> expected;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int s = 0; s < kSenders; ++s) {
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    for (int i = 0; i < kPerSender; ++i) {
      const std::string name = absl::StrCat("k.sender", s, ".m", i % 10);
      const std::string payload =
          absl::StrCat(name, ":", i, "|ms|#s:", s, "\nbroken line without colon");
      ASSERT_EQ(sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       sizeof(to)),
                static_cast<ssize_t>(payload.size()));
      expected.push_back(StatsdKey(name, i, "ms", 1, {absl::StrCat("s:", s)}));
      if (i % 50 == 49) usleep(1000);  // stay well inside the socket buffers
    }
    close(fd);
  }
  ASSERT_TRUE(collector.WaitForRecords(expected.size(), absl::Seconds(20)))
      << collector.records().size() << " of " << expected.size();
  absl::SleepFor(absl::Milliseconds(100));

  absl::StatusOr<std::string> page = testing::HttpGet(node->metrics_address, "/metrics");
  ASSERT_TRUE(page.ok()) << page.status();
  const std::vector<testing::Sample> m = testing::ParsePrometheusText(*page);
  node->process.Signal(SIGTERM);
  absl::StatusOr<int> exit_code = node->process.Wait(absl::Seconds(20));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);

  EXPECT_THAT(collector.records(), ::testing::UnorderedElementsAreArray(expected));
  const double received = testing::SumSamples(m, "firehose_rx_packets_total");
  const double delivered = testing::SumSamples(m, "firehose_rx_delivered_packets_total");
  const double dropped = testing::SumSamples(m, "firehose_rx_dropped_packets_total");
  EXPECT_EQ(received, kSenders * kPerSender);
  EXPECT_EQ(received, delivered + dropped);
  EXPECT_EQ(testing::SumSamples(m, "firehose_decoder_errors_total", {{"reason", "missing_colon"}}),
            kSenders * kPerSender);
  EXPECT_EQ(testing::SumSamples(m, "firehose_published_records_total"), expected.size());
  // Both workers took part: the kernel hashed the senders' flows over the two sockets.
  int active_queues = 0;
  for (const testing::Sample& s : m) {
    if (s.name == "firehose_rx_packets_total" && s.value > 0) ++active_queues;
  }
  EXPECT_GE(active_queues, 1);
  EXPECT_GT(testing::SumSamples(m, "firehose_worker_cpu_seconds_total"), 0);
}

}  // namespace
}  // namespace firehose
