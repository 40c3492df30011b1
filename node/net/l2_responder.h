// Answers the frames a host on the segment must answer, in place in the received buffer:
// ARP requests and IPv6 Neighbor Solicitations for the node's addresses (so neighbours
// can resolve them at all), and ICMP / ICMPv6 echo requests to them. The worker lcore
// then transmits the same buffer back, so answering allocates nothing.
// Also builds the frames that announce an address (e.g. the service IP when a standby is
// promoted) so switches and neighbours update their tables: a gratuitous ARP for IPv4,
// an unsolicited Neighbor Advertisement for IPv6.
#ifndef FIREHOSE_NODE_NET_L2_RESPONDER_H_
#define FIREHOSE_NODE_NET_L2_RESPONDER_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace firehose::net {

inline constexpr int kMaxHostAddresses = 8;

using Ipv6Bytes = std::array<uint8_t, 16>;

// Who the node is on one port.
struct HostIdentity {
  std::array<uint8_t, 6> mac{};
  // IPv4 addresses in network byte order.
  std::array<uint32_t, kMaxHostAddresses> ipv4{};
  int ipv4_count = 0;
  // IPv6 addresses, as on the wire.
  std::array<Ipv6Bytes, kMaxHostAddresses> ipv6{};
  int ipv6_count = 0;

  // Adds an IPv4 or IPv6 address in text form. False if it is neither, or if the
  // identity already holds kMaxHostAddresses of that family. Control path only.
  bool AddAddress(std::string_view text);

  bool empty() const { return ipv4_count == 0 && ipv6_count == 0; }

  bool Owns(uint32_t address_be) const {
    for (int i = 0; i < ipv4_count; ++i) {
      if (ipv4[i] == address_be) return true;
    }
    return false;
  }
  // `address` points at 16 bytes in a frame.
  bool OwnsIpv6(const uint8_t* address) const {
    for (int i = 0; i < ipv6_count; ++i) {
      if (std::memcmp(ipv6[i].data(), address, 16) == 0) return true;
    }
    return false;
  }
};

// What AnswerInPlace did; each value but kNone is a metrics label (ReplyName).
enum class Reply : uint8_t { kNone, kArp, kIcmpEcho, kIcmpv6Echo, kNdp, kCount };
inline constexpr int kReplyKindCount = static_cast<int>(Reply::kCount);
constexpr std::string_view ReplyName(Reply reply) {
  switch (reply) {
    case Reply::kArp:
      return "arp";
    case Reply::kIcmpEcho:
      return "icmp_echo";
    case Reply::kIcmpv6Echo:
      return "icmpv6_echo";
    case Reply::kNdp:
      return "ndp";
    default:
      return "none";
  }
}

// If `frame` is a question for one of `host`'s addresses, rewrites it into the answer
// (VLAN tags kept) and returns which; otherwise leaves it untouched and returns kNone.
// Questions: an ARP request; an ICMP echo request; an ICMPv6 echo request; an IPv6
// Neighbor Solicitation (RFC 4861 §7.1.1 checks: hop limit 255, code 0, valid checksum),
// answered by a Neighbor Advertisement carrying the port's MAC (to ff02::1 for a
// duplicate-address probe from ::). ICMP/ICMPv6 requests with a bad checksum are not
// answered, as a host would discard them.
//
// `*frame_len` is the received length on entry and the answer's length on return: an
// advertisement is always 14 (+ tags) + 40 + 32 bytes, which may be longer than the
// solicitation, so `capacity` (bytes writable at `frame`) must allow for it; when it
// does not, the solicitation is not answered. Every other answer keeps the length.
Reply AnswerInPlace(uint8_t* frame, uint32_t* frame_len, uint32_t capacity,
                    const HostIdentity& host);

// The same for callers whose answers must keep the received length (and whose buffer
// has no room beyond it): a Neighbor Solicitation is answered only if the advertisement
// fits in `frame_len`.
inline Reply AnswerInPlace(uint8_t* frame, uint32_t frame_len, const HostIdentity& host) {
  uint32_t len = frame_len;
  return AnswerInPlace(frame, &len, frame_len, host);
}

// Size of a gratuitous ARP frame, padded to the Ethernet minimum (without FCS).
inline constexpr uint32_t kGratuitousArpLen = 60;

// Writes a gratuitous ARP (a broadcast ARP request for `address_be` from `address_be`)
// into `out`, which must hold kGratuitousArpLen bytes; returns the length written.
uint32_t BuildGratuitousArp(uint8_t* out, const std::array<uint8_t, 6>& mac, uint32_t address_be);

// Size of an unsolicited Neighbor Advertisement frame: Ethernet 14 + IPv6 40 + NA 24 +
// Target Link-Layer Address option 8 (no FCS).
inline constexpr uint32_t kUnsolicitedNeighborAdvertisementLen = 86;

// Writes an unsolicited Neighbor Advertisement for `address` (RFC 4861 §7.2.6): from
// `address` to all-nodes ff02::1 (MAC 33:33:00:00:00:01), hop limit 255, Override set,
// Solicited and Router clear, target `address`, a Target Link-Layer Address option with
// `mac`, ICMPv6 checksum filled in. `out` must hold kUnsolicitedNeighborAdvertisementLen
// bytes; returns the length written.
uint32_t BuildUnsolicitedNeighborAdvertisement(uint8_t* out, const std::array<uint8_t, 6>& mac,
                                               const Ipv6Bytes& address);

}  // namespace firehose::net

#endif  // FIREHOSE_NODE_NET_L2_RESPONDER_H_
