// Tests the Internet checksum arithmetic against a plain RFC 1071 reference, and UDP
// checksum validation over IPv4 and IPv6: right, corrupted, and the two meanings of 0.
#include "node/net/checksum.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "node/net/udp_parser.h"
#include "tools/pcapgen/frame_builder.h"

namespace firehose::net {
namespace {

using pcapgen::FrameBuilder;

constexpr pcapgen::Ipv6Address kSource6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                           0,    0,    0,    0,    0, 0, 0, 0x10};
constexpr pcapgen::Ipv6Address kDestination6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                                0,    0,    0,    0,    0, 0, 0, 0x01};

UdpDatagram Parse(const std::vector<uint8_t>& frame) {
  UdpDatagram datagram;
  PacketMeta meta;
  EXPECT_FALSE(ParseUdpFrame(frame.data(), frame.size(), &datagram, &meta).has_value());
  return datagram;
}

TEST(ChecksumTest, PartialSumMatchesTheReferenceForEveryLength) {
  std::mt19937 random(7);
  std::vector<uint8_t> data(1600);
  for (uint8_t& byte : data) byte = static_cast<uint8_t>(random());
  for (uint32_t len = 0; len <= 1600; len += (len < 80 ? 1 : 37)) {
    const std::span<const uint8_t> span(data.data(), len);
    EXPECT_EQ(static_cast<uint16_t>(~FoldSum(PartialSum(data.data(), len, 0))),
              pcapgen::InternetChecksum(span))
        << len;
  }
}

TEST(ChecksumTest, AcceptsRightIpv4AndIpv6Checksums) {
  for (size_t len = 0; len < 100; ++len) {
    const std::string payload(len, static_cast<char>('a' + len % 26));
    std::vector<uint8_t> v4 = FrameBuilder().Payload(payload).Build();
    EXPECT_TRUE(UdpChecksumValid(Parse(v4))) << "IPv4, payload " << len;
    std::vector<uint8_t> v6 = FrameBuilder().Ipv6(kSource6, kDestination6).Payload(payload).Build();
    EXPECT_TRUE(UdpChecksumValid(Parse(v6))) << "IPv6, payload " << len;
  }
}

TEST(ChecksumTest, AcceptsTaggedFrames) {
  EXPECT_TRUE(UdpChecksumValid(Parse(FrameBuilder().Vlan(10).Vlan(20).Payload("x:1|c").Build())));
  EXPECT_TRUE(UdpChecksumValid(
      Parse(FrameBuilder().Vlan(30).Ipv6(kSource6, kDestination6).Payload("y:1|c").Build())));
}

TEST(ChecksumTest, RejectsCorruptedChecksumsAndPayloads) {
  EXPECT_FALSE(
      UdpChecksumValid(Parse(FrameBuilder().Payload("a:1|c").CorruptUdpChecksum().Build())));
  EXPECT_FALSE(UdpChecksumValid(Parse(
      FrameBuilder().Ipv6(kSource6, kDestination6).Payload("a:1|c").CorruptUdpChecksum().Build())));
  // A flipped payload bit, and a changed source address (covered by the pseudo-header).
  std::vector<uint8_t> frame = FrameBuilder().Payload("abcdef:1|c").Build();
  frame[14 + 20 + 8 + 3] ^= 0x10;
  EXPECT_FALSE(UdpChecksumValid(Parse(frame)));
  std::vector<uint8_t> moved = FrameBuilder().Ipv6(kSource6, kDestination6).Payload("q").Build();
  moved[14 + 8 + 15] ^= 1;
  EXPECT_FALSE(UdpChecksumValid(Parse(moved)));
}

TEST(ChecksumTest, ZeroMeansNoneOverIpv4AndIsInvalidOverIpv6) {
  std::vector<uint8_t> v4 = FrameBuilder().Payload("a:1|c").Build();
  v4[14 + 20 + 6] = v4[14 + 20 + 7] = 0;
  EXPECT_TRUE(UdpChecksumValid(Parse(v4)));
  std::vector<uint8_t> v6 = FrameBuilder().Ipv6(kSource6, kDestination6).Payload("a:1|c").Build();
  v6[14 + 40 + 6] = v6[14 + 40 + 7] = 0;
  EXPECT_FALSE(UdpChecksumValid(Parse(v6)));
}

TEST(ChecksumTest, EthernetPaddingIsNotSummed) {
  // A 1-byte payload is padded to 60 bytes with non-zero fill: only the UDP length counts.
  std::vector<uint8_t> frame = FrameBuilder().Payload("z").EthernetPadding(60, 0xab).Build();
  ASSERT_EQ(frame.size(), 60u);
  EXPECT_TRUE(UdpChecksumValid(Parse(frame)));
}

}  // namespace
}  // namespace firehose::net
