// Internet checksum arithmetic; see the header.
#include "node/net/checksum.h"

#include <arpa/inet.h>

#include <cstring>

namespace firehose::net {

uint64_t PartialSum(const uint8_t* data, uint32_t len, uint64_t sum) {
  // Two accumulators of 32-bit words: a 64-bit accumulator cannot overflow for any
  // frame (2^32 words), and independent adds keep both ALUs busy.
  uint64_t a = sum;
  uint64_t b = 0;
  while (len >= 16) {
    uint32_t w[4];
    std::memcpy(w, data, sizeof(w));
    a += w[0];
    b += w[1];
    a += w[2];
    b += w[3];
    data += 16;
    len -= 16;
  }
  while (len >= 4) {
    uint32_t w;
    std::memcpy(&w, data, 4);
    a += w;
    data += 4;
    len -= 4;
  }
  if (len >= 2) {
    uint16_t w;
    std::memcpy(&w, data, 2);
    b += w;
    data += 2;
    len -= 2;
  }
  if (len == 1) {
    const uint8_t last[2] = {data[0], 0};
    uint16_t w;
    std::memcpy(&w, last, 2);
    b += w;
  }
  return a + b;  // cannot wrap: both are far below 2^63
}

uint16_t FoldSum(uint64_t sum) {
  sum = (sum & 0xffffffff) + (sum >> 32);
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
