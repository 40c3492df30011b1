// Builds NetFlow v5, v9 and IPFIX export packets byte by byte for tests and fuzz seeds,
// independently of the decoder (nothing here is shared with the parsing code).
#ifndef FIREHOSE_NODE_DECODE_FLOW_PACKET_BUILDER_H_
#define FIREHOSE_NODE_DECODE_FLOW_PACKET_BUILDER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace firehose::decode::testing {

class FlowPacketBuilder {
 public:
  // A v9 header (count = `count`; decoders do not rely on it).
  static FlowPacketBuilder V9(uint32_t sys_uptime, uint32_t unix_secs, uint32_t sequence,
                              uint32_t source_id, uint16_t count = 0);
  // An IPFIX header; its length is filled in by Finish().
  static FlowPacketBuilder Ipfix(uint32_t export_time, uint32_t sequence, uint32_t domain);

  FlowPacketBuilder& U8(uint8_t v);
  FlowPacketBuilder& U16(uint16_t v);
  FlowPacketBuilder& U32(uint32_t v);
  FlowPacketBuilder& U64(uint64_t v);
  FlowPacketBuilder& Bytes(std::string_view bytes);
  FlowPacketBuilder& Ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);

  // Opens a set (flowset) with `id`; EndSet() writes its length (including padding
  // added with Pad()).
  FlowPacketBuilder& BeginSet(uint16_t id);
  FlowPacketBuilder& Pad(size_t zeros);
  FlowPacketBuilder& EndSet();

  // Template record: id, then (element id, length) pairs; enterprise fields are given
  // as element ids with the top bit set followed by the PEN via U32 by the caller.
  FlowPacketBuilder& Template(uint16_t id,
                              const std::vector<std::pair<uint16_t, uint16_t>>& fields);

  // The packet; for IPFIX with the header's length set.
  std::string Finish() const;

 private:
  std::string bytes_;
  size_t set_start_ = 0;
  bool ipfix_ = false;
};

// One v5 record's fields, host order.
struct V5Flow {
  uint32_t src = 0, dst = 0, next_hop = 0;
  uint16_t input = 0, output = 0;
  uint32_t packets = 0, bytes = 0, first = 0, last = 0;
  uint16_t src_port = 0, dst_port = 0;
  uint8_t tcp_flags = 0, protocol = 0, tos = 0;
  uint16_t src_as = 0, dst_as = 0;
};

std::string BuildV5(uint32_t sys_uptime, uint32_t unix_secs, uint32_t unix_nsecs,
                    uint8_t engine_type, uint8_t engine_id, uint16_t sampling,
                    const std::vector<V5Flow>& flows);

}  // namespace firehose::decode::testing

#endif  // FIREHOSE_NODE_DECODE_FLOW_PACKET_BUILDER_H_
