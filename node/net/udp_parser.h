// Zero-copy parsing of one received Ethernet frame down to its UDP payload.
//
// This is the first thing the data path does with a packet, so it works on a plain
// pointer + length (no DPDK types): the same code runs under the DPDK lcore loop, the
// kernel socket backend's tests, unit tests and libFuzzer. It reads the frame in place,
// allocates nothing, and either yields a view of the UDP payload or names exactly one
// reason the frame is not ours, which the caller counts.
//
// Supported: Ethernet II; one 802.1Q tag; QinQ (0x88a8 or 0x8100 outer tag followed by
// an 0x8100 inner tag); IPv4 with or without options; IPv6 with a bare 40-byte header
// whose next header is UDP. Not supported, and dropped with a reason: IPv4 fragments,
// IPv6 extension headers, more than two VLAN tags (kNotIp).
//
// Checksums are not validated here: UDP checksum validation is optional (config
// ports[].validate_udp_checksum, see checksum.h and docs/network.md) because most NICs
// verify it in hardware and software validation costs a pass over the payload. The
// datagram carries pointers to its IP and UDP headers so that check can follow.
#ifndef FIREHOSE_NODE_NET_UDP_PARSER_H_
#define FIREHOSE_NODE_NET_UDP_PARSER_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "node/common/packet_meta.h"

namespace firehose::net {

// Why a frame was dropped. Each value is a metrics label (see ParseDropName), so add
// new reasons before kCount and give them a name.
enum class ParseDrop : uint8_t {
  kTruncatedEthernet,    // shorter than the 14-byte Ethernet header
  kNotIp,                // ARP, LLDP, any other ethertype, or a third VLAN tag
  kTruncatedVlan,        // a VLAN ethertype without the 4 tag bytes behind it
  kTruncatedIpHeader,    // frame ends inside the IPv4 (incl. options) or IPv6 header
  kBadIpVersion,         // version nibble does not match the ethertype
  kBadIpHeaderLength,    // IPv4 IHL < 5
  kBadIpTotalLength,     // IP length field larger than the frame or smaller than header
  kIpFragment,           // IPv4 with MF set or a non-zero fragment offset
  kIpv6ExtensionHeader,  // IPv6 next header is an extension header (not parsed)
  kNotUdp,               // any other IP protocol, ICMP included
  kTruncatedUdpHeader,   // IP payload shorter than the 8-byte UDP header
  kBadUdpLength,         // UDP length < 8 or longer than the IP payload
  // Not returned by ParseUdpFrame: set by the worker when UDP checksum validation is on
  // and the NIC or UdpChecksumValid (checksum.h) rejects the datagram.
  kBadUdpChecksum,
  kCount,
};

inline constexpr int kParseDropCount = static_cast<int>(ParseDrop::kCount);

// snake_case name of a drop reason, used as the metrics label value.
constexpr std::string_view ParseDropName(ParseDrop drop) {
  switch (drop) {
    case ParseDrop::kTruncatedEthernet:
      return "truncated_ethernet";
    case ParseDrop::kNotIp:
      return "not_ip";
    case ParseDrop::kTruncatedVlan:
      return "truncated_vlan";
    case ParseDrop::kTruncatedIpHeader:
      return "truncated_ip_header";
    case ParseDrop::kBadIpVersion:
      return "bad_ip_version";
    case ParseDrop::kBadIpHeaderLength:
      return "bad_ip_header_length";
    case ParseDrop::kBadIpTotalLength:
      return "bad_ip_total_length";
    case ParseDrop::kIpFragment:
      return "ip_fragment";
    case ParseDrop::kIpv6ExtensionHeader:
      return "ipv6_extension_header";
    case ParseDrop::kNotUdp:
      return "not_udp";
    case ParseDrop::kTruncatedUdpHeader:
      return "truncated_udp_header";
    case ParseDrop::kBadUdpLength:
      return "bad_udp_length";
    case ParseDrop::kBadUdpChecksum:
      return "bad_udp_checksum";
    case ParseDrop::kCount:
      break;
  }
  return "unknown";
}

// The UDP payload of an accepted frame. `payload` points into the frame passed to
// ParseUdpFrame and is valid as long as that frame is.
struct UdpDatagram {
  const uint8_t* payload = nullptr;
  // Taken from the UDP length field, never the frame length: Ethernet pads short frames
  // to 60 bytes, and those pad bytes are not part of the datagram.
  uint16_t payload_len = 0;
  // VLAN ID (low 12 bits of the TCI) of the innermost tag, i.e. the customer VLAN for
  // QinQ; 0 when the frame is untagged.
  uint16_t vlan_id = 0;
  // 4 or 6; with the two header pointers below (into the same frame) this is what
  // UdpChecksumValid needs to check the datagram without parsing it again.
  uint8_t ip_version = 0;
  const uint8_t* ip_header = nullptr;
  const uint8_t* udp_header = nullptr;
};

// Parses `frame` (frame_len bytes, starting at the destination MAC, without FCS).
// On success returns std::nullopt, fills *out, and sets meta's source_address,
// source_address_len (4 or 16), source_port and destination_port; other meta fields
// (receive time) are left alone. On failure returns the drop reason and leaves *out and
// *meta untouched. Never reads outside [frame, frame + frame_len).
std::optional<ParseDrop> ParseUdpFrame(const uint8_t* frame, uint32_t frame_len,
                                       UdpDatagram* out, PacketMeta* meta);

}  // namespace firehose::net

#endif  // FIREHOSE_NODE_NET_UDP_PARSER_H_
