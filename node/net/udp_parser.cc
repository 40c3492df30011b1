// Implementation of ParseUdpFrame: a straight-line walk from the Ethernet header to the
// UDP payload with one bounds check per header. See udp_parser.h for what is accepted.
#include "node/net/udp_parser.h"

#include <cstring>

namespace firehose::net {
namespace {

constexpr uint32_t kEthernetHeaderLen = 14;  // dst MAC, src MAC, ethertype
constexpr uint32_t kVlanTagLen = 4;          // TCI + inner ethertype
constexpr uint32_t kIpv4MinHeaderLen = 20;
constexpr uint32_t kIpv6HeaderLen = 40;
constexpr uint32_t kUdpHeaderLen = 8;
constexpr int kMaxVlanTags = 2;  // 802.1Q or QinQ; deeper stacks are not ours

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint16_t kEtherTypeVlan = 0x8100;   // 802.1Q C-tag
constexpr uint16_t kEtherTypeQinQ = 0x88a8;   // 802.1ad S-tag
constexpr uint16_t kEtherTypeQinQ9100 = 0x9100;  // pre-standard S-tag, still seen

constexpr uint8_t kIpProtoUdp = 17;
constexpr uint16_t kIpv4FragmentMask = 0x3fff;  // MF flag + 13-bit fragment offset
constexpr uint16_t kVlanIdMask = 0x0fff;

// Network byte order loads. Byte-wise so they are alignment-safe; compilers turn them
// into a single load + bswap.
inline uint16_t LoadBe16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

inline bool IsVlanEtherType(uint16_t ethertype) {
  return ethertype == kEtherTypeVlan || ethertype == kEtherTypeQinQ ||
         ethertype == kEtherTypeQinQ9100;
}

// IPv6 extension headers per the IANA "IPv6 Extension Header Types" registry
// (RFC 7045): hop-by-hop, routing, fragment, ESP, AH, destination options, mobility,
// HIP, shim6 and the two experimental values. We count them rather than walk the chain:
// statsd/NetFlow senders do not emit them, and walking would add an unbounded loop.
inline bool IsIpv6ExtensionHeader(uint8_t next_header) {
  switch (next_header) {
    case 0:
    case 43:
    case 44:
    case 50:
    case 51:
    case 60:
    case 135:
    case 139:
    case 140:
    case 253:
    case 254:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<ParseDrop> ParseUdpFrame(const uint8_t* frame, uint32_t frame_len,
                                       UdpDatagram* out, PacketMeta* meta) {
  if (frame_len < kEthernetHeaderLen) return ParseDrop::kTruncatedEthernet;
  uint32_t offset = kEthernetHeaderLen;
  uint16_t ethertype = LoadBe16(frame + 12);
  uint16_t vlan_id = 0;

  // Peel at most two tags. The last tag read wins, so vlan_id is the inner (customer)
  // VLAN for QinQ. A third tag falls through as an unknown ethertype.
  for (int tags = 0; tags < kMaxVlanTags && IsVlanEtherType(ethertype); ++tags) {
    if (frame_len - offset < kVlanTagLen) return ParseDrop::kTruncatedVlan;
    vlan_id = LoadBe16(frame + offset) & kVlanIdMask;
    ethertype = LoadBe16(frame + offset + 2);
    offset += kVlanTagLen;
  }

  const uint8_t* ip = frame + offset;
  const uint32_t ip_available = frame_len - offset;
  const uint8_t* udp;
  uint32_t ip_payload_len;  // bytes the IP header says follow it; bounded by the frame
  // The source address is copied into meta only once the frame is accepted, so a
  // dropped frame leaves meta untouched.
  const uint8_t* source_address;
  uint8_t source_address_len;

  if (ethertype == kEtherTypeIpv4) {
    if (ip_available < kIpv4MinHeaderLen) return ParseDrop::kTruncatedIpHeader;
    if ((ip[0] >> 4) != 4) return ParseDrop::kBadIpVersion;
    const uint32_t header_len = static_cast<uint32_t>(ip[0] & 0x0f) * 4;
    if (header_len < kIpv4MinHeaderLen) return ParseDrop::kBadIpHeaderLength;
    if (header_len > ip_available) return ParseDrop::kTruncatedIpHeader;
    // Total length may be shorter than what is left of the frame: the rest is
    // Ethernet padding and is ignored.
    const uint32_t total_len = LoadBe16(ip + 2);
    if (total_len < header_len || total_len > ip_available) {
      return ParseDrop::kBadIpTotalLength;
    }
    // Fragments are checked before the protocol because a non-first fragment has no
    // UDP header to look at. We never reassemble: it would need per-flow state.
    if ((LoadBe16(ip + 6) & kIpv4FragmentMask) != 0) return ParseDrop::kIpFragment;
    if (ip[9] != kIpProtoUdp) return ParseDrop::kNotUdp;
    udp = ip + header_len;
    ip_payload_len = total_len - header_len;
    source_address = ip + 12;
    source_address_len = 4;
  } else if (ethertype == kEtherTypeIpv6) {
    if (ip_available < kIpv6HeaderLen) return ParseDrop::kTruncatedIpHeader;
    if ((ip[0] >> 4) != 6) return ParseDrop::kBadIpVersion;
    const uint32_t payload_len = LoadBe16(ip + 4);
    if (payload_len > ip_available - kIpv6HeaderLen) {
      return ParseDrop::kBadIpTotalLength;
    }
    const uint8_t next_header = ip[6];
    if (next_header != kIpProtoUdp) {
      return IsIpv6ExtensionHeader(next_header) ? ParseDrop::kIpv6ExtensionHeader
                                                : ParseDrop::kNotUdp;
    }
    udp = ip + kIpv6HeaderLen;
    ip_payload_len = payload_len;
    source_address = ip + 8;
    source_address_len = 16;
  } else {
    return ParseDrop::kNotIp;
  }

  // ip_payload_len was checked against the frame above, so the UDP header and the
  // payload it announces are both inside the frame once these two checks pass.
  if (ip_payload_len < kUdpHeaderLen) return ParseDrop::kTruncatedUdpHeader;
  const uint32_t udp_len = LoadBe16(udp + 4);
  if (udp_len < kUdpHeaderLen || udp_len > ip_payload_len) {
    return ParseDrop::kBadUdpLength;
  }

  // Both branches are fixed-size copies the compiler inlines.
  if (source_address_len == 4) {
    std::memcpy(meta->source_address, source_address, 4);
  } else {
    std::memcpy(meta->source_address, source_address, 16);
  }
  meta->source_address_len = source_address_len;
  meta->source_port = LoadBe16(udp);
  meta->destination_port = LoadBe16(udp + 2);
  out->payload = udp + kUdpHeaderLen;
  out->payload_len = static_cast<uint16_t>(udp_len - kUdpHeaderLen);
  out->vlan_id = vlan_id;
  out->ip_version = source_address_len == 4 ? 4 : 6;
  out->ip_header = ip;
  out->udp_header = udp;
  return std::nullopt;
}

}  // namespace firehose::net
