// ingestd as a host on its segment: with an address configured on a net_pcap port, the
// worker answers ARP requests and ICMP echo requests for that address through the
// port's TX queue (captured with tx_pcap=), stays silent for other addresses, keeps
// decoding statsd, and /metrics accounts for every frame:
// received = delivered + answered + named drops.
#include <pcap/pcap.h>
#include <signal.h>

#include <fstream>
#include <string>
#include <vector>

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

TEST(L2CitizenshipTest, AnswersArpAndPingForItsAddressOnly) {
  const std::string dir = testing::TestTempDir();
  std::vector<std::vector<uint8_t>> frames = {
      pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, {192, 0, 2, 10}),  // ours
      pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, {192, 0, 2, 77}),  // not ours
      Ping({192, 0, 2, 10}),                                                 // ours
      Ping({192, 0, 2, 77}),                                                 // not ours
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
                        << "\n    addresses: [192.0.2.10]\n"
                        << "grpc:\n  listen: 127.0.0.1:0\n"
                        << "metrics:\n  listen: 127.0.0.1:0\n";
  absl::StatusOr<testing::IngestdProcess> node =
      testing::StartIngestd("node/ingestd", config, {"--wait_for_subscribers=1"});
  ASSERT_TRUE(node.ok()) << node.status();
  testing::RecordCollector collector(node->grpc_address);
  ASSERT_TRUE(collector.WaitForRecords(1, absl::Seconds(20)));  // every frame before it is done
  absl::StatusOr<std::string> page = testing::HttpGet(node->metrics_address, "/metrics");
  ASSERT_TRUE(page.ok()) << page.status();
  const std::vector<testing::Sample> m = testing::ParsePrometheusText(*page);
  node->process.Signal(SIGTERM);
  absl::StatusOr<int> exit_code = node->process.Wait(absl::Seconds(20));
  ASSERT_TRUE(exit_code.ok());
  EXPECT_EQ(*exit_code, 0);

  EXPECT_EQ(testing::SumSamples(m, "firehose_rx_answered_packets_total", {{"kind", "arp"}}), 1);
  EXPECT_EQ(testing::SumSamples(m, "firehose_rx_answered_packets_total", {{"kind", "icmp_echo"}}),
            1);
  const double received = testing::SumSamples(m, "firehose_rx_packets_total");
  EXPECT_EQ(received, frames.size());
  EXPECT_EQ(received, testing::SumSamples(m, "firehose_rx_delivered_packets_total") +
                          testing::SumSamples(m, "firehose_rx_answered_packets_total") +
                          testing::SumSamples(m, "firehose_rx_dropped_packets_total"));
  EXPECT_EQ(testing::SumSamples(m, "firehose_rx_dropped_packets_total", {{"reason", "not_ip"}}), 1);
  EXPECT_EQ(testing::SumSamples(m, "firehose_rx_dropped_packets_total", {{"reason", "not_udp"}}),
            1);

  // Exactly two frames left the node: the ARP reply and the echo reply, to the peer.
  const std::vector<std::vector<uint8_t>> sent = ReadPcap(out);
  ASSERT_EQ(sent.size(), 2u);
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
  EXPECT_EQ(pong[23], 1);       // ICMP
  EXPECT_EQ(pong[34], 0);       // echo reply
  EXPECT_EQ(OnesSum(pong.data() + 14, 20), 0xffff);
  EXPECT_EQ(OnesSum(pong.data() + 34, 10), 0xffff);
  EXPECT_EQ(std::vector<uint8_t>(pong.begin() + 30, pong.begin() + 34),
            (std::vector<uint8_t>{192, 0, 2, 1}));
}

}  // namespace
}  // namespace firehose
