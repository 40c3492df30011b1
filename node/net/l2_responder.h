// Answers the frames a host on the segment must answer, in place in the received buffer:
// ARP requests for the node's addresses and ICMP echo requests to them. The worker
// lcore then transmits the same buffer back, so answering allocates nothing.
// Also builds gratuitous ARP frames, which announce an address (e.g. the service IP
// when a standby is promoted) so switches and neighbours update their tables.
#ifndef FIREHOSE_NODE_NET_L2_RESPONDER_H_
#define FIREHOSE_NODE_NET_L2_RESPONDER_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace firehose::net {

inline constexpr int kMaxHostAddresses = 8;

// Who the node is on one port.
struct HostIdentity {
  std::array<uint8_t, 6> mac{};
  // IPv4 addresses in network byte order.
  std::array<uint32_t, kMaxHostAddresses> ipv4{};
  int ipv4_count = 0;

  bool Owns(uint32_t address_be) const {
    for (int i = 0; i < ipv4_count; ++i) {
      if (ipv4[i] == address_be) return true;
    }
    return false;
  }
};

enum class Reply : uint8_t { kNone, kArp, kIcmpEcho, kCount };
inline constexpr int kReplyKindCount = static_cast<int>(Reply::kCount);
constexpr std::string_view ReplyName(Reply reply) {
  switch (reply) {
    case Reply::kArp:
      return "arp";
    case Reply::kIcmpEcho:
      return "icmp_echo";
    default:
      return "none";
  }
}

// If `frame` is an ARP request for one of `host`'s addresses, or an ICMP echo request
// to one of them, rewrites it into the reply (same length, VLAN tags kept) and returns
// which; otherwise leaves it untouched and returns kNone.
Reply AnswerInPlace(uint8_t* frame, uint32_t frame_len, const HostIdentity& host);

// Size of a gratuitous ARP frame, padded to the Ethernet minimum (without FCS).
inline constexpr uint32_t kGratuitousArpLen = 60;

// Writes a gratuitous ARP (a broadcast ARP request for `address_be` from `address_be`)
// into `out`, which must hold kGratuitousArpLen bytes; returns the length written.
uint32_t BuildGratuitousArp(uint8_t* out, const std::array<uint8_t, 6>& mac,
                            uint32_t address_be);

}  // namespace firehose::net

#endif  // FIREHOSE_NODE_NET_L2_RESPONDER_H_
