// What the data path knows about a packet besides its payload: when and from where it
// arrived. Built by the network parser, read by decoders and the batch builder.
#ifndef FIREHOSE_NODE_COMMON_PACKET_META_H_
#define FIREHOSE_NODE_COMMON_PACKET_META_H_

#include <cstdint>

namespace firehose {

struct PacketMeta {
  // Receive time, nanoseconds since the Unix epoch.
  int64_t receive_unix_nanos = 0;
  // Sender address in network byte order: 4 bytes used for IPv4, 16 for IPv6.
  uint8_t source_address[16] = {};
  uint8_t source_address_len = 0;
  uint16_t source_port = 0;       // host byte order
  uint16_t destination_port = 0;  // host byte order
};

}  // namespace firehose

#endif  // FIREHOSE_NODE_COMMON_PACKET_META_H_
