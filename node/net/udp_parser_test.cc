// Tests for ParseUdpFrame: accepted encapsulations with exact payload, address and
// port checks, and one or more frames for every drop reason. Frames come from
// //tools/pcapgen:frame_builder so each test states how its frame differs from a
// valid one.
#include "node/net/udp_parser.h"

#include <cstring>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/pcapgen/frame_builder.h"

namespace firehose::net {

// Lets gtest print drop reasons by name in failure messages.
void PrintTo(ParseDrop drop, std::ostream* os) { *os << ParseDropName(drop); }

namespace {

using ::firehose::pcapgen::BuildArpRequest;
using ::firehose::pcapgen::FrameBuilder;
using ::firehose::pcapgen::Ipv6Address;

constexpr char kPayload[] = "api.requests:1|c|#env:prod";

struct Parsed {
  std::optional<ParseDrop> drop;
  UdpDatagram datagram;
  PacketMeta meta;
  std::string payload;  // copy of the payload view, valid after the frame is gone
};

// Parses a heap copy of exactly frame.size() bytes, so AddressSanitizer flags any read
// past the end.
Parsed Parse(const std::vector<uint8_t>& frame) {
  auto copy = std::make_unique<uint8_t[]>(frame.size() + 1);  // +1: size 0 is valid
  if (!frame.empty()) std::memcpy(copy.get(), frame.data(), frame.size());
  Parsed parsed;
  parsed.meta.receive_unix_nanos = 1234;
  parsed.drop = ParseUdpFrame(copy.get(), static_cast<uint32_t>(frame.size()),
                              &parsed.datagram, &parsed.meta);
  if (!parsed.drop.has_value()) {
    EXPECT_GE(parsed.datagram.payload, copy.get());
    EXPECT_LE(parsed.datagram.payload + parsed.datagram.payload_len,
              copy.get() + frame.size());
    parsed.payload.assign(reinterpret_cast<const char*>(parsed.datagram.payload),
                          parsed.datagram.payload_len);
  }
  return parsed;
}

std::optional<ParseDrop> DropOf(const std::vector<uint8_t>& frame) {
  return Parse(frame).drop;
}

std::vector<uint8_t> SourceAddress(const PacketMeta& meta) {
  return std::vector<uint8_t>(meta.source_address,
                              meta.source_address + meta.source_address_len);
}

TEST(UdpParserTest, ParsesPlainIpv4) {
  Parsed p = Parse(FrameBuilder()
                       .Ipv4({192, 168, 7, 9}, {10, 0, 1, 1})
                       .Ports(40123, 8125)
                       .Payload(kPayload)
                       .Build());
  ASSERT_EQ(p.drop, std::nullopt);
  EXPECT_EQ(p.payload, kPayload);
  EXPECT_EQ(p.datagram.vlan_id, 0);
  EXPECT_EQ(p.meta.source_address_len, 4);
  EXPECT_EQ(SourceAddress(p.meta), (std::vector<uint8_t>{192, 168, 7, 9}));
  EXPECT_EQ(p.meta.source_port, 40123);
  EXPECT_EQ(p.meta.destination_port, 8125);
  EXPECT_EQ(p.meta.receive_unix_nanos, 1234);  // not the parser's business
}

TEST(UdpParserTest, PayloadComesFromUdpLengthNotEthernetPadding) {
  // A 1-byte payload makes a 43-byte frame, padded to 60 with non-zero bytes.
  std::vector<uint8_t> frame =
      FrameBuilder().Payload("x").EthernetPadding(60, 0xee).Build();
  ASSERT_EQ(frame.size(), 60u);
  Parsed p = Parse(frame);
  ASSERT_EQ(p.drop, std::nullopt);
  EXPECT_EQ(p.datagram.payload_len, 1);
  EXPECT_EQ(p.payload, "x");
}

TEST(UdpParserTest, IgnoresTrailingBytesBeyondIpTotalLength) {
  // Larger than the Ethernet minimum: trailing garbage after the IP packet.
  std::vector<uint8_t> frame =
      FrameBuilder().Payload(kPayload).EthernetPadding(200, 0x41).Build();
  ASSERT_EQ(frame.size(), 200u);
  Parsed p = Parse(frame);
  ASSERT_EQ(p.drop, std::nullopt);
  EXPECT_EQ(p.payload, kPayload);
}

TEST(UdpParserTest, UdpLengthShorterThanIpPayloadWins) {
  // UDP says 8 + 3 bytes although the IP packet carries the whole payload.
  Parsed p = Parse(FrameBuilder().Payload(kPayload).UdpLengthField(8 + 3).Build());
  ASSERT_EQ(p.drop, std::nullopt);
  EXPECT_EQ(p.payload, "api");
}

TEST(UdpParserTest, AcceptsEmptyPayload) {
  Parsed p = Parse(FrameBuilder().Payload("").Build());
  ASSERT_EQ(p.drop, std::nullopt);
  EXPECT_EQ(p.datagram.payload_len, 0);
}

TEST(UdpParserTest, AcceptsDontFragmentFlag) {
  Parsed p = Parse(FrameBuilder().DontFragment(true).Payload(kPayload).Build());
  ASSERT_EQ(p.drop, std::nullopt);
  EXPECT_EQ(p.payload, kPayload);
}

TEST(UdpParserTest, ParsesSingleVlanTagAndMasksPriorityBits) {
  // TCI 0xa064: PCP 5, DEI 0, VID 100.
  Parsed p = Parse(FrameBuilder().Vlan(0xa064).Ports(5000, 8125).Payload(kPayload).Build());
  ASSERT_EQ(p.drop, std::nullopt);
  EXPECT_EQ(p.datagram.vlan_id, 100);
  EXPECT_EQ(p.payload, kPayload);
  EXPECT_EQ(p.meta.source_port, 5000);
}

TEST(UdpParserTest, ParsesQinQAndReportsInnerVlan) {
  std::vector<uint8_t> frame = FrameBuilder().Vlan(300).Vlan(42).Payload(kPayload).Build();
  // Outer S-tag 0x88a8, inner C-tag 0x8100.
  ASSERT_EQ(frame[12], 0x88);
  ASSERT_EQ(frame[13], 0xa8);
  ASSERT_EQ(frame[16], 0x81);
  Parsed p = Parse(frame);
  ASSERT_EQ(p.drop, std::nullopt);
  EXPECT_EQ(p.datagram.vlan_id, 42);
  EXPECT_EQ(p.payload, kPayload);
}

TEST(UdpParserTest, ParsesStacked8100Tags) {
  Parsed p = Parse(FrameBuilder()
                       .Vlan(7)
                       .Vlan(8)
                       .OuterTagEtherType(0x8100)
                       .Payload(kPayload)
                       .Build());
  ASSERT_EQ(p.drop, std::nullopt);
  EXPECT_EQ(p.datagram.vlan_id, 8);
  EXPECT_EQ(p.payload, kPayload);
}

TEST(UdpParserTest, RejectsThreeVlanTags) {
  EXPECT_EQ(DropOf(FrameBuilder().Vlan(1).Vlan(2).Vlan(3).Payload(kPayload).Build()),
            ParseDrop::kNotIp);
}

TEST(UdpParserTest, ParsesIpv4WithOptions) {
  // Router Alert (4 bytes) + NOP + padding -> IHL 7.
  const uint8_t options[] = {0x94, 0x04, 0x00, 0x00, 0x01};
  std::vector<uint8_t> frame = FrameBuilder()
                                   .Ipv4Options(options)
                                   .Ipv4({172, 16, 0, 5}, {10, 0, 1, 1})
                                   .Ports(1111, 2222)
                                   .Payload(kPayload)
                                   .Build();
  ASSERT_EQ(frame[14] & 0x0f, 7);
  Parsed p = Parse(frame);
  ASSERT_EQ(p.drop, std::nullopt);
  EXPECT_EQ(p.payload, kPayload);
  EXPECT_EQ(SourceAddress(p.meta), (std::vector<uint8_t>{172, 16, 0, 5}));
  EXPECT_EQ(p.meta.source_port, 1111);
  EXPECT_EQ(p.meta.destination_port, 2222);
}

TEST(UdpParserTest, ParsesIpv6) {
  Ipv6Address source = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xef};
  Ipv6Address destination = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  Parsed p = Parse(FrameBuilder()
                       .Ipv6(source, destination)
                       .Ports(33333, 8125)
                       .Vlan(12)
                       .Payload(kPayload)
                       .Build());
  ASSERT_EQ(p.drop, std::nullopt);
  EXPECT_EQ(p.payload, kPayload);
  EXPECT_EQ(p.datagram.vlan_id, 12);
  ASSERT_EQ(p.meta.source_address_len, 16);
  EXPECT_EQ(0, std::memcmp(p.meta.source_address, source.data(), 16));
  EXPECT_EQ(p.meta.source_port, 33333);
  EXPECT_EQ(p.meta.destination_port, 8125);
}

TEST(UdpParserTest, ParsesPreStandard9100OuterTag) {
  std::vector<uint8_t> frame =
      FrameBuilder().Vlan(300).Vlan(43).OuterTagEtherType(0x9100).Payload(kPayload).Build();
  ASSERT_EQ(frame[12], 0x91);
  ASSERT_EQ(frame[13], 0x00);
  Parsed p = Parse(frame);
  ASSERT_EQ(p.drop, std::nullopt);
  EXPECT_EQ(p.datagram.vlan_id, 43);
  EXPECT_EQ(p.payload, kPayload);
}

TEST(UdpParserTest, ParsesUntaggedIpv6AndIpv6InQinQ) {
  const Ipv6Address source = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
  const std::vector<uint8_t> untagged =
      FrameBuilder().Ipv6(source, {0xff}).Ports(1000, 8125).Payload(kPayload).Build();
  Parsed plain = Parse(untagged);
  ASSERT_EQ(plain.drop, std::nullopt);
  EXPECT_EQ(plain.payload, kPayload);
  EXPECT_EQ(plain.datagram.vlan_id, 0);
  // The header pointers UDP checksum validation works from.
  EXPECT_EQ(plain.datagram.ip_version, 6);
  const std::vector<uint8_t> qinq =
      FrameBuilder().Vlan(100).Vlan(200).Ipv6(source, {0xff}).Payload(kPayload).Build();
  ASSERT_EQ(qinq[12], 0x88);
  ASSERT_EQ(qinq[13], 0xa8);
  UdpDatagram datagram;
  PacketMeta meta;
  ASSERT_EQ(ParseUdpFrame(qinq.data(), qinq.size(), &datagram, &meta), std::nullopt);
  EXPECT_EQ(datagram.vlan_id, 200);
  EXPECT_EQ(datagram.ip_version, 6);
  EXPECT_EQ(datagram.ip_header, qinq.data() + 14 + 8);
  EXPECT_EQ(datagram.udp_header, qinq.data() + 14 + 8 + 40);
  EXPECT_EQ(datagram.payload, qinq.data() + 14 + 8 + 48);
  EXPECT_EQ(0, std::memcmp(meta.source_address, source.data(), 16));
}

TEST(UdpParserTest, DropsTruncatedEthernet) {
  EXPECT_EQ(DropOf({}), ParseDrop::kTruncatedEthernet);
  EXPECT_EQ(DropOf(FrameBuilder().TruncateTo(13).Build()), ParseDrop::kTruncatedEthernet);
}

TEST(UdpParserTest, DropsNonIpEthertypes) {
  EXPECT_EQ(DropOf(BuildArpRequest({2, 0, 0, 0, 0, 9}, {10, 0, 0, 9}, {10, 0, 1, 1})),
            ParseDrop::kNotIp);
  EXPECT_EQ(DropOf(FrameBuilder().EtherType(0x88cc).Build()), ParseDrop::kNotIp);  // LLDP
  // Exactly the Ethernet header and nothing else: still classified by ethertype.
  EXPECT_EQ(DropOf(FrameBuilder().EtherType(0x0806).TruncateTo(14).Build()),
            ParseDrop::kNotIp);
}

TEST(UdpParserTest, DropsTruncatedVlan) {
  EXPECT_EQ(DropOf(FrameBuilder().Vlan(5).TruncateTo(17).Build()),
            ParseDrop::kTruncatedVlan);
  EXPECT_EQ(DropOf(FrameBuilder().Vlan(5).Vlan(6).TruncateTo(21).Build()),
            ParseDrop::kTruncatedVlan);
}

TEST(UdpParserTest, DropsTruncatedIpHeader) {
  EXPECT_EQ(DropOf(FrameBuilder().TruncateTo(14 + 19).Build()),
            ParseDrop::kTruncatedIpHeader);
  // Options announced by IHL but cut off.
  const uint8_t options[] = {1, 1, 1, 1, 1, 1, 1, 1};
  EXPECT_EQ(DropOf(FrameBuilder().Ipv4Options(options).TruncateTo(14 + 24).Build()),
            ParseDrop::kTruncatedIpHeader);
  EXPECT_EQ(DropOf(FrameBuilder().Ipv6({}, {}).TruncateTo(14 + 39).Build()),
            ParseDrop::kTruncatedIpHeader);
}

TEST(UdpParserTest, DropsBadIpVersion) {
  EXPECT_EQ(DropOf(FrameBuilder().IpVersionField(6).Build()), ParseDrop::kBadIpVersion);
  EXPECT_EQ(DropOf(FrameBuilder().Ipv6({}, {}).IpVersionField(4).Build()),
            ParseDrop::kBadIpVersion);
}

TEST(UdpParserTest, DropsBadIpHeaderLength) {
  EXPECT_EQ(DropOf(FrameBuilder().Ipv4HeaderLengthField(4).Build()),
            ParseDrop::kBadIpHeaderLength);
  EXPECT_EQ(DropOf(FrameBuilder().Ipv4HeaderLengthField(0).Build()),
            ParseDrop::kBadIpHeaderLength);
}

TEST(UdpParserTest, DropsBadIpTotalLength) {
  const size_t ip_len = 20 + 8 + sizeof(kPayload) - 1;
  // One byte more than the frame holds (no padding, so nothing follows the packet).
  EXPECT_EQ(DropOf(FrameBuilder()
                       .Payload(kPayload)
                       .EthernetPadding(0)
                       .IpLengthField(static_cast<uint16_t>(ip_len + 1))
                       .Build()),
            ParseDrop::kBadIpTotalLength);
  // Shorter than the header itself.
  EXPECT_EQ(DropOf(FrameBuilder().Payload(kPayload).IpLengthField(19).Build()),
            ParseDrop::kBadIpTotalLength);
  // Frame cut inside the payload: total length now exceeds the frame.
  EXPECT_EQ(DropOf(FrameBuilder().Payload(kPayload).TruncateTo(14 + ip_len - 1).Build()),
            ParseDrop::kBadIpTotalLength);
  EXPECT_EQ(DropOf(FrameBuilder().Ipv6({}, {}).Payload(kPayload).IpLengthField(500).Build()),
            ParseDrop::kBadIpTotalLength);
}

TEST(UdpParserTest, DropsIpv4Fragments) {
  // First fragment: MF set, offset 0.
  EXPECT_EQ(DropOf(FrameBuilder().Fragment(true, 0).Payload(kPayload).Build()),
            ParseDrop::kIpFragment);
  // Middle fragment.
  EXPECT_EQ(DropOf(FrameBuilder().Fragment(true, 185).Payload(kPayload).Build()),
            ParseDrop::kIpFragment);
  // Last fragment: MF clear, offset != 0; its first bytes are not a UDP header.
  EXPECT_EQ(DropOf(FrameBuilder().Fragment(false, 1).Payload(kPayload).Build()),
            ParseDrop::kIpFragment);
  // A fragment of another protocol is still a fragment.
  EXPECT_EQ(DropOf(FrameBuilder().Fragment(true, 0).IpProtocol(1).Build()),
            ParseDrop::kIpFragment);
}

TEST(UdpParserTest, DropsIpv6ExtensionHeaders) {
  for (uint8_t next_header : {0, 43, 44, 60}) {
    EXPECT_EQ(DropOf(FrameBuilder().Ipv6({}, {}).IpProtocol(next_header).Build()),
              ParseDrop::kIpv6ExtensionHeader)
        << "next header " << int{next_header};
  }
}

TEST(UdpParserTest, DropsOtherIpProtocols) {
  EXPECT_EQ(DropOf(FrameBuilder().IpProtocol(pcapgen::kIpProtoIcmp).Build()),
            ParseDrop::kNotUdp);
  EXPECT_EQ(DropOf(FrameBuilder().IpProtocol(pcapgen::kIpProtoTcp).Build()),
            ParseDrop::kNotUdp);
  EXPECT_EQ(DropOf(FrameBuilder().Ipv6({}, {}).IpProtocol(58).Build()),  // ICMPv6
            ParseDrop::kNotUdp);
}

TEST(UdpParserTest, DropsTruncatedUdpHeader) {
  // IP total length leaves 7 bytes for UDP.
  EXPECT_EQ(DropOf(FrameBuilder().Payload(kPayload).IpLengthField(20 + 7).Build()),
            ParseDrop::kTruncatedUdpHeader);
  EXPECT_EQ(DropOf(FrameBuilder().Payload(kPayload).IpLengthField(20).Build()),
            ParseDrop::kTruncatedUdpHeader);
  EXPECT_EQ(DropOf(FrameBuilder().Ipv6({}, {}).Payload(kPayload).IpLengthField(7).Build()),
            ParseDrop::kTruncatedUdpHeader);
}

TEST(UdpParserTest, DropsBadUdpLength) {
  const uint16_t udp_len = 8 + sizeof(kPayload) - 1;
  EXPECT_EQ(DropOf(FrameBuilder().Payload(kPayload).UdpLengthField(7).Build()),
            ParseDrop::kBadUdpLength);
  EXPECT_EQ(DropOf(FrameBuilder().Payload(kPayload).UdpLengthField(0).Build()),
            ParseDrop::kBadUdpLength);
  // Longer than the IP payload, even though Ethernet padding would "cover" it.
  EXPECT_EQ(DropOf(FrameBuilder()
                       .Payload("ab")
                       .EthernetPadding(60)
                       .UdpLengthField(8 + 3)
                       .Build()),
            ParseDrop::kBadUdpLength);
  EXPECT_EQ(DropOf(FrameBuilder().Payload(kPayload).UdpLengthField(udp_len + 1).Build()),
            ParseDrop::kBadUdpLength);
  EXPECT_EQ(DropOf(FrameBuilder()
                       .Ipv6({}, {})
                       .Payload(kPayload)
                       .UdpLengthField(udp_len + 1)
                       .Build()),
            ParseDrop::kBadUdpLength);
}

TEST(UdpParserTest, DropLeavesOutputsUntouched) {
  UdpDatagram datagram;
  datagram.payload_len = 77;
  datagram.vlan_id = 9;
  PacketMeta meta;
  meta.source_address_len = 3;
  meta.source_address[0] = 0xab;
  meta.source_port = 11;
  meta.destination_port = 12;
  // Fails at the very last check, after the IP header and ports were readable.
  std::vector<uint8_t> frame =
      FrameBuilder().Ipv4({1, 2, 3, 4}, {5, 6, 7, 8}).UdpLengthField(3).Build();
  EXPECT_EQ(ParseUdpFrame(frame.data(), frame.size(), &datagram, &meta),
            ParseDrop::kBadUdpLength);
  EXPECT_EQ(datagram.payload, nullptr);
  EXPECT_EQ(datagram.payload_len, 77);
  EXPECT_EQ(datagram.vlan_id, 9);
  EXPECT_EQ(meta.source_address_len, 3);
  EXPECT_EQ(meta.source_address[0], 0xab);
  EXPECT_EQ(meta.source_port, 11);
  EXPECT_EQ(meta.destination_port, 12);
}

// Every prefix of a valid frame is either dropped or, once it holds the whole IP
// packet, parsed to the same payload. Catches off-by-one bounds checks.
TEST(UdpParserTest, EveryTruncationIsSafe) {
  for (bool ipv6 : {false, true}) {
    FrameBuilder builder;
    builder.Vlan(10).Vlan(20).Payload(kPayload).EthernetPadding(0);
    if (ipv6) builder.Ipv6({1}, {2});
    std::vector<uint8_t> full = builder.Build();
    for (size_t len = 0; len <= full.size(); ++len) {
      std::vector<uint8_t> cut(full.begin(), full.begin() + len);
      Parsed p = Parse(cut);
      if (len == full.size()) {
        ASSERT_EQ(p.drop, std::nullopt);
        EXPECT_EQ(p.payload, kPayload);
      } else {
        EXPECT_NE(p.drop, std::nullopt) << "length " << len << " ipv6 " << ipv6;
      }
    }
  }
}

TEST(UdpParserTest, DropNamesAreUniqueSnakeCase) {
  std::set<std::string_view> names;
  for (int i = 0; i < kParseDropCount; ++i) {
    std::string_view name = ParseDropName(static_cast<ParseDrop>(i));
    EXPECT_NE(name, "unknown") << i;
    for (char c : name) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << name;
    }
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kParseDropCount));
  static_assert(ParseDropName(ParseDrop::kIpFragment) == "ip_fragment");
  static_assert(ParseDropName(ParseDrop::kNotIp) == "not_ip");
  EXPECT_EQ(ParseDropName(ParseDrop::kCount), "unknown");
}

}  // namespace
}  // namespace firehose::net
