// libFuzzer entry point for ParseUdpFrame: any byte string is a frame. Checks the
// parser's contract on every input and aborts (a finding) if it breaks: a drop has a
// named reason; an accepted frame's payload lies inside the frame, within the UDP
// length, and meta carries a 4- or 16-byte address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "node/common/packet_meta.h"
#include "node/net/udp_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using firehose::PacketMeta;
  using firehose::net::ParseDrop;
  using firehose::net::ParseDropName;
  using firehose::net::ParseUdpFrame;
  using firehose::net::UdpDatagram;

  if (size > UINT32_MAX) return 0;
  UdpDatagram datagram;
  PacketMeta meta;
  const std::optional<ParseDrop> drop =
      ParseUdpFrame(data, static_cast<uint32_t>(size), &datagram, &meta);
  if (drop.has_value()) {
    if (*drop >= ParseDrop::kCount || ParseDropName(*drop) == "unknown") std::abort();
    // A drop must leave the outputs as they were.
    if (datagram.payload != nullptr || meta.source_address_len != 0) std::abort();
    return 0;
  }
  const uint8_t* end = data + size;
  if (datagram.payload < data || datagram.payload > end) std::abort();
  if (datagram.payload_len > end - datagram.payload) std::abort();
  // At least Ethernet + IPv4 + UDP headers precede the payload.
  if (datagram.payload - data < 14 + 20 + 8) std::abort();
  if (meta.source_address_len != 4 && meta.source_address_len != 16) std::abort();
  if (datagram.vlan_id > 0x0fff) std::abort();
  // Touch every payload byte so ASan sees any out-of-bounds view.
  uint8_t folded = 0;
  for (uint16_t i = 0; i < datagram.payload_len; ++i) folded ^= datagram.payload[i];
  volatile uint8_t sink = folded;  // keeps the loop from being optimised away
  (void)sink;
  return 0;
}
