// In-place ARP, ICMP/ICMPv6 echo and Neighbor Advertisement replies, gratuitous ARP
// and unsolicited Neighbor Advertisements; see the header.
#include "node/net/l2_responder.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "node/net/checksum.h"

namespace firehose::net {
namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88a8;
constexpr uint32_t kEthernetHeader = 14;
constexpr uint32_t kArpPayload = 28;
constexpr uint8_t kIcmpProtocol = 1;
constexpr uint8_t kIcmpEchoRequest = 8;
constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kReplyTtl = 64;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint32_t kIpv6Header = 40;
constexpr uint8_t kIcmpv6Protocol = 58;
constexpr uint8_t kIcmpv6EchoRequest = 128;
constexpr uint8_t kIcmpv6EchoReply = 129;
constexpr uint8_t kNeighborSolicitation = 135;
constexpr uint8_t kNeighborAdvertisement = 136;
constexpr uint8_t kNdpHopLimit = 255;              // RFC 4861: proves the sender is on-link
constexpr uint32_t kNeighborSolicitationMin = 24;  // type..checksum, reserved, target
// Advertisement: 24 bytes + a Target Link-Layer Address option (type 2, length 1 x 8).
constexpr uint32_t kNeighborAdvertisementLen = 32;
constexpr uint8_t kNaSolicited = 0x40;
constexpr uint8_t kNaOverride = 0x20;
constexpr uint8_t kOptionTargetLinkLayer = 2;
constexpr uint8_t kAllNodesMac[6] = {0x33, 0x33, 0, 0, 0, 1};
constexpr uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void Store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// One's-complement sum of 16-bit words, folded.
uint16_t Checksum(const uint8_t* data, uint32_t len) {
  uint32_t sum = 0;
  for (uint32_t i = 0; i + 1 < len; i += 2) sum += Load16(data + i);
  if (len & 1) sum += static_cast<uint32_t>(data[len - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Offset of the ethertype after up to two VLAN tags, or 0 if the frame is too short.
uint32_t EtherTypeOffset(const uint8_t* frame, uint32_t len) {
  uint32_t offset = 12;
  for (int tags = 0; tags < 2; ++tags) {
    if (offset + 2 > len) return 0;
    const uint16_t type = Load16(frame + offset);
    if (type != kEtherTypeVlan && type != kEtherTypeQinQ) break;
    offset += 4;
  }
  return offset + 2 > len ? 0 : offset;
}

void ReplyToSender(uint8_t* frame, const HostIdentity& host) {
  std::memcpy(frame, frame + 6, 6);  // destination := the requester
  std::memcpy(frame + 6, host.mac.data(), 6);
}

Reply AnswerArp(uint8_t* frame, uint8_t* arp, const HostIdentity& host) {
  // Ethernet/IPv4 ARP request: htype 1, ptype 0x0800, hlen 6, plen 4, oper 1.
  if (Load16(arp) != 1 || Load16(arp + 2) != kEtherTypeIpv4 || arp[4] != 6 || arp[5] != 4 ||
      Load16(arp + 6) != 1) {
    return Reply::kNone;
  }
  uint32_t target;
  std::memcpy(&target, arp + 24, 4);
  uint32_t sender;
  std::memcpy(&sender, arp + 14, 4);
  // A gratuitous ARP (sender IP == target IP) announces, it does not ask.
  if (!host.Owns(target) || sender == target) return Reply::kNone;
  ReplyToSender(frame, host);
  Store16(arp + 6, 2);                 // oper: reply
  std::memcpy(arp + 18, arp + 8, 10);  // target := requester's MAC and IP
  std::memcpy(arp + 8, host.mac.data(), 6);
  std::memcpy(arp + 14, &target, 4);  // sender := us
  return Reply::kArp;
}

Reply AnswerIcmp(uint8_t* frame, uint8_t* ip, uint32_t ip_len, const HostIdentity& host) {
  if (ip_len < 20 || (ip[0] >> 4) != 4) return Reply::kNone;
  const uint32_t header = (ip[0] & 0x0f) * 4u;
  const uint32_t total = Load16(ip + 2);
  if (header < 20 || total > ip_len || total < header + 8 || ip[9] != kIcmpProtocol) {
    return Reply::kNone;
  }
  if ((Load16(ip + 6) & 0x3fff) != 0) return Reply::kNone;  // fragments are not answered
  uint32_t destination;
  std::memcpy(&destination, ip + 16, 4);
  uint8_t* icmp = ip + header;
  if (!host.Owns(destination) || icmp[0] != kIcmpEchoRequest || icmp[1] != 0) {
    return Reply::kNone;
  }
  ReplyToSender(frame, host);
  std::memcpy(ip + 16, ip + 12, 4);  // destination := the requester
  std::memcpy(ip + 12, &destination, 4);
  ip[8] = kReplyTtl;
  Store16(ip + 10, 0);
  Store16(ip + 10, Checksum(ip, header));
  // RFC 1624 incremental update: only the type byte changed (8 -> 0).
  const uint16_t old_word = static_cast<uint16_t>(kIcmpEchoRequest << 8);
  const uint16_t new_word = static_cast<uint16_t>(kIcmpEchoReply << 8);
  uint32_t sum =
      static_cast<uint16_t>(~Load16(icmp + 2)) + static_cast<uint16_t>(~old_word) + new_word;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  icmp[0] = kIcmpEchoReply;
  Store16(icmp + 2, static_cast<uint16_t>(~sum));
  return Reply::kIcmpEcho;
}

// Checksum of an ICMPv6 message of `len` bytes behind the IPv6 header `ip`, written
// into the message (its checksum field must be zero before).
void StoreIcmpv6Checksum(uint8_t* ip, uint8_t* icmp, uint32_t len) {
  const uint64_t sum = PartialSum(icmp, len, Ipv6PseudoHeaderSum(ip, len, kIcmpv6Protocol));
  Store16(icmp + 2, static_cast<uint16_t>(~FoldSum(sum)));
}

// Completes a Neighbor Advertisement in the IPv6 packet at `ip` whose source and
// destination addresses and target (ICMPv6 bytes 8-23) are already in place: IPv6
// header, type, `flags`, a Target Link-Layer Address option with `mac`, checksum.
void WriteNeighborAdvertisement(uint8_t* ip, uint8_t flags, const std::array<uint8_t, 6>& mac) {
  uint8_t* icmp = ip + kIpv6Header;
  ip[0] = 0x60;  // version 6, traffic class and flow label 0
  ip[1] = ip[2] = ip[3] = 0;
  Store16(ip + 4, kNeighborAdvertisementLen);
  ip[6] = kIcmpv6Protocol;
  ip[7] = kNdpHopLimit;
  icmp[0] = kNeighborAdvertisement;
  icmp[1] = 0;
  Store16(icmp + 2, 0);
  icmp[4] = flags;
  icmp[5] = icmp[6] = icmp[7] = 0;
  icmp[24] = kOptionTargetLinkLayer;
  icmp[25] = 1;  // option length in units of 8 bytes
  std::memcpy(icmp + 26, mac.data(), 6);
  StoreIcmpv6Checksum(ip, icmp, kNeighborAdvertisementLen);
}

bool IsUnspecified(const uint8_t* address) {
  static constexpr uint8_t kZero[16] = {};
  return std::memcmp(address, kZero, 16) == 0;
}

// `ip` is the IPv6 header at offset `l3` of the frame, `available` bytes from it to the
// end of the received frame, `capacity` bytes from it to the end of the buffer.
Reply AnswerIcmpv6(uint8_t* frame, uint8_t* ip, uint32_t available, uint32_t capacity,
                   uint32_t* answer_len, const HostIdentity& host) {
  if (available < kIpv6Header || (ip[0] >> 4) != 6 || ip[6] != kIcmpv6Protocol) {
    return Reply::kNone;
  }
  const uint32_t icmp_len = Load16(ip + 4);
  if (icmp_len < 8 || icmp_len > available - kIpv6Header) return Reply::kNone;
  uint8_t* icmp = ip + kIpv6Header;
  const uint64_t sum =
      PartialSum(icmp, icmp_len, Ipv6PseudoHeaderSum(ip, icmp_len, kIcmpv6Protocol));
  if (FoldSum(sum) != 0xffff || icmp[1] != 0) return Reply::kNone;

  if (icmp[0] == kIcmpv6EchoRequest) {
    if (!host.OwnsIpv6(ip + 24)) return Reply::kNone;  // multicast pings are not ours
    ReplyToSender(frame, host);
    uint8_t requester[16];
    std::memcpy(requester, ip + 8, 16);
    std::memcpy(ip + 8, ip + 24, 16);
    std::memcpy(ip + 24, requester, 16);
    ip[7] = kReplyTtl;
    icmp[0] = kIcmpv6EchoReply;
    Store16(icmp + 2, 0);
    StoreIcmpv6Checksum(ip, icmp, icmp_len);
    *answer_len = kIpv6Header + icmp_len;
    return Reply::kIcmpv6Echo;
  }
  if (icmp[0] != kNeighborSolicitation) return Reply::kNone;
  if (ip[7] != kNdpHopLimit || icmp_len < kNeighborSolicitationMin || !host.OwnsIpv6(icmp + 8) ||
      capacity < kIpv6Header + kNeighborAdvertisementLen) {
    return Reply::kNone;
  }
  // A probe from :: is duplicate address detection: defend the address to all nodes,
  // unsolicited (RFC 4861 §7.2.4). Otherwise answer the solicitor, solicited.
  const bool probe = IsUnspecified(ip + 8);
  if (probe) {
    std::memcpy(frame, kAllNodesMac, 6);
    std::memcpy(frame + 6, host.mac.data(), 6);
    std::memcpy(ip + 24, kAllNodes, 16);
  } else {
    ReplyToSender(frame, host);
    std::memcpy(ip + 24, ip + 8, 16);
  }
  std::memcpy(ip + 8, icmp + 8, 16);  // source := the target, our address
  // icmp + 8: the target address stays where the solicitation had it.
  WriteNeighborAdvertisement(
      ip, probe ? kNaOverride : static_cast<uint8_t>(kNaSolicited | kNaOverride), host.mac);
  *answer_len = kIpv6Header + kNeighborAdvertisementLen;
  return Reply::kNdp;
}

}  // namespace

bool HostIdentity::AddAddress(std::string_view text) {
  const std::string copy(text);  // inet_pton needs a terminated string
  in_addr v4;
  if (inet_pton(AF_INET, copy.c_str(), &v4) == 1) {
    if (ipv4_count == kMaxHostAddresses) return false;
    ipv4[ipv4_count++] = v4.s_addr;
    return true;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, copy.c_str(), &v6) == 1) {
    if (ipv6_count == kMaxHostAddresses) return false;
    std::memcpy(ipv6[ipv6_count++].data(), v6.s6_addr, 16);
    return true;
  }
  return false;
}

Reply AnswerInPlace(uint8_t* frame, uint32_t* frame_len_inout, uint32_t capacity,
                    const HostIdentity& host) {
  const uint32_t frame_len = *frame_len_inout;
  if (host.empty() || frame_len < kEthernetHeader || capacity < frame_len) return Reply::kNone;
  const uint32_t type_offset = EtherTypeOffset(frame, frame_len);
  if (type_offset == 0) return Reply::kNone;
  const uint16_t type = Load16(frame + type_offset);
  uint8_t* payload = frame + type_offset + 2;
  const uint32_t payload_len = frame_len - type_offset - 2;
  if (type == kEtherTypeArp) {
    if (host.ipv4_count == 0 || payload_len < kArpPayload) return Reply::kNone;
    return AnswerArp(frame, payload, host);
  }
  if (type == kEtherTypeIpv4) {
    return host.ipv4_count == 0 ? Reply::kNone : AnswerIcmp(frame, payload, payload_len, host);
  }
  if (type == kEtherTypeIpv6 && host.ipv6_count > 0) {
    const uint32_t l3 = type_offset + 2;
    uint32_t answer_len = 0;
    const Reply reply = AnswerIcmpv6(frame, payload, payload_len, capacity - l3, &answer_len, host);
    if (reply != Reply::kNone) *frame_len_inout = l3 + answer_len;
    return reply;
  }
  return Reply::kNone;
}

uint32_t BuildGratuitousArp(uint8_t* out, const std::array<uint8_t, 6>& mac, uint32_t address_be) {
  std::memset(out, 0, kGratuitousArpLen);
  std::memset(out, 0xff, 6);  // broadcast
  std::memcpy(out + 6, mac.data(), 6);
  Store16(out + 12, kEtherTypeArp);
  uint8_t* arp = out + kEthernetHeader;
  Store16(arp, 1);
  Store16(arp + 2, kEtherTypeIpv4);
  arp[4] = 6;
  arp[5] = 4;
  Store16(arp + 6, 1);  // a request, as most stacks send gratuitous ARP
  std::memcpy(arp + 8, mac.data(), 6);
  std::memcpy(arp + 14, &address_be, 4);
  std::memcpy(arp + 24, &address_be, 4);  // target IP = sender IP; target MAC zero
  return kGratuitousArpLen;
}

uint32_t BuildUnsolicitedNeighborAdvertisement(uint8_t* out, const std::array<uint8_t, 6>& mac,
                                               const Ipv6Bytes& address) {
  static_assert(kUnsolicitedNeighborAdvertisementLen ==
                kEthernetHeader + kIpv6Header + kNeighborAdvertisementLen);
  std::memcpy(out, kAllNodesMac, 6);
  std::memcpy(out + 6, mac.data(), 6);
  Store16(out + 12, kEtherTypeIpv6);
  uint8_t* ip = out + kEthernetHeader;
  std::memcpy(ip + 8, address.data(), 16);  // source: the announced address itself
  std::memcpy(ip + 24, kAllNodes, 16);
  std::memcpy(ip + kIpv6Header + 8, address.data(), 16);  // target
  // Not solicited, and it must replace what neighbours have cached: Override only.
  WriteNeighborAdvertisement(ip, kNaOverride, mac);
  return kUnsolicitedNeighborAdvertisementLen;
}

}  // namespace firehose::net
