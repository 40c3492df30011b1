// Builds Ethernet frames carrying UDP over IPv4 or IPv6, byte for byte as a NIC would
// hand them to the data path, for unit tests, fuzz seeds, integration tests and pcapgen.
//
// A well-formed frame has correct IPv4 header and UDP checksums and is padded to the
// 60-byte Ethernet minimum. Every knob that can make a frame malformed (wrong length
// fields, fragment bits, another protocol or ethertype, truncation) is explicit, so a
// test reads as "a valid frame, except ...":
//
//   std::vector<uint8_t> frame = FrameBuilder()
//                                    .Vlan(100)
//                                    .Ipv4({10, 0, 0, 1}, {10, 0, 1, 1})
//                                    .Ports(40000, 8125)
//                                    .Fragment(/*more_fragments=*/true, 0)
//                                    .Payload("foo:1|c")
//                                    .Build();
//
// This is tool code, not data path code: it allocates freely.
#ifndef FIREHOSE_TOOLS_PCAPGEN_FRAME_BUILDER_H_
#define FIREHOSE_TOOLS_PCAPGEN_FRAME_BUILDER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace firehose::pcapgen {

using MacAddress = std::array<uint8_t, 6>;
using Ipv4Address = std::array<uint8_t, 4>;
using Ipv6Address = std::array<uint8_t, 16>;

inline constexpr size_t kEthernetMinFrameLen = 60;  // without the 4-byte FCS
inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;

// RFC 1071 Internet checksum of `data`, folded and complemented, continuing from a
// partial 32-bit one's-complement sum (e.g. of a pseudo header).
uint16_t InternetChecksum(std::span<const uint8_t> data, uint32_t initial_sum = 0);

class FrameBuilder {
 public:
  // Defaults: 02:00:00:00:00:01 -> 02:00:00:00:00:02, untagged, IPv4
  // 10.0.0.1:40000 -> 10.0.1.1:8125, TTL 64, empty payload, padded to 60 bytes.
  FrameBuilder() = default;

  // --- Addressing and well-formed options -------------------------------------------
  FrameBuilder& SourceMac(const MacAddress& mac);
  FrameBuilder& DestinationMac(const MacAddress& mac);
  // Adds a VLAN tag; `vlan_id` is written verbatim as the TCI, so PCP/DEI bits may be
  // set in its top 4 bits. The first call makes an 802.1Q frame; a second call makes QinQ,
  // with the first tag as the outer (S-tag, ethertype 0x88a8 unless OuterTagEtherType
  // says otherwise) and the second as the inner C-tag (0x8100). Further calls stack
  // more 0x8100 tags, which the data path rejects.
  FrameBuilder& Vlan(uint16_t vlan_id);
  // Ethertype of the outermost tag of a QinQ frame (e.g. 0x8100 for 8100/8100 stacks).
  FrameBuilder& OuterTagEtherType(uint16_t ethertype);
  FrameBuilder& Ipv4(const Ipv4Address& source, const Ipv4Address& destination);
  FrameBuilder& Ipv6(const Ipv6Address& source, const Ipv6Address& destination);
  FrameBuilder& Ports(uint16_t source, uint16_t destination);
  FrameBuilder& Payload(std::string_view payload);
  FrameBuilder& Payload(std::span<const uint8_t> payload);
  // IPv4 TTL or IPv6 hop limit.
  FrameBuilder& Ttl(uint8_t ttl);
  FrameBuilder& Identification(uint16_t id);
  FrameBuilder& DontFragment(bool df);
  // IPv4 options, padded with zeros (End of Options List) to a multiple of 4 bytes.
  // At most 40 bytes.
  FrameBuilder& Ipv4Options(std::span<const uint8_t> options);
  // Pads the frame with `fill` bytes after the IP packet up to min_len (default 60,
  // as NICs deliver short frames). 0 disables padding.
  FrameBuilder& EthernetPadding(size_t min_len, uint8_t fill = 0);

  // --- Knobs that make a frame malformed -----------------------------------------------
  // IPv4 MF flag and fragment offset (in 8-byte units, 13 bits).
  FrameBuilder& Fragment(bool more_fragments, uint16_t offset_units);
  // IPv4 protocol / IPv6 next header. The 8 "UDP header" bytes are still written.
  FrameBuilder& IpProtocol(uint8_t protocol);
  // Innermost ethertype (the one naming the network protocol).
  FrameBuilder& EtherType(uint16_t ethertype);
  // Raw version nibble of the IP header.
  FrameBuilder& IpVersionField(uint8_t version);
  // Raw IPv4 IHL nibble (header length in 32-bit words).
  FrameBuilder& Ipv4HeaderLengthField(uint8_t ihl);
  // IPv4 total length or IPv6 payload length as written, instead of the real one.
  FrameBuilder& IpLengthField(uint16_t length);
  // UDP length as written, instead of 8 + payload size.
  FrameBuilder& UdpLengthField(uint16_t length);
  // Writes a wrong IPv4 header checksum / UDP checksum.
  FrameBuilder& CorruptIpChecksum();
  FrameBuilder& CorruptUdpChecksum();
  // Cuts the finished frame (after padding) to at most frame_len bytes.
  FrameBuilder& TruncateTo(size_t frame_len);

  // Assembles the frame. Payloads larger than 65535 - headers produce wrapped length
  // fields; callers keep payloads within a UDP datagram.
  std::vector<uint8_t> Build() const;

 private:
  MacAddress source_mac_ = {0x02, 0, 0, 0, 0, 0x01};
  MacAddress destination_mac_ = {0x02, 0, 0, 0, 0, 0x02};
  std::vector<uint16_t> vlan_ids_;
  uint16_t outer_tag_ethertype_ = kEtherTypeQinQ;
  bool ipv6_ = false;
  Ipv4Address source_ipv4_ = {10, 0, 0, 1};
  Ipv4Address destination_ipv4_ = {10, 0, 1, 1};
  Ipv6Address source_ipv6_ = {};
  Ipv6Address destination_ipv6_ = {};
  uint16_t source_port_ = 40000;
  uint16_t destination_port_ = 8125;
  std::vector<uint8_t> payload_;
  uint8_t ttl_ = 64;
  uint16_t identification_ = 0;
  bool dont_fragment_ = false;
  std::vector<uint8_t> ipv4_options_;
  size_t padding_min_len_ = kEthernetMinFrameLen;
  uint8_t padding_fill_ = 0;

  bool more_fragments_ = false;
  uint16_t fragment_offset_ = 0;
  std::optional<uint8_t> ip_protocol_;
  std::optional<uint16_t> ethertype_;
  std::optional<uint8_t> ip_version_;
  std::optional<uint8_t> ihl_;
  std::optional<uint16_t> ip_length_;
  std::optional<uint16_t> udp_length_;
  bool corrupt_ip_checksum_ = false;
  bool corrupt_udp_checksum_ = false;
  std::optional<size_t> truncate_to_;
};

// An ARP who-has request (broadcast, 42 bytes padded to 60): "who has target_ip, tell
// sender_ip". The data path must drop it as not_ip (or hand it to the ARP responder).
std::vector<uint8_t> BuildArpRequest(const MacAddress& sender_mac,
                                     const Ipv4Address& sender_ip,
                                     const Ipv4Address& target_ip);

}  // namespace firehose::pcapgen

#endif  // FIREHOSE_TOOLS_PCAPGEN_FRAME_BUILDER_H_
