// Multi-queue receive, really exercised: ingestd runs one net_tap port with 2 RX queues
// polled by 2 worker lcores. The kernel's tun driver spreads the flows it transmits into
// the tap over the queues by flow hash (as RSS does on a NIC), so datagrams from many
// source addresses and ports must land on both queues: both per-queue
// firehose_rx_packets_total series are non-zero, every datagram reaches the subscriber,
// and received = delivered + answered + named drops over all queues.
//
// The test moves itself into a fresh network namespace first (unshare), so the tap, its
// addresses and neighbour entry vanish with the process: nothing to clean up, nothing
// seen by the host's own interfaces. Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN).
// This machine has 2 CPUs: lcores.cpus [0, 1, 0] puts worker lcore 2 on the
// main lcore's CPU (lcores.cpus).
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/ingestd_process.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/record_collector.h"

namespace firehose {
namespace {

constexpr char kTap[] = "fhmq0";
constexpr int kSourceAddresses = 4;  // 10.98.0.1, .3, .4, .5
constexpr int kPortsPerAddress = 8;  // 32 flows in all
constexpr int kRounds = 10;          // datagrams per flow

// Runs a shell command (ip, sysctl); returns whether it exited 0.
bool Shell(const std::string& command) {
  const int status = std::system((command + " 2>&1").c_str());
  if (status != 0) ADD_FAILURE() << command << " -> " << status;
  return status == 0;
}

std::string SourceAddress(int i) { return i == 0 ? "10.98.0.1" : absl::StrCat("10.98.0.", i + 2); }

TEST(MultiQueueTest, FlowsSpreadOverTwoQueuesAndEveryPacketIsAccountedFor) {
  // A private network namespace for this process and the ingestd it starts.
  ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET) needs root: " << errno;
  ASSERT_TRUE(Shell("ip link set lo up"));
  // No IPv6 on the tap: router solicitations and MLD reports would only add drops.
  std::ofstream("/proc/sys/net/ipv6/conf/default/disable_ipv6") << "1";
  std::ofstream("/proc/sys/net/ipv6/conf/all/disable_ipv6") << "1";

  const std::string dir = testing::TestTempDir();
  const std::string config = dir + "/mq.yaml";
  std::ofstream(config) << "node_id: mq-node\n"
                        << "eal:\n  file_prefix: fh-mq-" << getpid() << "\n"
                        << "  args: [--no-huge, --no-shconf, -m, '256', --no-pci, --no-telemetry]\n"
                        << "ports:\n  - device: net_tap0,iface=" << kTap
                        << "\n    rx_queues: 2\n    validate_udp_checksum: true\n"
                        << "lcores:\n  main: 0\n  workers: [1, 2]\n  cpus: [0, 1, 0]\n"
                        << "mempool:\n  mbufs_per_queue: 2047\n"
                        << "grpc:\n  listen: 127.0.0.1:0\n"
                        << "metrics:\n  listen: 127.0.0.1:0\n";
  absl::StatusOr<testing::IngestdProcess> node =
      testing::StartIngestd("node/ingestd", config, {"--wait_for_subscribers=1"});
  ASSERT_TRUE(node.ok()) << node.status();
  testing::RecordCollector collector(node->grpc_address);

  // The kernel side of the tap: our source addresses, and a static neighbour entry for
  // the node so the kernel sends UDP at once (no ARP to answer).
  for (int i = 0; i < kSourceAddresses; ++i) {
    ASSERT_TRUE(Shell(absl::StrCat("ip addr add ", SourceAddress(i), "/24 dev ", kTap)));
  }
  ASSERT_TRUE(Shell(absl::StrCat("ip link set ", kTap, " up")));
  ASSERT_TRUE(Shell(absl::StrCat("ip neigh replace 10.98.0.2 lladdr 02:00:00:00:98:02 dev ", kTap,
                                 " nud permanent")));

  std::vector<int> sockets;
  for (int a = 0; a < kSourceAddresses; ++a) {
    for (int p = 0; p < kPortsPerAddress; ++p) {
      const int fd = socket(AF_INET, SOCK_DGRAM, 0);
      ASSERT_GE(fd, 0);
      sockaddr_in local{};
      local.sin_family = AF_INET;
      local.sin_port = htons(static_cast<uint16_t>(41000 + p));
      inet_pton(AF_INET, SourceAddress(a).c_str(), &local.sin_addr);
      ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)), 0) << errno;
      sockets.push_back(fd);
    }
  }
  sockaddr_in node_address{};
  node_address.sin_family = AF_INET;
  node_address.sin_port = htons(8125);
  inet_pton(AF_INET, "10.98.0.2", &node_address.sin_addr);
  size_t sent = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (size_t s = 0; s < sockets.size(); ++s) {
      const std::string line = absl::StrCat("mq.flow", s, ":1|c");
      if (sendto(sockets[s], line.data(), line.size(), 0,
                 reinterpret_cast<sockaddr*>(&node_address),
                 sizeof(node_address)) == static_cast<ssize_t>(line.size())) {
        ++sent;
      }
    }
    // Paced: the tap's kernel queues are short and a worker shares its CPU.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (int fd : sockets) close(fd);
  ASSERT_EQ(sent, sockets.size() * kRounds);
  EXPECT_TRUE(collector.WaitForRecords(sent, absl::Seconds(20)))
      << collector.records().size() << " of " << sent << " records";

  absl::StatusOr<std::string> page = testing::HttpGet(node->metrics_address, "/metrics");
  ASSERT_TRUE(page.ok()) << page.status();
  const std::vector<testing::Sample> m = testing::ParsePrometheusText(*page);
  node->process.Signal(SIGTERM);
  absl::StatusOr<int> exit_code = node->process.Wait(absl::Seconds(20));
  ASSERT_TRUE(exit_code.ok());
  EXPECT_EQ(*exit_code, 0);

  const double queue0 = testing::SumSamples(m, "firehose_rx_packets_total", {{"queue", "0"}});
  const double queue1 = testing::SumSamples(m, "firehose_rx_packets_total", {{"queue", "1"}});
  std::cout << "queue 0: " << queue0 << " packets, queue 1: " << queue1 << " packets\n";
  EXPECT_GT(queue0, 0);
  EXPECT_GT(queue1, 0);
  const double received = testing::SumSamples(m, "firehose_rx_packets_total");
  EXPECT_EQ(received, queue0 + queue1);
  const double delivered = testing::SumSamples(m, "firehose_rx_delivered_packets_total");
  EXPECT_EQ(delivered, sent);
  EXPECT_EQ(received, delivered + testing::SumSamples(m, "firehose_rx_answered_packets_total") +
                          testing::SumSamples(m, "firehose_rx_dropped_packets_total"));
  EXPECT_EQ(testing::SumSamples(m, "firehose_decoder_records_total"), sent);
  // net_tap offers RX UDP checksum offload (it checks in the PMD and sets the mbuf's
  // verdict), so validation is on here and the kernel's datagrams must all pass it.
  EXPECT_EQ(
      testing::SumSamples(m, "firehose_rx_dropped_packets_total", {{"reason", "bad_udp_checksum"}}),
      0);
}

}  // namespace
}  // namespace firehose
