// Tests that ARP requests and ICMP echo requests for the node's addresses become valid
// replies in place, that everything else is left alone, and the gratuitous ARP layout.
#include "node/net/l2_responder.h"

#include <arpa/inet.h>

#include <vector>

#include "gtest/gtest.h"
#include "tools/pcapgen/frame_builder.h"

namespace firehose::net {
namespace {

using pcapgen::FrameBuilder;

constexpr std::array<uint8_t, 6> kNodeMac = {0x02, 0xfe, 0, 0, 0, 0x01};
constexpr std::array<uint8_t, 6> kPeerMac = {0x02, 0, 0, 0, 0, 0x09};

HostIdentity Node() {
  HostIdentity host;
  host.mac = kNodeMac;
  host.ipv4[0] = inet_addr("192.0.2.10");
  host.ipv4[1] = inet_addr("192.0.2.11");
  host.ipv4_count = 2;
  return host;
}

uint16_t Sum(const uint8_t* data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (len & 1) sum += static_cast<uint32_t>(data[len - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

TEST(L2ResponderTest, AnswersArpRequestForOurAddress) {
  std::vector<uint8_t> frame =
      pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, {192, 0, 2, 11});
  ASSERT_EQ(AnswerInPlace(frame.data(), frame.size(), Node()), Reply::kArp);
  EXPECT_TRUE(std::equal(kPeerMac.begin(), kPeerMac.end(), frame.begin()));       // to requester
  EXPECT_TRUE(std::equal(kNodeMac.begin(), kNodeMac.end(), frame.begin() + 6));   // from us
  const uint8_t* arp = frame.data() + 14;
  EXPECT_EQ(arp[7], 2);  // oper = reply
  EXPECT_TRUE(std::equal(kNodeMac.begin(), kNodeMac.end(), arp + 8));
  EXPECT_EQ(std::vector<uint8_t>(arp + 14, arp + 18), (std::vector<uint8_t>{192, 0, 2, 11}));
  EXPECT_TRUE(std::equal(kPeerMac.begin(), kPeerMac.end(), arp + 18));
  EXPECT_EQ(std::vector<uint8_t>(arp + 24, arp + 28), (std::vector<uint8_t>{192, 0, 2, 1}));
}

TEST(L2ResponderTest, IgnoresArpForOthersAndNonRequests) {
  std::vector<uint8_t> other = pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, {192, 0, 2, 99});
  const std::vector<uint8_t> before = other;
  EXPECT_EQ(AnswerInPlace(other.data(), other.size(), Node()), Reply::kNone);
  EXPECT_EQ(other, before);
  HostIdentity silent = Node();
  silent.ipv4_count = 0;  // a standby owns no address: it must stay silent
  std::vector<uint8_t> ours = pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, {192, 0, 2, 10});
  EXPECT_EQ(AnswerInPlace(ours.data(), ours.size(), silent), Reply::kNone);
}

TEST(L2ResponderTest, AnswersIcmpEchoWithValidChecksums) {
  const std::vector<uint8_t> echo = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
  std::vector<uint8_t> icmp = echo;
  const uint16_t checksum = static_cast<uint16_t>(~Sum(icmp.data(), icmp.size()));
  icmp[2] = static_cast<uint8_t>(checksum >> 8);
  icmp[3] = static_cast<uint8_t>(checksum);
  // FrameBuilder writes UDP; cut its 8-byte header out and fix the IPv4 header.
  std::vector<uint8_t> frame = FrameBuilder()
                                   .SourceMac(kPeerMac)
                                   .Vlan(7)
                                   .Ipv4({192, 0, 2, 1}, {192, 0, 2, 10})
                                   .IpProtocol(pcapgen::kIpProtoIcmp)
                                   .Payload(std::span<const uint8_t>(icmp))
                                   .EthernetPadding(0)
                                   .Build();
  frame.erase(frame.begin() + 18 + 20, frame.begin() + 18 + 28);
  const uint16_t total = static_cast<uint16_t>(20 + icmp.size());
  frame[18 + 2] = static_cast<uint8_t>(total >> 8);
  frame[18 + 3] = static_cast<uint8_t>(total);
  frame[18 + 10] = frame[18 + 11] = 0;
  const uint16_t ip_checksum = static_cast<uint16_t>(~Sum(frame.data() + 18, 20));
  frame[18 + 10] = static_cast<uint8_t>(ip_checksum >> 8);
  frame[18 + 11] = static_cast<uint8_t>(ip_checksum);
  ASSERT_EQ(AnswerInPlace(frame.data(), frame.size(), Node()), Reply::kIcmpEcho);
  const uint8_t* ip = frame.data() + 18;  // after one VLAN tag, which is kept
  EXPECT_EQ(frame[12], 0x81);
  EXPECT_EQ(std::vector<uint8_t>(ip + 12, ip + 16), (std::vector<uint8_t>{192, 0, 2, 10}));
  EXPECT_EQ(std::vector<uint8_t>(ip + 16, ip + 20), (std::vector<uint8_t>{192, 0, 2, 1}));
  EXPECT_EQ(Sum(ip, 20), 0xffff) << "IPv4 header checksum";
  const uint8_t* reply = ip + 20;
  EXPECT_EQ(reply[0], 0);  // echo reply
  EXPECT_EQ(Sum(reply, icmp.size()), 0xffff) << "ICMP checksum";
  EXPECT_EQ(std::vector<uint8_t>(reply + 4, reply + icmp.size()),
            std::vector<uint8_t>(echo.begin() + 4, echo.end()));
}

TEST(L2ResponderTest, LeavesUdpAndTruncatedFramesAlone) {
  std::vector<uint8_t> udp = FrameBuilder().Ipv4({192, 0, 2, 1}, {192, 0, 2, 10}).Build();
  EXPECT_EQ(AnswerInPlace(udp.data(), udp.size(), Node()), Reply::kNone);
  std::vector<uint8_t> arp = pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, {192, 0, 2, 10});
  for (size_t cut = 0; cut < 14 + 28; ++cut) {
    std::vector<uint8_t> truncated(arp.begin(), arp.begin() + cut);
    EXPECT_EQ(AnswerInPlace(truncated.data(), truncated.size(), Node()), Reply::kNone) << cut;
  }
}

TEST(L2ResponderTest, GratuitousArpAnnouncesTheAddress) {
  uint8_t frame[kGratuitousArpLen];
  ASSERT_EQ(BuildGratuitousArp(frame, kNodeMac, inet_addr("192.0.2.10")), kGratuitousArpLen);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(frame[i], 0xff);
  EXPECT_EQ(frame[12], 0x08);
  EXPECT_EQ(frame[13], 0x06);
  const uint8_t* arp = frame + 14;
  EXPECT_EQ(std::vector<uint8_t>(arp + 14, arp + 18), (std::vector<uint8_t>{192, 0, 2, 10}));
  EXPECT_EQ(std::vector<uint8_t>(arp + 24, arp + 28), (std::vector<uint8_t>{192, 0, 2, 10}));
  // Our own responder must not answer our announcement (target is ourselves, but the
  // sender is too: a gratuitous ARP is not a question).
  HostIdentity host = Node();
  EXPECT_EQ(AnswerInPlace(frame, sizeof(frame), host), Reply::kNone);
}

}  // namespace
}  // namespace firehose::net
