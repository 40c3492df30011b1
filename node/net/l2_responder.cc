// In-place ARP and ICMP echo replies, and gratuitous ARP; see the header.
#include "node/net/l2_responder.h"

#include <cstring>

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
  Store16(arp + 6, 2);                  // oper: reply
  std::memcpy(arp + 18, arp + 8, 10);   // target := requester's MAC and IP
  std::memcpy(arp + 8, host.mac.data(), 6);
  std::memcpy(arp + 14, &target, 4);    // sender := us
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
  uint32_t sum = static_cast<uint16_t>(~Load16(icmp + 2)) + static_cast<uint16_t>(~old_word) +
                 new_word;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  icmp[0] = kIcmpEchoReply;
  Store16(icmp + 2, static_cast<uint16_t>(~sum));
  return Reply::kIcmpEcho;
}

}  // namespace

Reply AnswerInPlace(uint8_t* frame, uint32_t frame_len, const HostIdentity& host) {
  if (host.ipv4_count == 0 || frame_len < kEthernetHeader) return Reply::kNone;
  const uint32_t type_offset = EtherTypeOffset(frame, frame_len);
  if (type_offset == 0) return Reply::kNone;
  const uint16_t type = Load16(frame + type_offset);
  uint8_t* payload = frame + type_offset + 2;
  const uint32_t payload_len = frame_len - type_offset - 2;
  if (type == kEtherTypeArp) {
    return payload_len < kArpPayload ? Reply::kNone : AnswerArp(frame, payload, host);
  }
  if (type == kEtherTypeIpv4) return AnswerIcmp(frame, payload, payload_len, host);
  return Reply::kNone;
}

uint32_t BuildGratuitousArp(uint8_t* out, const std::array<uint8_t, 6>& mac,
                            uint32_t address_be) {
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

}  // namespace firehose::net
