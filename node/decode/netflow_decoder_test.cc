// Tests for NetflowDecoder: v5 records field by field, v9 and IPFIX templates, options
// (sampling), withdrawal, variable-length and enterprise fields, cache keys, export and
// import, and every error reason with the accounting invariant checked per packet.
#include "node/decode/netflow_decoder.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "node/decode/flow_packet_builder.h"
#include "node/decode/record_sink.h"

namespace firehose::decode {
namespace {

using testing::BuildV5;
using testing::FlowPacketBuilder;
using testing::V5Flow;

struct Flow {
  FlowRecord r;
  std::vector<std::pair<uint32_t, std::string>> enterprise;  // (pen<<16|id, value)
};

class FlowSink : public RecordSink {
 public:
  void AddStatsd(const StatsdRecord&, const PacketMeta&) override { ADD_FAILURE(); }
  void AddFlow(const FlowRecord& r, const PacketMeta&) override {
    Flow f;
    f.r = r;
    for (int i = 0; i < r.enterprise_count; ++i) {
      f.enterprise.emplace_back(r.enterprise[i].enterprise << 16 | r.enterprise[i].element,
                                std::string(r.enterprise[i].value));
      f.r.enterprise[i].value = {};  // the view dies with the packet
    }
    flows.push_back(f);
  }
  std::vector<Flow> flows;
};

PacketMeta Sender(uint8_t last_octet) {
  PacketMeta meta;
  const uint8_t addr[4] = {192, 0, 2, last_octet};
  std::memcpy(meta.source_address, addr, 4);
  meta.source_address_len = 4;
  meta.source_port = 9995;
  return meta;
}

// Per-packet deltas of every counter.
struct Delta {
  std::vector<Flow> flows;
  uint64_t records = 0;
  uint64_t errors[kNetflowErrorCount] = {};
  uint64_t total_errors = 0;
  uint64_t learned = 0, withdrawn = 0, options = 0;
};

Delta Decode(NetflowDecoder& d, const std::string& packet, const PacketMeta& meta = Sender(1)) {
  // Exact-size heap copy so ASan sees any over-read.
  std::unique_ptr<char[]> copy(new char[packet.size() + 1]);
  std::memcpy(copy.get(), packet.data(), packet.size());
  Delta before;
  before.records = d.records();
  for (int i = 0; i < kNetflowErrorCount; ++i) before.errors[i] = d.errors(i);
  before.learned = d.templates_learned();
  before.withdrawn = d.templates_withdrawn();
  before.options = d.options_records();
  FlowSink sink;
  d.Decode(std::string_view(copy.get(), packet.size()), meta, sink);
  Delta out;
  out.flows = std::move(sink.flows);
  out.records = d.records() - before.records;
  for (int i = 0; i < kNetflowErrorCount; ++i) {
    out.errors[i] = d.errors(i) - before.errors[i];
    out.total_errors += out.errors[i];
  }
  out.learned = d.templates_learned() - before.learned;
  out.withdrawn = d.templates_withdrawn() - before.withdrawn;
  out.options = d.options_records() - before.options;
  EXPECT_EQ(out.records, out.flows.size());
  EXPECT_GE(out.records + out.total_errors + out.learned + out.withdrawn + out.options, 1u)
      << "a packet moved no counter";
  return out;
}

uint64_t ErrorsOf(const Delta& d, NetflowError e) { return d.errors[static_cast<int>(e)]; }

std::string V4(const uint8_t* addr16) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%d.%d.%d.%d", addr16[12], addr16[13], addr16[14],
                addr16[15]);
  return buf;
}

TEST(NetflowDecoderTest, V5RecordsFieldByField) {
  V5Flow f;
  f.src = 0x0a000001;
  f.dst = 0x0a000002;
  f.next_hop = 0x0a0000fe;
  f.input = 3;
  f.output = 4;
  f.packets = 10;
  f.bytes = 1500;
  f.first = 90000;  // 10 s before the export (uptime 100 s)
  f.last = 99000;
  f.src_port = 12345;
  f.dst_port = 443;
  f.tcp_flags = 0x1b;
  f.protocol = 6;
  f.tos = 0x28;
  f.src_as = 64500;
  f.dst_as = 64501;
  V5Flow g = f;
  g.protocol = 17;
  NetflowDecoder d;
  Delta out = Decode(d, BuildV5(100000, 1700000000, 500000000, 1, 2, 0x4000 | 100, {f, g}));
  ASSERT_EQ(out.flows.size(), 2u);
  const FlowRecord& r = out.flows[0].r;
  EXPECT_EQ(r.version, 5);
  EXPECT_EQ(r.ip_version, 4);
  EXPECT_EQ(V4(r.src_address), "10.0.0.1");
  EXPECT_EQ(V4(r.dst_address), "10.0.0.2");
  EXPECT_EQ(V4(r.next_hop), "10.0.0.254");
  EXPECT_EQ(r.src_address[10], 0xff);  // IPv4-mapped
  EXPECT_EQ(r.input_interface, 3u);
  EXPECT_EQ(r.output_interface, 4u);
  EXPECT_EQ(r.packets, 10u);
  EXPECT_EQ(r.bytes, 1500u);
  EXPECT_EQ(r.start_unix_millis, 1700000000500u - 10000);
  EXPECT_EQ(r.end_unix_millis, 1700000000500u - 1000);
  EXPECT_EQ(r.src_port, 12345);
  EXPECT_EQ(r.dst_port, 443);
  EXPECT_EQ(r.tcp_flags, 0x1b);
  EXPECT_EQ(r.protocol, 6);
  EXPECT_EQ(r.tos, 0x28);
  EXPECT_EQ(r.src_as, 64500u);
  EXPECT_EQ(r.dst_as, 64501u);
  EXPECT_EQ(r.observation_domain, 0x0102u);
  EXPECT_EQ(r.sampling_interval, 100u);
  EXPECT_EQ(r.flags, kFlowFlagUptimeRelative);
  EXPECT_EQ(out.flows[1].r.protocol, 17);
}

TEST(NetflowDecoderTest, V5MalformedPackets) {
  NetflowDecoder d;
  std::string ok = BuildV5(1, 1, 0, 0, 0, 0, {V5Flow()});
  EXPECT_EQ(ErrorsOf(Decode(d, ok.substr(0, 23)), NetflowError::kTruncatedHeader), 1u);
  EXPECT_EQ(ErrorsOf(Decode(d, ok.substr(0, ok.size() - 1)), NetflowError::kBadPacketLength),
            1u);
  EXPECT_EQ(ErrorsOf(Decode(d, ok + "x"), NetflowError::kBadPacketLength), 1u);
  EXPECT_EQ(ErrorsOf(Decode(d, BuildV5(1, 1, 0, 0, 0, 0, {})), NetflowError::kBadPacketLength),
            1u);
  EXPECT_EQ(ErrorsOf(Decode(d, std::string("\x00\x07", 2)), NetflowError::kUnsupportedVersion),
            1u);
  EXPECT_EQ(ErrorsOf(Decode(d, std::string("\x00", 1)), NetflowError::kTruncatedHeader), 1u);
  EXPECT_EQ(d.records(), 0u);
}

// A v9 template 256: src/dst IPv4, ports, proto, bytes, packets, start/end uptime.
FlowPacketBuilder& V9Template(FlowPacketBuilder& b) {
  return b.BeginSet(0)
      .Template(256, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 4}, {2, 4}, {22, 4},
                      {21, 4}})
      .EndSet();
}

FlowPacketBuilder& V9Record(FlowPacketBuilder& b, uint8_t host, uint32_t bytes) {
  return b.Ipv4(10, 1, 0, host).Ipv4(10, 2, 0, 1).U16(5000).U16(53).U8(17).U32(bytes)
      .U32(2).U32(50000).U32(59000);
}

TEST(NetflowDecoderTest, V9DataBeforeTemplateIsTemplateMissingThenDecodes) {
  NetflowDecoder d;
  FlowPacketBuilder data = FlowPacketBuilder::V9(60000, 1700000000, 1, 7);
  data.BeginSet(256);
  V9Record(data, 1, 100);
  V9Record(data, 2, 200);
  data.Pad(2).EndSet();
  Delta early = Decode(d, data.Finish());
  EXPECT_EQ(ErrorsOf(early, NetflowError::kTemplateMissing), 1u);
  EXPECT_EQ(early.total_errors, 1u);
  EXPECT_TRUE(early.flows.empty());

  FlowPacketBuilder tmpl = FlowPacketBuilder::V9(60000, 1700000000, 2, 7);
  Delta learned = Decode(d, V9Template(tmpl).Finish());
  EXPECT_EQ(learned.learned, 1u);
  EXPECT_EQ(d.cache().size(), 1u);

  Delta later = Decode(d, data.Finish());
  EXPECT_EQ(later.total_errors, 0u);  // the 2 zero bytes are padding
  ASSERT_EQ(later.flows.size(), 2u);
  const FlowRecord& r = later.flows[1].r;
  EXPECT_EQ(r.version, 9);
  EXPECT_EQ(r.observation_domain, 7u);
  EXPECT_EQ(V4(r.src_address), "10.1.0.2");
  EXPECT_EQ(r.src_port, 5000);
  EXPECT_EQ(r.dst_port, 53);
  EXPECT_EQ(r.protocol, 17);
  EXPECT_EQ(r.bytes, 200u);
  EXPECT_EQ(r.packets, 2u);
  EXPECT_EQ(r.start_unix_millis, 1700000000000u - 10000);
  EXPECT_EQ(r.end_unix_millis, 1700000000000u - 1000);

  // Another exporter, or the same exporter with another source id, has no template.
  EXPECT_EQ(ErrorsOf(Decode(d, data.Finish(), Sender(2)), NetflowError::kTemplateMissing), 1u);
  FlowPacketBuilder other = FlowPacketBuilder::V9(60000, 1700000000, 1, 8);
  other.BeginSet(256);
  V9Record(other, 1, 1);
  EXPECT_EQ(ErrorsOf(Decode(d, other.EndSet().Finish()), NetflowError::kTemplateMissing), 1u);
}

TEST(NetflowDecoderTest, V9OptionsSamplingAppliesToLaterFlows) {
  NetflowDecoder d;
  FlowPacketBuilder b = FlowPacketBuilder::V9(60000, 1700000000, 1, 7);
  V9Template(b);
  // Options template 300: scope system (1) 4 bytes; sampling interval (34) 4, algo (35) 1.
  b.BeginSet(1).U16(300).U16(4).U16(8).U16(1).U16(4).U16(34).U16(4).U16(35).U16(1).Pad(2)
      .EndSet();
  b.BeginSet(300).U32(0).U32(512).U8(2).Pad(3).EndSet();
  b.BeginSet(256);
  V9Record(b, 1, 100);
  b.EndSet();
  Delta out = Decode(d, b.Finish());
  EXPECT_EQ(out.total_errors, 0u);
  EXPECT_EQ(out.learned, 2u);
  EXPECT_EQ(out.options, 1u);
  ASSERT_EQ(out.flows.size(), 1u);
  EXPECT_EQ(out.flows[0].r.sampling_interval, 512u);
}

TEST(NetflowDecoderTest, IpfixIpv6VariableLengthAndEnterpriseFields) {
  NetflowDecoder d;
  FlowPacketBuilder b = FlowPacketBuilder::Ipfix(1700000100, 1, 42);
  // Template 400: src/dst IPv6, next hop v6, ports, proto, octets (8), packets (8),
  // start/end millis, in/out if, AS, a variable-length IANA field (82 interfaceName), and
  // an enterprise field 29305/1 of variable length and 9/7 of 2 bytes.
  b.BeginSet(2)
      .U16(400).U16(17)
      .U16(27).U16(16).U16(28).U16(16).U16(62).U16(16).U16(7).U16(2).U16(11).U16(2)
      .U16(4).U16(1).U16(1).U16(8).U16(2).U16(8).U16(152).U16(8).U16(153).U16(8)
      .U16(10).U16(4).U16(14).U16(4).U16(16).U16(4).U16(17).U16(4).U16(82).U16(65535)
      .U16(0x8001).U16(65535).U32(29305).U16(0x8007).U16(2).U32(9)
      .EndSet();
  const std::string src("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
  const std::string dst("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
  b.BeginSet(400)
      .Bytes(src).Bytes(dst).Bytes(dst).U16(443).U16(50000).U8(6).U64(1ull << 40).U64(7)
      .U64(1700000000123).U64(1700000000456).U32(11).U32(12).U32(4200000000u).U32(65000)
      .U8(4).Bytes("eth0")  // short varlen
      .U8(255).U16(3).Bytes("abc")  // long-form varlen
      .U16(0xbeef)
      .EndSet();
  Delta out = Decode(d, b.Finish());
  EXPECT_EQ(out.total_errors, 0u);
  ASSERT_EQ(out.flows.size(), 1u);
  const Flow& f = out.flows[0];
  EXPECT_EQ(f.r.version, 10);
  EXPECT_EQ(f.r.ip_version, 6);
  EXPECT_EQ(f.r.observation_domain, 42u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.r.src_address), 16), src);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.r.dst_address), 16), dst);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.r.next_hop), 16), dst);
  EXPECT_EQ(f.r.bytes, 1ull << 40);
  EXPECT_EQ(f.r.packets, 7u);
  EXPECT_EQ(f.r.start_unix_millis, 1700000000123u);
  EXPECT_EQ(f.r.end_unix_millis, 1700000000456u);
  EXPECT_EQ(f.r.input_interface, 11u);
  EXPECT_EQ(f.r.output_interface, 12u);
  EXPECT_EQ(f.r.src_as, 4200000000u);
  EXPECT_EQ(f.r.dst_as, 65000u);
  EXPECT_EQ(f.r.flags, 0u);
  ASSERT_EQ(f.enterprise.size(), 2u);
  EXPECT_EQ(f.enterprise[0], std::make_pair(29305u << 16 | 1, std::string("abc")));
  EXPECT_EQ(f.enterprise[1], std::make_pair(9u << 16 | 7, std::string("\xbe\xef")));
}

// IPFIX template 500 (src, dst IPv4, octets) and a data set with `records` records.
std::string IpfixTemplate(uint32_t domain) {
  return FlowPacketBuilder::Ipfix(1700000000, 1, domain)
      .BeginSet(2).Template(500, {{8, 4}, {12, 4}, {1, 4}}).EndSet()
      .Finish();
}
std::string IpfixData(uint32_t domain, int records) {
  FlowPacketBuilder b = FlowPacketBuilder::Ipfix(1700000000, 2, domain);
  b.BeginSet(500);
  for (int i = 0; i < records; ++i) b.Ipv4(10, 0, 0, 1).Ipv4(10, 0, 0, 2).U32(i);
  return b.EndSet().Finish();
}

TEST(NetflowDecoderTest, IpfixWithdrawalOneAndAll) {
  NetflowDecoder d;
  Decode(d, IpfixTemplate(1));
  EXPECT_EQ(Decode(d, IpfixData(1, 3)).flows.size(), 3u);
  Delta w = Decode(d, FlowPacketBuilder::Ipfix(1, 3, 1).BeginSet(2).U16(500).U16(0).EndSet()
                          .Finish());
  EXPECT_EQ(w.withdrawn, 1u);
  EXPECT_EQ(d.cache().size(), 0u);
  EXPECT_EQ(ErrorsOf(Decode(d, IpfixData(1, 1)), NetflowError::kTemplateMissing), 1u);

  // Withdraw-all (template id 2) removes every data template of this domain only.
  Decode(d, IpfixTemplate(1));
  Decode(d, IpfixTemplate(2));
  ASSERT_EQ(d.cache().size(), 2u);
  Delta all = Decode(d, FlowPacketBuilder::Ipfix(1, 4, 1).BeginSet(2).U16(2).U16(0).EndSet()
                            .Finish());
  EXPECT_EQ(all.withdrawn, 1u);
  EXPECT_EQ(d.cache().size(), 1u);
  EXPECT_EQ(Decode(d, IpfixData(2, 1)).flows.size(), 1u);
}

TEST(NetflowDecoderTest, ExportImportLetsAFreshDecoderDecodeAtOnce) {
  NetflowDecoder active;
  Decode(active, IpfixTemplate(9));
  FlowPacketBuilder v9 = FlowPacketBuilder::V9(1, 1, 1, 3);
  Decode(active, V9Template(v9).Finish(), Sender(7));
  const std::string bytes = active.ExportTemplates();

  NetflowDecoder standby;
  ASSERT_TRUE(standby.ImportTemplates(bytes).ok());
  EXPECT_EQ(standby.cache().size(), 2u);
  EXPECT_EQ(standby.ExportTemplates(), bytes);
  EXPECT_EQ(Decode(standby, IpfixData(9, 2)).flows.size(), 2u);

  // Every truncation and a corrupted magic are rejected and leave the cache empty.
  for (size_t len = 0; len < bytes.size(); ++len) {
    NetflowDecoder broken;
    EXPECT_FALSE(broken.ImportTemplates(bytes.substr(0, len)).ok()) << len;
    EXPECT_EQ(broken.cache().size(), 0u);
  }
  std::string bad = bytes;
  bad[0] = 'X';
  EXPECT_FALSE(standby.ImportTemplates(bad).ok());
  EXPECT_EQ(standby.cache().size(), 0u);
  EXPECT_FALSE(standby.ImportTemplates(bytes + "z").ok());
}

// Regression (found by tools/fuzz.sh): a v9 template may use element ids >= 0x8000 and
// the fixed length 65535, which IPFIX would read as enterprise bit and variable length.
// The export must import again, or a standby would refuse the active's cache.
TEST(NetflowDecoderTest, V9TemplatesThatLookLikeIpfixSpecialsSurviveExport) {
  NetflowDecoder d;
  Delta out = Decode(d, FlowPacketBuilder::V9(1, 1, 1, 1).BeginSet(0)
                            .Template(260, {{0x8001, 4}, {9, 65535}}).EndSet().Finish());
  EXPECT_EQ(out.learned, 1u);
  NetflowDecoder standby;
  EXPECT_TRUE(standby.ImportTemplates(d.ExportTemplates()).ok());
  EXPECT_EQ(standby.cache().size(), 1u);
}

TEST(NetflowDecoderTest, SetAndRecordErrors) {
  NetflowDecoder d;
  Decode(d, IpfixTemplate(1));
  // A record cut short by the set end (non-zero leftover bytes).
  std::string data = FlowPacketBuilder::Ipfix(1, 1, 1).BeginSet(500)
                         .Ipv4(1, 1, 1, 1).Ipv4(2, 2, 2, 2).U32(1).Ipv4(3, 3, 3, 3).EndSet()
                         .Finish();
  Delta cut = Decode(d, data);
  EXPECT_EQ(cut.flows.size(), 1u);
  EXPECT_EQ(ErrorsOf(cut, NetflowError::kTruncatedRecord), 1u);
  // A set longer than the message.
  std::string longset = FlowPacketBuilder::Ipfix(1, 1, 1).U16(500).U16(200).U32(0).Finish();
  EXPECT_EQ(ErrorsOf(Decode(d, longset), NetflowError::kBadSetLength), 1u);
  // Reserved set id 4..255.
  EXPECT_EQ(ErrorsOf(Decode(d, FlowPacketBuilder::Ipfix(1, 1, 1).BeginSet(7).U32(0).EndSet()
                                   .Finish()),
                     NetflowError::kReservedSetId),
            1u);
  // IPFIX header length disagreeing with the datagram; an empty message.
  std::string t = IpfixTemplate(1);
  EXPECT_EQ(ErrorsOf(Decode(d, t + std::string(1, '\0')), NetflowError::kBadPacketLength), 1u);
  EXPECT_EQ(ErrorsOf(Decode(d, FlowPacketBuilder::Ipfix(1, 1, 1).Finish()),
                     NetflowError::kEmptyMessage),
            1u);
  EXPECT_EQ(ErrorsOf(Decode(d, t.substr(0, 15)), NetflowError::kTruncatedHeader), 1u);
  // Templates: id below 256, zero-length field, more fields than the set holds.
  EXPECT_EQ(ErrorsOf(Decode(d, FlowPacketBuilder::Ipfix(1, 1, 1).BeginSet(2)
                                   .Template(255, {{8, 4}}).EndSet().Finish()),
                     NetflowError::kBadTemplate),
            1u);
  EXPECT_EQ(ErrorsOf(Decode(d, FlowPacketBuilder::Ipfix(1, 1, 1).BeginSet(2)
                                   .Template(600, {{8, 0}}).EndSet().Finish()),
                     NetflowError::kBadTemplate),
            1u);
  EXPECT_EQ(ErrorsOf(Decode(d, FlowPacketBuilder::Ipfix(1, 1, 1).BeginSet(2).U16(600)
                                   .U16(3).U16(8).U16(4).EndSet().Finish()),
                     NetflowError::kBadTemplate),
            1u);
}

TEST(NetflowDecoderTest, TemplateCacheFullIsCounted) {
  NetflowDecoder d(/*template_capacity=*/2);
  FlowPacketBuilder b = FlowPacketBuilder::Ipfix(1, 1, 1);
  b.BeginSet(2);
  for (uint16_t id = 256; id < 259; ++id) b.Template(id, {{8, 4}});
  Delta out = Decode(d, b.EndSet().Finish());
  EXPECT_EQ(out.learned, 2u);
  EXPECT_EQ(ErrorsOf(out, NetflowError::kTemplateCacheFull), 1u);
  // Re-sending a known template still works when full (it replaces itself).
  EXPECT_EQ(Decode(d, FlowPacketBuilder::Ipfix(1, 1, 1).BeginSet(2).Template(256, {{12, 4}})
                          .EndSet().Finish())
                .learned,
            1u);
}

TEST(NetflowDecoderTest, IpfixUptimeFieldsUseSystemInitTime) {
  NetflowDecoder d;
  FlowPacketBuilder b = FlowPacketBuilder::Ipfix(1700000000, 1, 1);
  b.BeginSet(2).Template(700, {{160, 8}, {22, 4}, {21, 4}}).EndSet();
  b.BeginSet(700).U64(1690000000000ull).U32(1000).U32(2000).EndSet();
  b.BeginSet(2).Template(701, {{22, 4}}).EndSet();
  b.BeginSet(701).U32(5).EndSet();
  Delta out = Decode(d, b.Finish());
  ASSERT_EQ(out.flows.size(), 2u);
  EXPECT_EQ(out.flows[0].r.start_unix_millis, 1690000001000u);
  EXPECT_EQ(out.flows[0].r.end_unix_millis, 1690000002000u);
  EXPECT_EQ(out.flows[1].r.start_unix_millis, 0u);  // no init time known: unknown
}

}  // namespace
}  // namespace firehose::decode
