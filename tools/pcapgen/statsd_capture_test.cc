// Tests for StatsdCaptureGenerator: determinism per seed, the requested shape (packet
// and line counts, name population, type mix), and that every generated frame parses
// with the node's UDP parser and decodes with the statsd decoder without errors.
#include "tools/pcapgen/statsd_capture.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "node/decode/record_sink.h"
#include "node/decode/statsd_decoder.h"
#include "node/net/udp_parser.h"

namespace firehose::pcapgen {
namespace {

using decode::MetricType;

class Collector : public decode::RecordSink {
 public:
  void AddStatsd(const decode::StatsdRecord& r, const PacketMeta&) override {
    names.insert(std::string(r.name));
    ++types[r.type];
    if (r.sample_rate < 1.0f) ++sampled;
    if (r.flags & decode::kStatsdFlagGaugeDelta) ++deltas;
    if (r.tag_count > 0) ++tagged;
    ++records;
  }
  std::set<std::string> names;
  std::map<MetricType, int> types;
  int sampled = 0, deltas = 0, tagged = 0, records = 0;
};

std::vector<StatsdPacket> Generate(const StatsdCaptureOptions& options) {
  auto generator = StatsdCaptureGenerator::Create(options);
  EXPECT_TRUE(generator.ok()) << generator.status();
  std::vector<StatsdPacket> packets;
  for (int64_t i = 0; generator.ok() && i < options.packets; ++i) {
    packets.push_back(generator->Next());
  }
  return packets;
}

TEST(StatsdCaptureTest, SameSeedSameBytesOtherSeedOtherBytes) {
  StatsdCaptureOptions options;
  options.packets = 200;
  std::vector<StatsdPacket> a = Generate(options);
  std::vector<StatsdPacket> b = Generate(options);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].frame, b[i].frame) << i;
    ASSERT_EQ(a[i].unix_nanos, b[i].unix_nanos) << i;
  }
  options.seed = 2;
  std::vector<StatsdPacket> c = Generate(options);
  int differing = 0;
  for (size_t i = 0; i < a.size(); ++i) differing += a[i].payload != c[i].payload;
  EXPECT_GT(differing, 190);
}

TEST(StatsdCaptureTest, EveryFrameParsesAndDecodesCleanly) {
  StatsdCaptureOptions options;  // defaults: 4096 packets, 1500 names, 3 lines
  options.dst_port = 9125;
  std::vector<StatsdPacket> packets = Generate(options);
  ASSERT_EQ(packets.size(), 4096u);

  decode::StatsdDecoder decoder;
  Collector sink;
  std::set<uint16_t> source_ports;
  int64_t lines = 0;
  for (const StatsdPacket& p : packets) {
    net::UdpDatagram datagram;
    PacketMeta meta;
    ASSERT_EQ(net::ParseUdpFrame(p.frame.data(), p.frame.size(), &datagram, &meta), std::nullopt);
    ASSERT_EQ(
        std::string_view(reinterpret_cast<const char*>(datagram.payload), datagram.payload_len),
        p.payload);
    EXPECT_EQ(meta.destination_port, 9125);
    EXPECT_LE(p.payload.size(), options.max_payload);
    EXPECT_EQ(p.payload.back() != '\n', true);
    source_ports.insert(meta.source_port);
    decoder.Decode(p.payload, meta, sink);
    lines += p.lines;
  }
  EXPECT_EQ(decoder.total_errors(), 0u);
  EXPECT_EQ(lines, 4096 * 3);  // typical lines are short: no packet ends early
  EXPECT_EQ(sink.records, lines);
  EXPECT_EQ(source_ports.size(), 4u);
  // 12288 draws over 1500 names: all but a handful appear, none invented.
  EXPECT_GT(sink.names.size(), 1450u);
  EXPECT_LE(sink.names.size(), 1500u);
  EXPECT_EQ(sink.types.size(), 6u) << "every metric type appears";
  for (const auto& [type, count] : sink.types) EXPECT_GT(count, 300) << int(type);
  EXPECT_GT(sink.sampled, 500);
  EXPECT_GT(sink.deltas, 50);
  EXPECT_GT(sink.tagged, lines * 7 / 10);
  EXPECT_LT(sink.tagged, lines * 9 / 10);
  // Timestamps advance by the interval.
  EXPECT_EQ(packets[1].unix_nanos - packets[0].unix_nanos, options.interval_nanos);
}

TEST(StatsdCaptureTest, NamesLookReal) {
  auto generator = StatsdCaptureGenerator::Create(StatsdCaptureOptions());
  ASSERT_TRUE(generator.ok());
  ASSERT_EQ(generator->names().size(), 1500u);
  std::set<std::string> unique(generator->names().begin(), generator->names().end());
  EXPECT_EQ(unique.size(), 1500u);
  int service_style = 0;
  for (const std::string& name : generator->names()) {
    EXPECT_GE(std::count(name.begin(), name.end(), '.'), 2) << name;
    EXPECT_LE(name.size(), 80u) << name;
    service_style += name.find(".service_") != std::string::npos;
  }
  EXPECT_GT(service_style, 500);
  EXPECT_LT(service_style, 1000);
}

TEST(StatsdCaptureTest, MaxPayloadEndsPacketsEarly) {
  StatsdCaptureOptions options;
  options.packets = 100;
  options.lines_per_packet = 50;
  options.max_payload = 1472;
  int64_t lines = 0;
  for (const StatsdPacket& p : Generate(options)) {
    EXPECT_LE(p.payload.size(), 1472u);
    EXPECT_GE(p.lines, 10);
    EXPECT_LT(p.lines, 50);
    EXPECT_EQ(std::count(p.payload.begin(), p.payload.end(), '\n'), p.lines - 1);
    lines += p.lines;
  }
  EXPECT_GT(lines, 1000);
}

TEST(StatsdCaptureTest, RejectsBadOptions) {
  StatsdCaptureOptions options;
  options.names = 0;
  EXPECT_FALSE(StatsdCaptureGenerator::Create(options).ok());
  options = StatsdCaptureOptions();
  options.lines_per_packet = 0;
  EXPECT_FALSE(StatsdCaptureGenerator::Create(options).ok());
  options = StatsdCaptureOptions();
  options.packets = -1;
  EXPECT_FALSE(StatsdCaptureGenerator::Create(options).ok());
  options = StatsdCaptureOptions();
  options.max_payload = 10;
  EXPECT_FALSE(StatsdCaptureGenerator::Create(options).ok());
}

TEST(StatsdCapturePayloadsTest, ThePayloadsTheGeneratorWouldGiveInOrder) {
  StatsdCaptureOptions options;
  options.packets = 50;
  absl::StatusOr<std::vector<std::string>> payloads = StatsdCapturePayloads(options);
  ASSERT_TRUE(payloads.ok()) << payloads.status();
  ASSERT_EQ(payloads->size(), 50u);
  absl::StatusOr<StatsdCaptureGenerator> generator = StatsdCaptureGenerator::Create(options);
  ASSERT_TRUE(generator.ok());
  for (const std::string& payload : *payloads) EXPECT_EQ(payload, generator->Next().payload);

  options.lines_per_packet = 0;
  EXPECT_EQ(StatsdCapturePayloads(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace firehose::pcapgen
