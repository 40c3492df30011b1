// Frame assembly for FrameBuilder: headers are appended in wire order, then lengths and
// checksums are filled in from what was actually written (unless a knob overrides them).
#include "tools/pcapgen/frame_builder.h"

#include <algorithm>

namespace firehose::pcapgen {
namespace {

constexpr size_t kIpv4MinHeaderLen = 20;
constexpr size_t kIpv4MaxOptionsLen = 40;
constexpr size_t kIpv6HeaderLen = 40;
constexpr size_t kUdpHeaderLen = 8;
constexpr uint16_t kIpv4DontFragment = 0x4000;
constexpr uint16_t kIpv4MoreFragments = 0x2000;
constexpr uint16_t kIpv4FragmentOffsetMask = 0x1fff;

void PutBe16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void SetBe16(std::vector<uint8_t>& out, size_t offset, uint16_t v) {
  out[offset] = static_cast<uint8_t>(v >> 8);
  out[offset + 1] = static_cast<uint8_t>(v);
}

template <size_t N>
void PutBytes(std::vector<uint8_t>& out, const std::array<uint8_t, N>& bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// One's-complement sum of 16-bit big-endian words, not folded.
uint32_t SumWords(std::span<const uint8_t> data, uint32_t sum) {
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    sum += static_cast<uint32_t>((data[i] << 8) | data[i + 1]);
    sum = (sum & 0xffff) + (sum >> 16);  // keep room: fold as we go
  }
  if (i < data.size()) sum += static_cast<uint32_t>(data[i] << 8);
  return sum;
}

// A checksum that is guaranteed to differ from `good` and is not 0 (0 means "no
// checksum" for UDP over IPv4, which would not be a corruption).
uint16_t Corrupt(uint16_t good) {
  uint16_t bad = static_cast<uint16_t>(good + 1);
  return bad == 0 ? 1 : bad;
}

}  // namespace

uint16_t InternetChecksum(std::span<const uint8_t> data, uint32_t initial_sum) {
  uint32_t sum = SumWords(data, initial_sum);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

FrameBuilder& FrameBuilder::SourceMac(const MacAddress& mac) {
  source_mac_ = mac;
  return *this;
}
FrameBuilder& FrameBuilder::DestinationMac(const MacAddress& mac) {
  destination_mac_ = mac;
  return *this;
}
FrameBuilder& FrameBuilder::Vlan(uint16_t vlan_id) {
  vlan_ids_.push_back(vlan_id);
  return *this;
}
FrameBuilder& FrameBuilder::OuterTagEtherType(uint16_t ethertype) {
  outer_tag_ethertype_ = ethertype;
  return *this;
}
FrameBuilder& FrameBuilder::Ipv4(const Ipv4Address& source,
                                 const Ipv4Address& destination) {
  ipv6_ = false;
  source_ipv4_ = source;
  destination_ipv4_ = destination;
  return *this;
}
FrameBuilder& FrameBuilder::Ipv6(const Ipv6Address& source,
                                 const Ipv6Address& destination) {
  ipv6_ = true;
  source_ipv6_ = source;
  destination_ipv6_ = destination;
  return *this;
}
FrameBuilder& FrameBuilder::Ports(uint16_t source, uint16_t destination) {
  source_port_ = source;
  destination_port_ = destination;
  return *this;
}
FrameBuilder& FrameBuilder::Payload(std::string_view payload) {
  payload_.assign(payload.begin(), payload.end());
  return *this;
}
FrameBuilder& FrameBuilder::Payload(std::span<const uint8_t> payload) {
  payload_.assign(payload.begin(), payload.end());
  return *this;
}
FrameBuilder& FrameBuilder::Ttl(uint8_t ttl) {
  ttl_ = ttl;
  return *this;
}
FrameBuilder& FrameBuilder::Identification(uint16_t id) {
  identification_ = id;
  return *this;
}
FrameBuilder& FrameBuilder::DontFragment(bool df) {
  dont_fragment_ = df;
  return *this;
}
FrameBuilder& FrameBuilder::Ipv4Options(std::span<const uint8_t> options) {
  ipv4_options_.assign(options.begin(),
                       options.begin() + std::min(options.size(), kIpv4MaxOptionsLen));
  while (ipv4_options_.size() % 4 != 0) ipv4_options_.push_back(0);
  return *this;
}
FrameBuilder& FrameBuilder::EthernetPadding(size_t min_len, uint8_t fill) {
  padding_min_len_ = min_len;
  padding_fill_ = fill;
  return *this;
}
FrameBuilder& FrameBuilder::Fragment(bool more_fragments, uint16_t offset_units) {
  more_fragments_ = more_fragments;
  fragment_offset_ = offset_units & kIpv4FragmentOffsetMask;
  return *this;
}
FrameBuilder& FrameBuilder::IpProtocol(uint8_t protocol) {
  ip_protocol_ = protocol;
  return *this;
}
FrameBuilder& FrameBuilder::EtherType(uint16_t ethertype) {
  ethertype_ = ethertype;
  return *this;
}
FrameBuilder& FrameBuilder::IpVersionField(uint8_t version) {
  ip_version_ = version;
  return *this;
}
FrameBuilder& FrameBuilder::Ipv4HeaderLengthField(uint8_t ihl) {
  ihl_ = ihl;
  return *this;
}
FrameBuilder& FrameBuilder::IpLengthField(uint16_t length) {
  ip_length_ = length;
  return *this;
}
FrameBuilder& FrameBuilder::UdpLengthField(uint16_t length) {
  udp_length_ = length;
  return *this;
}
FrameBuilder& FrameBuilder::CorruptIpChecksum() {
  corrupt_ip_checksum_ = true;
  return *this;
}
FrameBuilder& FrameBuilder::CorruptUdpChecksum() {
  corrupt_udp_checksum_ = true;
  return *this;
}
FrameBuilder& FrameBuilder::TruncateTo(size_t frame_len) {
  truncate_to_ = frame_len;
  return *this;
}

std::vector<uint8_t> FrameBuilder::Build() const {
  std::vector<uint8_t> frame;
  frame.reserve(64 + ipv4_options_.size() + payload_.size());

  // Ethernet header and tags.
  PutBytes(frame, destination_mac_);
  PutBytes(frame, source_mac_);
  for (size_t i = 0; i < vlan_ids_.size(); ++i) {
    const bool outer_of_stack = i == 0 && vlan_ids_.size() > 1;
    PutBe16(frame, outer_of_stack ? outer_tag_ethertype_ : kEtherTypeVlan);
    PutBe16(frame, vlan_ids_[i]);  // PCP 0, DEI 0, VID
  }
  PutBe16(frame, ethertype_.value_or(ipv6_ ? kEtherTypeIpv6 : kEtherTypeIpv4));

  const uint16_t udp_len_real = static_cast<uint16_t>(kUdpHeaderLen + payload_.size());
  const uint16_t udp_len_field = udp_length_.value_or(udp_len_real);
  const uint8_t protocol = ip_protocol_.value_or(kIpProtoUdp);

  // IP header, and the part of the UDP pseudo header sum that depends on it.
  const size_t ip_offset = frame.size();
  uint32_t pseudo_sum = 0;
  if (!ipv6_) {
    const size_t header_len = kIpv4MinHeaderLen + ipv4_options_.size();
    const uint8_t ihl = ihl_.value_or(static_cast<uint8_t>(header_len / 4));
    frame.push_back(static_cast<uint8_t>((ip_version_.value_or(4) << 4) | (ihl & 0x0f)));
    frame.push_back(0);  // DSCP/ECN
    PutBe16(frame, ip_length_.value_or(static_cast<uint16_t>(header_len + udp_len_real)));
    PutBe16(frame, identification_);
    uint16_t flags_offset = fragment_offset_;
    if (dont_fragment_) flags_offset |= kIpv4DontFragment;
    if (more_fragments_) flags_offset |= kIpv4MoreFragments;
    PutBe16(frame, flags_offset);
    frame.push_back(ttl_);
    frame.push_back(protocol);
    PutBe16(frame, 0);  // checksum, filled below
    PutBytes(frame, source_ipv4_);
    PutBytes(frame, destination_ipv4_);
    frame.insert(frame.end(), ipv4_options_.begin(), ipv4_options_.end());
    uint16_t checksum =
        InternetChecksum(std::span<const uint8_t>(frame).subspan(ip_offset, header_len));
    if (corrupt_ip_checksum_) checksum = Corrupt(checksum);
    SetBe16(frame, ip_offset + 10, checksum);
    pseudo_sum = SumWords(source_ipv4_, pseudo_sum);
    pseudo_sum = SumWords(destination_ipv4_, pseudo_sum);
  } else {
    frame.push_back(static_cast<uint8_t>(ip_version_.value_or(6) << 4));
    frame.push_back(0);  // traffic class low bits, flow label
    PutBe16(frame, 0);
    PutBe16(frame, ip_length_.value_or(udp_len_real));
    frame.push_back(protocol);
    frame.push_back(ttl_);
    PutBytes(frame, source_ipv6_);
    PutBytes(frame, destination_ipv6_);
    pseudo_sum = SumWords(source_ipv6_, pseudo_sum);
    pseudo_sum = SumWords(destination_ipv6_, pseudo_sum);
  }
  pseudo_sum += kIpProtoUdp;
  pseudo_sum += udp_len_field;

  // UDP header and payload.
  const size_t udp_offset = frame.size();
  PutBe16(frame, source_port_);
  PutBe16(frame, destination_port_);
  PutBe16(frame, udp_len_field);
  PutBe16(frame, 0);  // checksum, filled below
  frame.insert(frame.end(), payload_.begin(), payload_.end());
  uint16_t udp_checksum =
      InternetChecksum(std::span<const uint8_t>(frame).subspan(udp_offset), pseudo_sum);
  if (udp_checksum == 0) udp_checksum = 0xffff;  // RFC 768: 0 means "none"
  if (corrupt_udp_checksum_) udp_checksum = Corrupt(udp_checksum);
  SetBe16(frame, udp_offset + 6, udp_checksum);

  if (frame.size() < padding_min_len_) frame.resize(padding_min_len_, padding_fill_);
  if (truncate_to_.has_value() && frame.size() > *truncate_to_) {
    frame.resize(*truncate_to_);
  }
  return frame;
}

std::vector<uint8_t> BuildArpRequest(const MacAddress& sender_mac,
                                     const Ipv4Address& sender_ip,
                                     const Ipv4Address& target_ip) {
  std::vector<uint8_t> frame;
  frame.reserve(kEthernetMinFrameLen);
  PutBytes(frame, MacAddress{0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  PutBytes(frame, sender_mac);
  PutBe16(frame, kEtherTypeArp);
  PutBe16(frame, 1);       // hardware type: Ethernet
  PutBe16(frame, 0x0800);  // protocol type: IPv4
  frame.push_back(6);      // hardware address length
  frame.push_back(4);      // protocol address length
  PutBe16(frame, 1);       // opcode: request
  PutBytes(frame, sender_mac);
  PutBytes(frame, sender_ip);
  PutBytes(frame, MacAddress{});  // target MAC unknown
  PutBytes(frame, target_ip);
  frame.resize(kEthernetMinFrameLen, 0);
  return frame;
}

}  // namespace firehose::pcapgen
