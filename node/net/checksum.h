// Internet checksums (RFC 1071) for the data path: the one's-complement sum over a byte
// span, the IPv4/IPv6 pseudo-headers, and UDP checksum validation of a parsed datagram.
//
// The sum is taken in host byte order, eight bytes per add with end-around carry, and
// only swapped at the end (RFC 1071 §2(B): the one's-complement sum is byte-order
// independent), so checking a 1400-byte datagram is under two hundred adds and no
// allocation.
#ifndef FIREHOSE_NODE_NET_CHECKSUM_H_
#define FIREHOSE_NODE_NET_CHECKSUM_H_

#include <cstdint>

#include "node/net/udp_parser.h"

namespace firehose::net {

// Unfolded one's-complement sum of `len` bytes at `data` added to `sum`, in host byte
// order (a partial sum modulo 2^64 - 1). `data` must start at an even offset from the
// start of the checksummed region (true for every header we sum); an odd `len` is
// padded with one zero byte.
uint64_t PartialSum(const uint8_t* data, uint32_t len, uint64_t sum);

// Folds a partial sum to 16 bits and returns it in network byte order as a number
// (the value to store with a big-endian store). Not complemented.
uint16_t FoldSum(uint64_t sum);

// Partial sum of the IPv6 pseudo-header (RFC 8200 §8.1) for an upper-layer packet of
// `upper_len` bytes and next header `protocol`; `ip6` points at the IPv6 header.
uint64_t Ipv6PseudoHeaderSum(const uint8_t* ip6, uint32_t upper_len, uint8_t protocol);

// Partial sum of the IPv4 pseudo-header (RFC 768); `ip4` points at the IPv4 header.
uint64_t Ipv4PseudoHeaderSum(const uint8_t* ip4, uint32_t upper_len, uint8_t protocol);

// Whether the UDP checksum of a datagram ParseUdpFrame accepted is right. Over IPv4 a
// checksum of 0 means the sender computed none (RFC 768), which is accepted; over IPv6
// it is forbidden (RFC 8200 §8.1) and rejected.
bool UdpChecksumValid(const UdpDatagram& datagram);

}  // namespace firehose::net

#endif  // FIREHOSE_NODE_NET_CHECKSUM_H_
