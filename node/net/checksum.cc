// Internet checksum arithmetic; see the header.
#include "node/net/checksum.h"

#include <arpa/inet.h>

#include <cstring>

namespace firehose::net {

namespace {

// a + b with the carry out of bit 63 added back in (end-around carry): the sum stays a
// one's-complement sum modulo 2^64 - 1, which 0xffff divides, so folding it later gives
// the same 16-bit result as summing 16-bit words.
inline uint64_t AddCarry(uint64_t a, uint64_t b) {
  uint64_t result;
  if (__builtin_add_overflow(a, b, &result)) ++result;
  return result;
}

}  // namespace

uint64_t PartialSum(const uint8_t* data, uint32_t len, uint64_t sum) {
  // Eight bytes per add, two independent chains so both ALUs stay busy.
  uint64_t a = sum;
  uint64_t b = 0;
  while (len >= 32) {
    uint64_t w[4];
    std::memcpy(w, data, sizeof(w));
    a = AddCarry(a, w[0]);
    b = AddCarry(b, w[1]);
    a = AddCarry(a, w[2]);
    b = AddCarry(b, w[3]);
    data += 32;
    len -= 32;
  }
  while (len >= 8) {
    uint64_t w;
    std::memcpy(&w, data, 8);
    a = AddCarry(a, w);
    data += 8;
    len -= 8;
  }
  // The tail: up to 7 bytes, zero-padded on the right, as one more 8-byte word.
  if (len > 0) {
    uint8_t last[8] = {};
    std::memcpy(last, data, len);
    uint64_t w;
    std::memcpy(&w, last, 8);
    b = AddCarry(b, w);
  }
  return AddCarry(a, b);
}

uint16_t FoldSum(uint64_t sum) {
  sum = (sum & 0xffffffff) + (sum >> 32);  // 33 bits at most
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return ntohs(static_cast<uint16_t>(sum));
}

uint64_t Ipv6PseudoHeaderSum(const uint8_t* ip6, uint32_t upper_len, uint8_t protocol) {
  // Source and destination addresses (32 bytes from offset 8), then the 32-bit length
  // and the next header, as they would sit in memory in network order.
  uint64_t sum = PartialSum(ip6 + 8, 32, 0);
  sum += htonl(upper_len);
  sum += htonl(protocol);
  return sum;
}

uint64_t Ipv4PseudoHeaderSum(const uint8_t* ip4, uint32_t upper_len, uint8_t protocol) {
  uint64_t sum = PartialSum(ip4 + 12, 8, 0);
  sum += htons(static_cast<uint16_t>(upper_len));
  sum += htons(protocol);
  return sum;
}

bool UdpChecksumValid(const UdpDatagram& datagram) {
  const uint8_t* udp = datagram.udp_header;
  const bool zero = udp[6] == 0 && udp[7] == 0;
  constexpr uint8_t kUdp = 17;
  const uint32_t udp_len = static_cast<uint32_t>(datagram.payload_len) + 8;
  uint64_t sum;
  if (datagram.ip_version == 4) {
    if (zero) return true;
    sum = Ipv4PseudoHeaderSum(datagram.ip_header, udp_len, kUdp);
  } else {
    if (zero) return false;
    sum = Ipv6PseudoHeaderSum(datagram.ip_header, udp_len, kUdp);
  }
  // Summing the header with its checksum field in place gives all ones when it is right.
  return FoldSum(PartialSum(udp, udp_len, sum)) == 0xffff;
}

}  // namespace firehose::net
