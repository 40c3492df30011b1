// The IPv6 service address against a real neighbour: the Linux kernel's own Neighbor
// Discovery code, on the other side of a net_tap port. The kernel holds a stale entry
// for the service address pointing at some other MAC (the previous active). When
// ingestd becomes active it sends its unsolicited Neighbor Advertisement, and the kernel
// must move the entry to ingestd's MAC — it does so only for a well-formed NA (hop
// limit 255, valid checksum, Solicited clear to a multicast destination, Override set,
// a Target Link-Layer Address option). Then a datagram to the service address makes the
// kernel probe the entry with a unicast solicitation, which ingestd must answer (the
// entry becomes REACHABLE), and the datagram reaches a subscriber.
//
// The test moves itself into a fresh network namespace first (unshare), so the tap and
// its neighbour entries vanish with the process. Needs root (CAP_SYS_ADMIN,
// CAP_NET_ADMIN).
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/ingestd_process.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/record_collector.h"

namespace firehose {
namespace {

constexpr char kTap[] = "fhna0";
constexpr char kNodeMac[] = "02:00:00:00:98:05";  // the PMD side of the tap
constexpr char kOldMac[] = "02:00:00:00:00:bb";   // "the previous active"
constexpr char kService[] = "2001:db8::50";

bool Shell(const std::string& command) {
  const int status = std::system((command + " 2>&1").c_str());
  if (status != 0) ADD_FAILURE() << command << " -> " << status;
  return status == 0;
}

// The kernel's neighbour entry for the service address, e.g.
// "2001:db8::50 lladdr 02:00:00:00:98:05 STALE" (empty when there is none).
std::string NeighbourEntry() {
  FILE* pipe = popen(absl::StrCat("ip -6 neigh show ", kService, " dev ", kTap).c_str(), "r");
  std::string output;
  char buffer[256];
  while (pipe != nullptr && fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  if (pipe != nullptr) pclose(pipe);
  return output;
}

// Polls the entry until it contains every one of `wanted` (5 s at most).
bool WaitForEntry(std::initializer_list<std::string> wanted) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string entry = NeighbourEntry();
    bool all = true;
    for (const std::string& w : wanted) all = all && entry.find(w) != std::string::npos;
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(ServiceAddressTapTest, KernelNeighbourFollowsTheUnsolicitedAdvertisement) {
  ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET) needs root: " << errno;
  ASSERT_TRUE(Shell("ip link set lo up"));
  const std::string dir = testing::TestTempDir();
  const std::string config = dir + "/na-tap.yaml";
  std::ofstream(config) << "node_id: na-tap-node\n"
                        << "eal:\n  file_prefix: fh-natap-" << getpid() << "\n"
                        << "  args: [--no-huge, --no-shconf, -m, '256', --no-pci, --no-telemetry]\n"
                        << "ports:\n  - device: net_tap0,iface=" << kTap << ",mac=" << kNodeMac
                        << "\n"
                        << "grpc:\n  listen: 127.0.0.1:0\n"
                        << "metrics:\n  listen: 127.0.0.1:0\n";
  // Standalone, so active from the start; the workers (and the announcement) wait for a
  // subscriber, which gives the test time to set the kernel side up first.
  absl::StatusOr<testing::IngestdProcess> node =
      testing::StartIngestd("node/ingestd", config,
                            {"--wait_for_subscribers=1", std::string("--service_ip=") + kService});
  ASSERT_TRUE(node.ok()) << node.status();

  // The kernel side: an address on the link, no duplicate-address-detection wait, a
  // short first-probe delay, and a stale entry for the service address at the old MAC.
  ASSERT_TRUE(Shell(absl::StrCat("ip -6 addr add 2001:db8::1/64 dev ", kTap, " nodad")));
  ASSERT_TRUE(Shell(absl::StrCat("ip link set ", kTap, " up")));
  std::ofstream(absl::StrCat("/proc/sys/net/ipv6/neigh/", kTap, "/delay_first_probe_time")) << "1";
  ASSERT_TRUE(Shell(absl::StrCat("ip -6 neigh replace ", kService, " lladdr ", kOldMac, " dev ",
                                 kTap, " nud stale")));
  ASSERT_THAT(NeighbourEntry(), ::testing::HasSubstr(kOldMac));

  testing::RecordCollector collector(node->grpc_address);  // the workers start now
  EXPECT_TRUE(WaitForEntry({kNodeMac}))
      << "the kernel did not take the advertisement: " << NeighbourEntry();

  // A datagram to the service address: the kernel sends it to the new MAC and probes
  // the entry with a unicast solicitation; ingestd's solicited answer makes it REACHABLE.
  const int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_port = htons(8125);
  inet_pton(AF_INET6, kService, &to.sin6_addr);
  const std::string line = "na.tap:1|c";
  ASSERT_EQ(sendto(fd, line.data(), line.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
            static_cast<ssize_t>(line.size()))
      << errno;
  close(fd);
  EXPECT_TRUE(collector.WaitForRecords(1, absl::Seconds(10)));
  EXPECT_TRUE(WaitForEntry({kNodeMac, "REACHABLE"}))
      << "the kernel's probe was not answered: " << NeighbourEntry();

  absl::StatusOr<std::string> page = testing::HttpGet(node->metrics_address, "/metrics");
  ASSERT_TRUE(page.ok()) << page.status();
  const std::vector<testing::Sample> m = testing::ParsePrometheusText(*page);
  node->process.Signal(SIGTERM);
  absl::StatusOr<int> exit_code = node->process.Wait(absl::Seconds(20));
  ASSERT_TRUE(exit_code.ok());
  EXPECT_EQ(*exit_code, 0);

  EXPECT_EQ(testing::SumSamples(m, "firehose_unsolicited_neighbor_advertisements_sent_total"), 1);
  EXPECT_GE(testing::SumSamples(m, "firehose_rx_answered_packets_total", {{"kind", "ndp"}}), 1);
  // The kernel's router solicitations, MLD reports and the like are drops; the identity
  // holds for them too.
  EXPECT_EQ(testing::SumSamples(m, "firehose_rx_packets_total"),
            testing::SumSamples(m, "firehose_rx_delivered_packets_total") +
                testing::SumSamples(m, "firehose_rx_answered_packets_total") +
                testing::SumSamples(m, "firehose_rx_dropped_packets_total"));
}

}  // namespace
}  // namespace firehose
