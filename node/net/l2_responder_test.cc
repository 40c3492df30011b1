// Tests that ARP requests, ICMP/ICMPv6 echo requests and IPv6 Neighbor Solicitations for
// the node's addresses become valid replies in place, that everything else is left
// alone, and the layouts of the announcements (gratuitous ARP, unsolicited Neighbor
// Advertisement). ICMPv6 fixtures are built here byte by byte and
// checked with an independent RFC 1071 sum (pcapgen::InternetChecksum).
#include "node/net/l2_responder.h"

#include <arpa/inet.h>

#include <string>
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
  EXPECT_TRUE(host.AddAddress("192.0.2.10"));
  EXPECT_TRUE(host.AddAddress("192.0.2.11"));
  EXPECT_TRUE(host.AddAddress("2001:db8::10"));
  return host;
}

using Ip6 = std::array<uint8_t, 16>;
const Ip6 kNode6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
const Ip6 kPeer6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
const Ip6 kOther6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x77};
// Solicited-node multicast address of kNode6 (ff02::1:ff00:10), where an NS is sent.
const Ip6 kSolicitedNode = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0x10};
const Ip6 kUnspecified = {};

// ICMPv6 checksum per RFC 8200 §8.1, computed from 16-bit words without checksum.cc.
uint16_t Icmpv6Checksum(const Ip6& source, const Ip6& destination,
                        const std::vector<uint8_t>& icmp) {
  uint32_t pseudo = 0;
  for (int i = 0; i < 16; i += 2) {
    pseudo += static_cast<uint32_t>(source[i] << 8 | source[i + 1]);
    pseudo += static_cast<uint32_t>(destination[i] << 8 | destination[i + 1]);
  }
  pseudo += static_cast<uint32_t>(icmp.size()) + 58;
  return pcapgen::InternetChecksum(icmp, pseudo);
}

// An Ethernet (optionally 802.1Q-tagged) IPv6 frame carrying `icmp`, checksum filled in.
std::vector<uint8_t> Icmpv6Frame(const Ip6& source, const Ip6& destination, uint8_t hop_limit,
                                 std::vector<uint8_t> icmp, bool tagged = false) {
  icmp[2] = icmp[3] = 0;
  const uint16_t checksum = Icmpv6Checksum(source, destination, icmp);
  icmp[2] = static_cast<uint8_t>(checksum >> 8);
  icmp[3] = static_cast<uint8_t>(checksum);
  std::vector<uint8_t> frame = {0x33, 0x33, 0xff, 0, 0, 0x10};
  frame.insert(frame.end(), kPeerMac.begin(), kPeerMac.end());
  if (tagged) frame.insert(frame.end(), {0x81, 0x00, 0x00, 0x07});
  frame.insert(frame.end(), {0x86, 0xdd, 0x60, 0, 0, 0});
  frame.push_back(static_cast<uint8_t>(icmp.size() >> 8));
  frame.push_back(static_cast<uint8_t>(icmp.size()));
  frame.push_back(58);
  frame.push_back(hop_limit);
  frame.insert(frame.end(), source.begin(), source.end());
  frame.insert(frame.end(), destination.begin(), destination.end());
  frame.insert(frame.end(), icmp.begin(), icmp.end());
  return frame;
}

// A Neighbor Solicitation for `target`, with a Source Link-Layer Address option unless
// the source is unspecified (duplicate address detection).
std::vector<uint8_t> Solicitation(const Ip6& source, const Ip6& target, uint8_t hop = 255) {
  std::vector<uint8_t> icmp = {135, 0, 0, 0, 0, 0, 0, 0};
  icmp.insert(icmp.end(), target.begin(), target.end());
  if (source != kUnspecified) {
    icmp.insert(icmp.end(), {1, 1});
    icmp.insert(icmp.end(), kPeerMac.begin(), kPeerMac.end());
  }
  return Icmpv6Frame(source, kSolicitedNode, hop, icmp);
}

Ip6 Address(const uint8_t* p) {
  Ip6 address;
  std::copy(p, p + 16, address.begin());
  return address;
}

// Checks the ICMPv6 checksum of the IPv6 packet at `ip` with the reference sum.
bool Icmpv6ChecksumOk(const uint8_t* ip) {
  const size_t len = static_cast<size_t>(ip[4] << 8 | ip[5]);
  std::vector<uint8_t> icmp(ip + 40, ip + 40 + len);
  uint32_t pseudo = 0;
  for (int i = 8; i < 40; i += 2) pseudo += static_cast<uint32_t>(ip[i] << 8 | ip[i + 1]);
  pseudo += static_cast<uint32_t>(len) + 58;
  return pcapgen::InternetChecksum(icmp, pseudo) == 0;
}

uint16_t Sum(const uint8_t* data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (len & 1) sum += static_cast<uint32_t>(data[len - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

TEST(L2ResponderTest, AnswersArpRequestForOurAddress) {
  std::vector<uint8_t> frame = pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, {192, 0, 2, 11});
  ASSERT_EQ(AnswerInPlace(frame.data(), frame.size(), Node()), Reply::kArp);
  EXPECT_TRUE(std::equal(kPeerMac.begin(), kPeerMac.end(), frame.begin()));      // to requester
  EXPECT_TRUE(std::equal(kNodeMac.begin(), kNodeMac.end(), frame.begin() + 6));  // from us
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

TEST(L2ResponderTest, AnswersIcmpv6EchoWithValidChecksum) {
  const std::vector<uint8_t> echo = {128, 0, 0, 0, 0x12, 0x34, 0, 9, 'p', 'i', 'n', 'g', '6'};
  std::vector<uint8_t> frame = Icmpv6Frame(kPeer6, kNode6, 64, echo, /*tagged=*/true);
  std::copy(kNodeMac.begin(), kNodeMac.end(), frame.begin());
  uint32_t len = static_cast<uint32_t>(frame.size());
  ASSERT_EQ(AnswerInPlace(frame.data(), &len, len, Node()), Reply::kIcmpv6Echo);
  EXPECT_EQ(len, frame.size());
  EXPECT_TRUE(std::equal(kPeerMac.begin(), kPeerMac.end(), frame.begin()));
  EXPECT_TRUE(std::equal(kNodeMac.begin(), kNodeMac.end(), frame.begin() + 6));
  EXPECT_EQ(frame[12], 0x81);  // the VLAN tag is kept
  const uint8_t* ip = frame.data() + 18;
  EXPECT_EQ(Address(ip + 8), kNode6);
  EXPECT_EQ(Address(ip + 24), kPeer6);
  EXPECT_EQ(ip[40], 129);  // echo reply
  EXPECT_TRUE(Icmpv6ChecksumOk(ip));
  EXPECT_EQ(std::vector<uint8_t>(ip + 44, ip + 40 + echo.size()),
            std::vector<uint8_t>(echo.begin() + 4, echo.end()));
}

TEST(L2ResponderTest, IgnoresIcmpv6EchoForOthersOrWithBadChecksum) {
  const std::vector<uint8_t> echo = {128, 0, 0, 0, 0, 1, 0, 1};
  std::vector<uint8_t> other = Icmpv6Frame(kPeer6, kOther6, 64, echo);
  const std::vector<uint8_t> before = other;
  EXPECT_EQ(AnswerInPlace(other.data(), other.size(), Node()), Reply::kNone);
  EXPECT_EQ(other, before);
  std::vector<uint8_t> corrupt = Icmpv6Frame(kPeer6, kNode6, 64, echo);
  corrupt.back() ^= 1;
  EXPECT_EQ(AnswerInPlace(corrupt.data(), corrupt.size(), Node()), Reply::kNone);
  HostIdentity v4_only = Node();
  v4_only.ipv6_count = 0;
  std::vector<uint8_t> ours = Icmpv6Frame(kPeer6, kNode6, 64, echo);
  EXPECT_EQ(AnswerInPlace(ours.data(), ours.size(), v4_only), Reply::kNone);
}

TEST(L2ResponderTest, AnswersNeighborSolicitationWithAdvertisement) {
  std::vector<uint8_t> frame = Solicitation(kPeer6, kNode6);
  uint32_t len = static_cast<uint32_t>(frame.size());
  ASSERT_EQ(len, 14u + 40 + 32);
  ASSERT_EQ(AnswerInPlace(frame.data(), &len, len, Node()), Reply::kNdp);
  ASSERT_EQ(len, 14u + 40 + 32);
  EXPECT_TRUE(std::equal(kPeerMac.begin(), kPeerMac.end(), frame.begin()));
  EXPECT_TRUE(std::equal(kNodeMac.begin(), kNodeMac.end(), frame.begin() + 6));
  const uint8_t* ip = frame.data() + 14;
  EXPECT_EQ(ip[0] >> 4, 6);
  EXPECT_EQ(ip[4] << 8 | ip[5], 32);
  EXPECT_EQ(ip[7], 255);  // hop limit 255, or the neighbour discards it
  EXPECT_EQ(Address(ip + 8), kNode6);
  EXPECT_EQ(Address(ip + 24), kPeer6);
  const uint8_t* na = ip + 40;
  EXPECT_EQ(na[0], 136);
  EXPECT_EQ(na[1], 0);
  EXPECT_EQ(na[4], 0x60);  // solicited + override, not a router
  EXPECT_EQ(Address(na + 8), kNode6);
  EXPECT_EQ(na[24], 2);  // target link-layer address option
  EXPECT_EQ(na[25], 1);
  EXPECT_TRUE(std::equal(kNodeMac.begin(), kNodeMac.end(), na + 26));
  EXPECT_TRUE(Icmpv6ChecksumOk(ip));
}

TEST(L2ResponderTest, DefendsAddressAgainstDuplicateAddressDetection) {
  // A DAD probe has no options: the advertisement is 8 bytes longer than the probe.
  std::vector<uint8_t> frame = Solicitation(kUnspecified, kNode6);
  const uint32_t received = static_cast<uint32_t>(frame.size());
  ASSERT_EQ(AnswerInPlace(frame.data(), received, Node()), Reply::kNone) << "no room";
  frame.resize(received + 64);
  uint32_t len = received;
  ASSERT_EQ(AnswerInPlace(frame.data(), &len, static_cast<uint32_t>(frame.size()), Node()),
            Reply::kNdp);
  EXPECT_EQ(len, received + 8);
  const std::vector<uint8_t> all_nodes_mac = {0x33, 0x33, 0, 0, 0, 1};
  EXPECT_EQ(std::vector<uint8_t>(frame.begin(), frame.begin() + 6), all_nodes_mac);
  const uint8_t* ip = frame.data() + 14;
  const Ip6 all_nodes = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(Address(ip + 24), all_nodes);
  EXPECT_EQ(ip[40 + 4], 0x20);  // override only: nobody solicited it
  EXPECT_TRUE(Icmpv6ChecksumOk(ip));
}

TEST(L2ResponderTest, IgnoresInvalidOrForeignSolicitations) {
  const HostIdentity node = Node();
  std::vector<uint8_t> foreign = Solicitation(kPeer6, kOther6);
  EXPECT_EQ(AnswerInPlace(foreign.data(), foreign.size(), node), Reply::kNone);
  std::vector<uint8_t> routed = Solicitation(kPeer6, kNode6, /*hop=*/64);  // not on-link
  EXPECT_EQ(AnswerInPlace(routed.data(), routed.size(), node), Reply::kNone);
  std::vector<uint8_t> corrupt = Solicitation(kPeer6, kNode6);
  corrupt[14 + 40 + 20] ^= 0x80;
  EXPECT_EQ(AnswerInPlace(corrupt.data(), corrupt.size(), node), Reply::kNone);
  std::vector<uint8_t> good = Solicitation(kPeer6, kNode6);
  for (size_t cut = 0; cut < good.size(); ++cut) {
    std::vector<uint8_t> truncated(good.begin(), good.begin() + cut);
    EXPECT_EQ(AnswerInPlace(truncated.data(), truncated.size(), node), Reply::kNone) << cut;
  }
}

TEST(L2ResponderTest, AddAddressTakesBothFamiliesAndRejectsTheRest) {
  HostIdentity host;
  EXPECT_TRUE(host.empty());
  EXPECT_TRUE(host.AddAddress("fe80::1"));
  EXPECT_FALSE(host.AddAddress("not-an-address"));
  EXPECT_FALSE(host.AddAddress("192.0.2.300"));
  EXPECT_EQ(host.ipv6_count, 1);
  EXPECT_EQ(host.ipv4_count, 0);
  for (int i = 1; i < kMaxHostAddresses; ++i)
    EXPECT_TRUE(host.AddAddress("fe80::" + std::to_string(i + 1)));
  EXPECT_FALSE(host.AddAddress("fe80::99"));
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

TEST(L2ResponderTest, UnsolicitedNeighborAdvertisementAnnouncesTheAddress) {
  std::vector<uint8_t> frame(kUnsolicitedNeighborAdvertisementLen, 0xee);
  ASSERT_EQ(BuildUnsolicitedNeighborAdvertisement(frame.data(), kNodeMac, kNode6),
            kUnsolicitedNeighborAdvertisementLen);
  const std::vector<uint8_t> all_nodes_mac = {0x33, 0x33, 0, 0, 0, 1};
  EXPECT_EQ(std::vector<uint8_t>(frame.begin(), frame.begin() + 6), all_nodes_mac);
  EXPECT_TRUE(std::equal(kNodeMac.begin(), kNodeMac.end(), frame.begin() + 6));
  EXPECT_EQ(frame[12], 0x86);
  EXPECT_EQ(frame[13], 0xdd);
  const uint8_t* ip = frame.data() + 14;
  EXPECT_EQ(ip[0], 0x60);
  EXPECT_EQ(ip[1] | ip[2] | ip[3], 0) << "traffic class and flow label";
  EXPECT_EQ(ip[4] << 8 | ip[5], 32);
  EXPECT_EQ(ip[6], 58);
  EXPECT_EQ(ip[7], 255) << "RFC 4861 7.1.2: receivers drop an NA with another hop limit";
  EXPECT_EQ(Address(ip + 8), kNode6) << "source: the announced address";
  const Ip6 all_nodes = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(Address(ip + 24), all_nodes);
  const uint8_t* na = ip + 40;
  EXPECT_EQ(na[0], 136);
  EXPECT_EQ(na[1], 0);
  EXPECT_EQ(na[4], 0x20) << "Override set; Solicited and Router clear";
  EXPECT_EQ(na[5] | na[6] | na[7], 0);
  EXPECT_EQ(Address(na + 8), kNode6);
  EXPECT_EQ(na[24], 2);  // Target Link-Layer Address
  EXPECT_EQ(na[25], 1);
  EXPECT_TRUE(std::equal(kNodeMac.begin(), kNodeMac.end(), na + 26));
  EXPECT_TRUE(Icmpv6ChecksumOk(ip));
  // The reference check must be able to fail: one flipped bit of the target.
  std::vector<uint8_t> corrupt = frame;
  corrupt[14 + 40 + 23] ^= 0x01;
  EXPECT_FALSE(Icmpv6ChecksumOk(corrupt.data() + 14));
  // An advertisement is not a question: our own responder leaves it alone.
  EXPECT_EQ(AnswerInPlace(frame.data(), static_cast<uint32_t>(frame.size()), Node()), Reply::kNone);
}

}  // namespace
}  // namespace firehose::net
