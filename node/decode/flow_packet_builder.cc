// Byte-level NetFlow/IPFIX packet construction for tests; see the header.
#include "node/decode/flow_packet_builder.h"

namespace firehose::decode::testing {

FlowPacketBuilder FlowPacketBuilder::V9(uint32_t sys_uptime, uint32_t unix_secs,
                                        uint32_t sequence, uint32_t source_id,
                                        uint16_t count) {
  FlowPacketBuilder b;
  b.U16(9).U16(count).U32(sys_uptime).U32(unix_secs).U32(sequence).U32(source_id);
  return b;
}

FlowPacketBuilder FlowPacketBuilder::Ipfix(uint32_t export_time, uint32_t sequence,
                                           uint32_t domain) {
  FlowPacketBuilder b;
  b.ipfix_ = true;
  b.U16(10).U16(0).U32(export_time).U32(sequence).U32(domain);
  return b;
}

FlowPacketBuilder& FlowPacketBuilder::U8(uint8_t v) {
  bytes_.push_back(static_cast<char>(v));
  return *this;
}
FlowPacketBuilder& FlowPacketBuilder::U16(uint16_t v) { return U8(v >> 8).U8(v & 0xff); }
FlowPacketBuilder& FlowPacketBuilder::U32(uint32_t v) { return U16(v >> 16).U16(v & 0xffff); }
FlowPacketBuilder& FlowPacketBuilder::U64(uint64_t v) {
  return U32(static_cast<uint32_t>(v >> 32)).U32(static_cast<uint32_t>(v));
}
FlowPacketBuilder& FlowPacketBuilder::Bytes(std::string_view bytes) {
  bytes_.append(bytes);
  return *this;
}
FlowPacketBuilder& FlowPacketBuilder::Ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return U8(a).U8(b).U8(c).U8(d);
}

FlowPacketBuilder& FlowPacketBuilder::BeginSet(uint16_t id) {
  set_start_ = bytes_.size();
  return U16(id).U16(0);
}
FlowPacketBuilder& FlowPacketBuilder::Pad(size_t zeros) {
  bytes_.append(zeros, '\0');
  return *this;
}
FlowPacketBuilder& FlowPacketBuilder::EndSet() {
  const size_t len = bytes_.size() - set_start_;
  bytes_[set_start_ + 2] = static_cast<char>(len >> 8);
  bytes_[set_start_ + 3] = static_cast<char>(len & 0xff);
  return *this;
}

FlowPacketBuilder& FlowPacketBuilder::Template(
    uint16_t id, const std::vector<std::pair<uint16_t, uint16_t>>& fields) {
  U16(id).U16(static_cast<uint16_t>(fields.size()));
  for (const auto& [element, length] : fields) U16(element).U16(length);
  return *this;
}

std::string FlowPacketBuilder::Finish() const {
  std::string out = bytes_;
  if (ipfix_) {
    out[2] = static_cast<char>(out.size() >> 8);
    out[3] = static_cast<char>(out.size() & 0xff);
  }
  return out;
}

std::string BuildV5(uint32_t sys_uptime, uint32_t unix_secs, uint32_t unix_nsecs,
                    uint8_t engine_type, uint8_t engine_id, uint16_t sampling,
                    const std::vector<V5Flow>& flows) {
  FlowPacketBuilder b;
  b.U16(5).U16(static_cast<uint16_t>(flows.size())).U32(sys_uptime).U32(unix_secs);
  b.U32(unix_nsecs).U32(0).U8(engine_type).U8(engine_id).U16(sampling);
  for (const V5Flow& f : flows) {
    b.U32(f.src).U32(f.dst).U32(f.next_hop).U16(f.input).U16(f.output);
    b.U32(f.packets).U32(f.bytes).U32(f.first).U32(f.last);
    b.U16(f.src_port).U16(f.dst_port).U8(0).U8(f.tcp_flags).U8(f.protocol).U8(f.tos);
    b.U16(f.src_as).U16(f.dst_as).U8(24).U8(24).U16(0);
  }
  return b.Finish();
}

}  // namespace firehose::decode::testing
