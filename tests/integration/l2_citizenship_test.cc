// ingestd as a host on its segment: with IPv4 and IPv6 addresses configured on a net_pcap
// port, the worker answers ARP requests, ICMP and ICMPv6 echo requests and IPv6 Neighbor
// Solicitations (including a duplicate-address probe) for them through the port's TX
// queue (captured with tx_pcap=), stays silent for other addresses, drops UDP with a
// wrong checksum (validate_udp_checksum), keeps decoding statsd over IPv4, IPv6 and QinQ,
// and /metrics accounts for every frame: received = delivered + answered + named drops.
// The answers are checked twice: byte by byte here, and by scapy (verify_answers.py),
// which recomputes every checksum with its own code.
// The pair's service address (--service_ip): an active node announces it once (gratuitous
// ARP for IPv4, unsolicited Neighbor Advertisement for IPv6) and answers for it; a
// standby answers nothing for it, while still answering for its own addresses.
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/ingestd_process.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/record_collector.h"
#include "tools/pcapgen/frame_builder.h"
#include "tools/pcapgen/pcap_writer.h"

namespace firehose {
namespace {

using pcapgen::FrameBuilder;

constexpr pcapgen::MacAddress kPeerMac = {0x02, 0, 0, 0, 0, 0x09};

uint16_t OnesSum(const uint8_t* data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (len & 1) sum += static_cast<uint32_t>(data[len - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// An ICMP echo request to `to` (FrameBuilder writes UDP, so its header is cut out).
std::vector<uint8_t> Ping(const pcapgen::Ipv4Address& to) {
  std::vector<uint8_t> icmp = {8, 0, 0, 0, 0x42, 0x42, 0, 7, 'h', 'i'};
  const uint16_t checksum = static_cast<uint16_t>(~OnesSum(icmp.data(), icmp.size()));
  icmp[2] = static_cast<uint8_t>(checksum >> 8);
  icmp[3] = static_cast<uint8_t>(checksum);
  std::vector<uint8_t> frame = FrameBuilder()
                                   .SourceMac(kPeerMac)
                                   .Ipv4({192, 0, 2, 1}, to)
                                   .IpProtocol(pcapgen::kIpProtoIcmp)
                                   .Payload(std::span<const uint8_t>(icmp))
                                   .EthernetPadding(0)
                                   .Build();
  frame.erase(frame.begin() + 14 + 20, frame.begin() + 14 + 28);
  const uint16_t total = static_cast<uint16_t>(20 + icmp.size());
  frame[16] = static_cast<uint8_t>(total >> 8);
  frame[17] = static_cast<uint8_t>(total);
  frame[24] = frame[25] = 0;
  const uint16_t ip_checksum = static_cast<uint16_t>(~OnesSum(frame.data() + 14, 20));
  frame[24] = static_cast<uint8_t>(ip_checksum >> 8);
  frame[25] = static_cast<uint8_t>(ip_checksum);
  return frame;
}

using Ip6 = std::array<uint8_t, 16>;
const Ip6 kPeer6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
const Ip6 kNode6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
const Ip6 kOther6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x77};
const Ip6 kService6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x50};
const Ip6 kUnspecified = {};

// The solicited-node multicast address of `target` (ff02::1:ffXX:XXXX), where an NS goes.
Ip6 SolicitedNode(const Ip6& target) {
  Ip6 group = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  std::copy(target.begin() + 13, target.end(), group.begin() + 13);
  return group;
}

// An IPv6 frame from the peer's MAC carrying the ICMPv6 message `icmp` (checksum filled).
std::vector<uint8_t> Icmpv6(const Ip6& from, const Ip6& to, uint8_t hop_limit,
                            std::vector<uint8_t> icmp) {
  uint32_t pseudo = static_cast<uint32_t>(icmp.size()) + 58;
  for (int i = 0; i < 16; i += 2) pseudo += (from[i] << 8 | from[i + 1]) + (to[i] << 8 | to[i + 1]);
  const uint16_t checksum = pcapgen::InternetChecksum(icmp, pseudo);
  icmp[2] = static_cast<uint8_t>(checksum >> 8);
  icmp[3] = static_cast<uint8_t>(checksum);
  // Multicast IPv6 maps to MAC 33:33 + its last four bytes (RFC 2464 §7).
  std::vector<uint8_t> frame = {0x33, 0x33, 0xff, 0, 0, 0x10};
  if (to[0] == 0xff) std::copy(to.begin() + 12, to.end(), frame.begin() + 2);
  frame.insert(frame.end(), kPeerMac.begin(), kPeerMac.end());
  frame.insert(frame.end(),
               {0x86, 0xdd, 0x60, 0, 0, 0, 0, static_cast<uint8_t>(icmp.size()), 58, hop_limit});
  frame.insert(frame.end(), from.begin(), from.end());
  frame.insert(frame.end(), to.begin(), to.end());
  frame.insert(frame.end(), icmp.begin(), icmp.end());
  return frame;
}

std::vector<uint8_t> Ping6(const Ip6& to) {
  return Icmpv6(kPeer6, to, 64, {128, 0, 0, 0, 0x00, 0x66, 0, 3, 'h', 'i', '6'});
}

// A Neighbor Solicitation for `target`; from :: (duplicate address detection) it has no
// Source Link-Layer Address option, so the advertisement is longer than it.
std::vector<uint8_t> Solicit(const Ip6& from, const Ip6& target) {
  std::vector<uint8_t> icmp = {135, 0, 0, 0, 0, 0, 0, 0};
  icmp.insert(icmp.end(), target.begin(), target.end());
  if (from != kUnspecified) {
    icmp.insert(icmp.end(), {1, 1});
    icmp.insert(icmp.end(), kPeerMac.begin(), kPeerMac.end());
  }
  return Icmpv6(from, SolicitedNode(target), 255, icmp);
}

// Runs verify_answers.py (scapy) over `pcap`; returns its lines, and its exit status.
std::vector<std::string> VerifyWithScapy(const std::string& pcap, int* status) {
  const std::string command =
      "/usr/bin/python3 tests/integration/verify_answers.py " + pcap + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[512];
  while (pipe != nullptr && fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  *status = pipe == nullptr ? -1 : pclose(pipe);
  return absl::StrSplit(output, '\n', absl::SkipEmpty());
}

std::vector<std::vector<uint8_t>> ReadPcap(const std::string& path) {
  std::vector<std::vector<uint8_t>> frames;
  char error[PCAP_ERRBUF_SIZE];
  pcap_t* pcap = pcap_open_offline(path.c_str(), error);
  if (pcap == nullptr) return frames;
  pcap_pkthdr* header;
  const u_char* data;
  while (pcap_next_ex(pcap, &header, &data) == 1) frames.emplace_back(data, data + header->caplen);
  pcap_close(pcap);
  return frames;
}

// Polls /metrics until `frames` frames were received (a standby publishes nothing, so
// there is no record to wait for); returns the last page's samples.
std::vector<testing::Sample> WaitForReceived(const std::string& metrics, double frames) {
  std::vector<testing::Sample> m;
  for (int attempt = 0; attempt < 200; ++attempt) {
    absl::StatusOr<std::string> page = testing::HttpGet(metrics, "/metrics");
    if (page.ok()) {
      m = testing::ParsePrometheusText(*page);
      // The worker counts a frame received before it answers, delivers or drops it, so a
      // scrape can land between the two: wait until every received frame is also counted
      // under its outcome (seen once in ~20 make test runs as received 6, outcomes 1).
      const double received = testing::SumSamples(m, "firehose_rx_packets_total");
      const double accounted = testing::SumSamples(m, "firehose_rx_delivered_packets_total") +
                               testing::SumSamples(m, "firehose_rx_answered_packets_total") +
                               testing::SumSamples(m, "firehose_rx_dropped_packets_total");
      if (received >= frames && accounted == received) return m;
    }
    usleep(100'000);
  }
  ADD_FAILURE() << "ingestd did not receive and account for " << frames << " frames within 20 s";
  return m;
}

// Runs ingestd on `config` with `flags` until `records` records reached a subscriber (0:
// until it received `frames` frames, for a standby, which publishes nothing), scrapes
// /metrics, stops it with SIGTERM and expects exit code 0. Returns the samples.
absl::StatusOr<std::vector<testing::Sample>> RunNode(const std::string& config,
                                                     const std::vector<std::string>& flags,
                                                     int records, size_t frames) {
  absl::StatusOr<testing::IngestdProcess> node =
      testing::StartIngestd("node/ingestd", config, flags);
  if (!node.ok()) return node.status();
  std::vector<testing::Sample> m;
  if (records > 0) {
    testing::RecordCollector collector(node->grpc_address);
    // The last frame's record means every frame before it was handled.
    if (!collector.WaitForRecords(records, absl::Seconds(20))) {
      return absl::DeadlineExceededError("records did not reach the subscriber");
    }
    absl::StatusOr<std::string> page = testing::HttpGet(node->metrics_address, "/metrics");
    if (!page.ok()) return page.status();
    m = testing::ParsePrometheusText(*page);
  } else {
    m = WaitForReceived(node->metrics_address, static_cast<double>(frames));
  }
  node->process.Signal(SIGTERM);
  absl::StatusOr<int> exit_code = node->process.Wait(absl::Seconds(20));
  if (!exit_code.ok()) return exit_code.status();
  if (*exit_code != 0) return absl::InternalError(absl::StrCat("ingestd exited ", *exit_code));
  return m;
}

// received = every frame, = delivered + answered + named drops.
void ExpectEveryFrameAccounted(const std::vector<testing::Sample>& m, size_t frames) {
  const double received = testing::SumSamples(m, "firehose_rx_packets_total");
  EXPECT_EQ(received, frames);
  EXPECT_EQ(received, testing::SumSamples(m, "firehose_rx_delivered_packets_total") +
                          testing::SumSamples(m, "firehose_rx_answered_packets_total") +
                          testing::SumSamples(m, "firehose_rx_dropped_packets_total"));
}

TEST(L2CitizenshipTest, AnswersArpNdpAndPingForItsAddressesOnly) {
  const std::string dir = testing::TestTempDir();
  std::vector<uint8_t> no_checksum =
      FrameBuilder().Ports(40001, 8125).Payload("v4.none:1|c").Build();
  no_checksum[14 + 20 + 6] = no_checksum[14 + 20 + 7] = 0;  // IPv4: 0 means "none"
  std::vector<std::vector<uint8_t>> frames = {
      pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, {192, 0, 2, 10}),  // ours
      pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, {192, 0, 2, 77}),  // not ours
      Ping({192, 0, 2, 10}),                                                // ours
      Ping({192, 0, 2, 77}),                                                // not ours
      Ping6(kNode6),                                                        // ours
      Ping6(kOther6),                                                       // not ours
      Solicit(kPeer6, kNode6),                                              // ours
      Solicit(kUnspecified, kNode6),  // a duplicate-address probe: defended
      Solicit(kPeer6, kOther6),       // not ours
      FrameBuilder().Payload("bad.v4:1|c").CorruptUdpChecksum().Build(),
      FrameBuilder().Ipv6(kPeer6, kNode6).Payload("bad.v6:1|c").CorruptUdpChecksum().Build(),
      FrameBuilder().Vlan(100).Vlan(200).Ipv6(kPeer6, kNode6).Payload("qinq.v6:1|c").Build(),
      no_checksum,
      FrameBuilder().Ports(40000, 8125).Payload("last.one:1|c").Build(),
  };
  const std::string in = dir + "/in.pcap";
  const std::string out = dir + "/out.pcap";
  ASSERT_TRUE(pcapgen::WritePcapFile(in, frames).ok());
  const std::string config = dir + "/l2.yaml";
  std::ofstream(config) << "node_id: l2-node\n"
                        << "eal:\n  file_prefix: fh-l2-" << getpid() << "\n"
                        << "  args: [--no-huge, --no-shconf, -m, '256', --no-pci, --no-telemetry]\n"
                        << "ports:\n  - device: net_pcap0,rx_pcap=" << in << ",tx_pcap=" << out
                        << "\n    addresses: [192.0.2.10, '2001:db8::10']\n"
                        << "    validate_udp_checksum: true\n"
                        << "grpc:\n  listen: 127.0.0.1:0\n"
                        << "metrics:\n  listen: 127.0.0.1:0\n";
  // The three good datagrams.
  absl::StatusOr<std::vector<testing::Sample>> run =
      RunNode(config, {"--wait_for_subscribers=1"}, 3, frames.size());
  ASSERT_TRUE(run.ok()) << run.status();
  const std::vector<testing::Sample>& m = *run;

  auto answered = [&](const std::string& kind) {
    return testing::SumSamples(m, "firehose_rx_answered_packets_total", {{"kind", kind}});
  };
  auto dropped = [&](const std::string& reason) {
    return testing::SumSamples(m, "firehose_rx_dropped_packets_total", {{"reason", reason}});
  };
  EXPECT_EQ(answered("arp"), 1);
  EXPECT_EQ(answered("icmp_echo"), 1);
  EXPECT_EQ(answered("icmpv6_echo"), 1);
  EXPECT_EQ(answered("ndp"), 2);
  EXPECT_EQ(testing::SumSamples(m, "firehose_rx_delivered_packets_total"), 3);
  ExpectEveryFrameAccounted(m, frames.size());
  EXPECT_EQ(dropped("not_ip"), 1);
  EXPECT_EQ(dropped("not_udp"), 3);  // ping, ping6 and solicitation for someone else
  EXPECT_EQ(dropped("bad_udp_checksum"), 2);

  // Five frames left the node, in order: ARP reply, echo reply, ICMPv6 echo reply, and
  // two advertisements. Our own byte checks first...
  const std::vector<std::vector<uint8_t>> sent = ReadPcap(out);
  ASSERT_EQ(sent.size(), 5u);
  const std::vector<uint8_t>& arp = sent[0];
  ASSERT_GE(arp.size(), 42u);
  EXPECT_TRUE(std::equal(kPeerMac.begin(), kPeerMac.end(), arp.begin()));
  EXPECT_EQ(arp[12], 0x08);
  EXPECT_EQ(arp[13], 0x06);
  EXPECT_EQ(arp[21], 2);  // ARP reply
  EXPECT_EQ(std::vector<uint8_t>(arp.begin() + 28, arp.begin() + 32),
            (std::vector<uint8_t>{192, 0, 2, 10}));
  const std::vector<uint8_t>& pong = sent[1];
  ASSERT_GE(pong.size(), 34u + 10u);
  EXPECT_EQ(pong[23], 1);  // ICMP
  EXPECT_EQ(pong[34], 0);  // echo reply
  EXPECT_EQ(OnesSum(pong.data() + 14, 20), 0xffff);
  EXPECT_EQ(OnesSum(pong.data() + 34, 10), 0xffff);
  EXPECT_EQ(std::vector<uint8_t>(pong.begin() + 30, pong.begin() + 34),
            (std::vector<uint8_t>{192, 0, 2, 1}));
  EXPECT_EQ(sent[4].size(), 14u + 40 + 32) << "the DAD answer grew by its option";

  // ...then scapy's, which recomputes every checksum itself.
  int status = 0;
  const std::vector<std::string> lines = VerifyWithScapy(out, &status);
  EXPECT_EQ(status, 0) << absl::StrJoin(lines, "\n");
  ASSERT_EQ(lines.size(), 5u) << absl::StrJoin(lines, "\n");
  using ::testing::HasSubstr;
  using ::testing::StartsWith;
  EXPECT_THAT(lines[0], StartsWith("arp-reply psrc=192.0.2.10 hwsrc="));
  EXPECT_THAT(lines[0], HasSubstr("pdst=192.0.2.1 hwdst=02:00:00:00:00:09"));
  const std::string node_mac = lines[0].substr(lines[0].find("hwsrc=") + 6, 17);
  EXPECT_THAT(
      lines[1],
      StartsWith("icmp-echo-reply src=192.0.2.10 dst=192.0.2.1 type=0 id=16962 seq=7 load=hi"));
  EXPECT_EQ(lines[2],
            "icmpv6-echo-reply src=2001:db8::10 dst=2001:db8::1 hlim=64 id=102 seq=3 load=hi6");
  EXPECT_EQ(lines[3],
            "ndp-na ethdst=02:00:00:00:00:09 src=2001:db8::10 dst=2001:db8::1 "
            "hlim=255 tgt=2001:db8::10 R=0 S=1 O=1 lladdr=" +
                node_mac);
  EXPECT_EQ(lines[4],
            "ndp-na ethdst=33:33:00:00:00:01 src=2001:db8::10 dst=ff02::1 "
            "hlim=255 tgt=2001:db8::10 R=0 S=0 O=1 lladdr=" +
                node_mac);
}

// The pair's service IP: a node with no addresses of its own that is active (standalone
// here) announces --service_ip once by gratuitous ARP and answers ARP for it, and only
// for it. (A standby clears it: IngestNode::SetServiceAddress(""), on demotion.)
TEST(L2CitizenshipTest, ActiveNodeOwnsTheServiceIp) {
  const std::string dir = testing::TestTempDir();
  std::vector<std::vector<uint8_t>> frames = {
      pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, {192, 0, 2, 50}),  // service IP
      pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, {192, 0, 2, 10}),  // nobody's
      FrameBuilder().Ports(40000, 8125).Payload("last.one:1|c").Build(),
  };
  const std::string in = dir + "/service-in.pcap";
  const std::string out = dir + "/service-out.pcap";
  ASSERT_TRUE(pcapgen::WritePcapFile(in, frames).ok());
  const std::string config = dir + "/service.yaml";
  std::ofstream(config) << "node_id: service-node\n"
                        << "eal:\n  file_prefix: fh-l2s-" << getpid() << "\n"
                        << "  args: [--no-huge, --no-shconf, -m, '256', --no-pci, --no-telemetry]\n"
                        << "ports:\n  - device: net_pcap0,rx_pcap=" << in << ",tx_pcap=" << out
                        << "\n"
                        << "grpc:\n  listen: 127.0.0.1:0\n"
                        << "metrics:\n  listen: 127.0.0.1:0\n";
  absl::StatusOr<std::vector<testing::Sample>> run =
      RunNode(config, {"--wait_for_subscribers=1", "--service_ip=192.0.2.50"}, 1, frames.size());
  ASSERT_TRUE(run.ok()) << run.status();
  const std::vector<testing::Sample>& m = *run;

  EXPECT_EQ(testing::SumSamples(m, "firehose_gratuitous_arps_sent_total"), 1);
  EXPECT_EQ(testing::SumSamples(m, "firehose_rx_answered_packets_total", {{"kind", "arp"}}), 1);
  ExpectEveryFrameAccounted(m, frames.size());

  // The announcement (sent at the first poll, before any frame is read), then the reply.
  const std::vector<std::vector<uint8_t>> sent = ReadPcap(out);
  ASSERT_EQ(sent.size(), 2u);
  const std::vector<uint8_t>& garp = sent[0];
  ASSERT_GE(garp.size(), 42u);
  EXPECT_EQ(garp[0], 0xff) << "a gratuitous ARP is broadcast";
  EXPECT_EQ(std::vector<uint8_t>(garp.begin() + 28, garp.begin() + 32),
            (std::vector<uint8_t>{192, 0, 2, 50}));
  EXPECT_EQ(std::vector<uint8_t>(garp.begin() + 38, garp.begin() + 42),
            (std::vector<uint8_t>{192, 0, 2, 50}));
  EXPECT_TRUE(std::equal(garp.begin() + 6, garp.begin() + 12, garp.begin() + 22))
      << "sender hardware address is the port's MAC";
  EXPECT_NE(std::vector<uint8_t>(garp.begin() + 6, garp.begin() + 12), std::vector<uint8_t>(6, 0));
  const std::vector<uint8_t>& reply = sent[1];
  ASSERT_GE(reply.size(), 42u);
  EXPECT_EQ(reply[21], 2);  // ARP reply
  EXPECT_EQ(std::vector<uint8_t>(reply.begin() + 28, reply.begin() + 32),
            (std::vector<uint8_t>{192, 0, 2, 50}));
}

// Writes a one-port net_pcap config reading `in`, writing answers to `out`; `addresses`
// is a YAML list (may be empty).
void WriteServiceConfig(const std::string& path, const std::string& tag, const std::string& in,
                        const std::string& out, const std::string& addresses) {
  std::ofstream(path) << "node_id: " << tag << "\n"
                      << "eal:\n  file_prefix: fh-" << tag << "-" << getpid() << "\n"
                      << "  args: [--no-huge, --no-shconf, -m, '256', --no-pci, --no-telemetry]\n"
                      << "ports:\n  - device: net_pcap0,rx_pcap=" << in << ",tx_pcap=" << out
                      << "\n    addresses: " << addresses << "\n"
                      << "grpc:\n  listen: 127.0.0.1:0\n"
                      << "metrics:\n  listen: 127.0.0.1:0\n";
}

// The IPv6 service address on an active (standalone) node: one unsolicited Neighbor
// Advertisement on promotion (RFC 4861 §7.2.6: to ff02::1, hop limit 255, Override set,
// Solicited clear, Target Link-Layer Address option), then solicitations for it are
// answered like the node's own; scapy checks both advertisements.
TEST(L2CitizenshipTest, ActiveNodeAnnouncesItsIpv6ServiceAddress) {
  const std::string dir = testing::TestTempDir();
  std::vector<std::vector<uint8_t>> frames = {
      Solicit(kPeer6, kService6),  // the service address: answered while active
      Solicit(kPeer6, kOther6),    // nobody's
      FrameBuilder().Ports(40000, 8125).Payload("last.one:1|c").Build(),
  };
  const std::string in = dir + "/na-in.pcap";
  const std::string out = dir + "/na-out.pcap";
  ASSERT_TRUE(pcapgen::WritePcapFile(in, frames).ok());
  const std::string config = dir + "/na.yaml";
  WriteServiceConfig(config, "l2na", in, out, "[]");
  absl::StatusOr<std::vector<testing::Sample>> run =
      RunNode(config, {"--wait_for_subscribers=1", "--service_ip=2001:db8::50"}, 1, frames.size());
  ASSERT_TRUE(run.ok()) << run.status();
  const std::vector<testing::Sample>& m = *run;

  EXPECT_EQ(testing::SumSamples(m, "firehose_unsolicited_neighbor_advertisements_sent_total"), 1);
  EXPECT_EQ(testing::SumSamples(m, "firehose_gratuitous_arps_sent_total"), 0);
  EXPECT_EQ(testing::SumSamples(m, "firehose_rx_answered_packets_total", {{"kind", "ndp"}}), 1);
  ExpectEveryFrameAccounted(m, frames.size());

  // The announcement (sent at the first poll, before any frame is read), then the answer.
  const std::vector<std::vector<uint8_t>> sent = ReadPcap(out);
  ASSERT_EQ(sent.size(), 2u);
  const std::vector<uint8_t>& na = sent[0];
  ASSERT_EQ(na.size(), 14u + 40 + 32);
  EXPECT_EQ(std::vector<uint8_t>(na.begin(), na.begin() + 6),
            (std::vector<uint8_t>{0x33, 0x33, 0, 0, 0, 1}));
  EXPECT_EQ(na[14 + 7], 255) << "hop limit";
  EXPECT_EQ(na[14 + 40], 136) << "Neighbor Advertisement";
  EXPECT_EQ(na[14 + 40 + 4], 0x20) << "Override only";
  EXPECT_TRUE(std::equal(kService6.begin(), kService6.end(), na.begin() + 14 + 40 + 8));
  EXPECT_TRUE(std::equal(na.begin() + 6, na.begin() + 12, na.begin() + 14 + 40 + 26))
      << "the option carries the port's MAC";
  // ICMPv6 checksum over the pseudo-header (addresses, length 32, next header 58).
  std::vector<uint8_t> summed(na.begin() + 14 + 8, na.begin() + 14 + 40);
  summed.insert(summed.end(), {0, 0, 0, 32, 0, 0, 0, 58});
  summed.insert(summed.end(), na.begin() + 14 + 40, na.end());
  EXPECT_EQ(OnesSum(summed.data(), summed.size()), 0xffff);

  int status = 0;
  const std::vector<std::string> lines = VerifyWithScapy(out, &status);
  EXPECT_EQ(status, 0) << absl::StrJoin(lines, "\n");
  ASSERT_EQ(lines.size(), 2u) << absl::StrJoin(lines, "\n");
  const std::string node_mac =
      absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", na[6], na[7], na[8], na[9], na[10], na[11]);
  EXPECT_EQ(lines[0],
            "ndp-na ethdst=33:33:00:00:00:01 src=2001:db8::50 dst=ff02::1 "
            "hlim=255 tgt=2001:db8::50 R=0 S=0 O=1 lladdr=" +
                node_mac);
  EXPECT_EQ(lines[1],
            "ndp-na ethdst=02:00:00:00:00:09 src=2001:db8::50 dst=2001:db8::1 "
            "hlim=255 tgt=2001:db8::50 R=0 S=1 O=1 lladdr=" +
                node_mac);
}

// The standby side of the service address. ingestd with --control_socket starts standby
// and stays so until controld assigns it active; here no controld listens, so it stays
// standby throughout. It must announce nothing and answer nothing for the service
// address (ARP, NS, ping, ping6) while answering ARP and NS for its own addresses. Run
// with an IPv4 and an IPv6 service address; the active counterparts are the tests above.
class StandbyTest : public ::testing::TestWithParam<const char*> {};

TEST_P(StandbyTest, StandbyIsSilentForTheServiceAddressOnly) {
  const std::string dir = testing::TestTempDir();
  const std::string tag = std::string("l2sb") + (GetParam()[0] == '2' ? "6" : "4");
  std::vector<std::vector<uint8_t>> frames = {
      pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, {192, 0, 2, 50}),  // service v4
      Solicit(kPeer6, kService6),                                           // service v6
      Ping({192, 0, 2, 50}),
      Ping6(kService6),
      pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, {192, 0, 2, 10}),  // the node's own
      Solicit(kPeer6, kNode6),                                              // the node's own
  };
  const std::string in = dir + "/" + tag + "-in.pcap";
  const std::string out = dir + "/" + tag + "-out.pcap";
  ASSERT_TRUE(pcapgen::WritePcapFile(in, frames).ok());
  const std::string config = dir + "/" + tag + ".yaml";
  WriteServiceConfig(config, tag, in, out, "[192.0.2.10, '2001:db8::10']");
  // No controld listens on the socket: the node stays standby throughout.
  absl::StatusOr<std::vector<testing::Sample>> run =
      RunNode(config,
              {std::string("--service_ip=") + GetParam(),
               "--control_socket=" + dir + "/" + tag + "-nobody.sock"},
              0, frames.size());
  ASSERT_TRUE(run.ok()) << run.status();
  const std::vector<testing::Sample>& m = *run;

  EXPECT_EQ(testing::SumSamples(m, "firehose_role", {{"role", "standby"}}), 1)
      << "the node must have been standby";
  EXPECT_EQ(testing::SumSamples(m, "firehose_gratuitous_arps_sent_total"), 0);
  EXPECT_EQ(testing::SumSamples(m, "firehose_unsolicited_neighbor_advertisements_sent_total"), 0);
  auto answered = [&](const std::string& kind) {
    return testing::SumSamples(m, "firehose_rx_answered_packets_total", {{"kind", kind}});
  };
  EXPECT_EQ(answered("arp"), 1) << "only the node's own address";
  EXPECT_EQ(answered("ndp"), 1) << "only the node's own address";
  EXPECT_EQ(answered("icmp_echo"), 0);
  EXPECT_EQ(answered("icmpv6_echo"), 0);
  ExpectEveryFrameAccounted(m, frames.size());

  // On the wire: exactly the two answers for the node's own addresses.
  int status = 0;
  const std::vector<std::string> lines = VerifyWithScapy(out, &status);
  EXPECT_EQ(status, 0) << absl::StrJoin(lines, "\n");
  ASSERT_EQ(lines.size(), 2u) << absl::StrJoin(lines, "\n");
  using ::testing::HasSubstr;
  using ::testing::StartsWith;
  EXPECT_THAT(lines[0], StartsWith("arp-reply psrc=192.0.2.10 "));
  EXPECT_THAT(lines[1], StartsWith("ndp-na ethdst=02:00:00:00:00:09 src=2001:db8::10 "));
  EXPECT_THAT(lines[1], HasSubstr(" S=1 O=1 "));
}

INSTANTIATE_TEST_SUITE_P(ServiceAddressFamilies, StandbyTest,
                         ::testing::Values("192.0.2.50", "2001:db8::50"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param[0] == '2' ? "Ipv6" : "Ipv4");
                         });

}  // namespace
}  // namespace firehose
