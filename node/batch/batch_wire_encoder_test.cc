// Tests BatchBuilder::EncodeResponse against protobuf itself: for statsd, flow,
// line-protocol and mixed batches, an empty one and randomized ones, the encoder's bytes
// must equal ToProto + header + SerializeAsString byte for byte, and parse back to the
// same message.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "google/protobuf/util/field_comparator.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "node/batch/batch_builder.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::batch {
namespace {

using decode::FieldType;
using decode::FlowRecord;
using decode::LinePoint;
using decode::MetricType;
using decode::StatsdRecord;

v1::SubscribeResponse Reference(const BatchBuilder& builder, const BatchHeader& header) {
  v1::SubscribeResponse response;
  v1::Batch* batch = response.mutable_batch();
  builder.ToProto(batch);
  batch->set_node_id(std::string(header.node_id));
  batch->set_epoch(header.epoch);
  batch->set_seq(header.seq);
  return response;
}

// The encoder's output equals protobuf's serialisation and parses back unchanged.
void ExpectEncodesLikeProtobuf(const BatchBuilder& builder, const BatchHeader& header) {
  std::string got = "left over from an earlier batch";
  builder.EncodeResponse(header, &got);
  const v1::SubscribeResponse reference = Reference(builder, header);
  const std::string want = reference.SerializeAsString();
  ASSERT_EQ(got.size(), want.size());
  const auto diff = std::mismatch(got.begin(), got.end(), want.begin());
  ASSERT_TRUE(diff.first == got.end())
      << "first difference at byte " << (diff.first - got.begin()) << " of " << got.size();
  v1::SubscribeResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(got));
  // Exact values, but a NaN equals itself (the bytes above already matched bit for bit).
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  std::string report;
  differencer.ReportDifferencesToString(&report);
  EXPECT_TRUE(differencer.Compare(parsed, reference)) << report;
}

PacketMeta V4(uint8_t last_octet, uint16_t port, int64_t nanos) {
  PacketMeta meta;
  meta.receive_unix_nanos = nanos;
  meta.source_address[0] = 192;
  meta.source_address[1] = 0;
  meta.source_address[2] = 2;
  meta.source_address[3] = last_octet;
  meta.source_address_len = 4;
  meta.source_port = port;
  return meta;
}

PacketMeta V6(uint8_t last_byte, uint16_t port, int64_t nanos) {
  PacketMeta meta;
  meta.receive_unix_nanos = nanos;
  meta.source_address[0] = 0x20;
  meta.source_address[1] = 0x01;
  meta.source_address[2] = 0x0d;
  meta.source_address[3] = 0xb8;
  meta.source_address[15] = last_byte;
  meta.source_address_len = 16;
  meta.source_port = port;
  return meta;
}

const BatchHeader kHeader{"node-a", 7, 123456};

void AddStatsdVariety(BatchBuilder& b) {
  StatsdRecord counter;
  counter.name = "api.requests";
  counter.value = 3;
  counter.sample_rate = 0.25f;
  counter.tag_count = 2;
  counter.tags[0] = "env:prod";
  counter.tags[1] = "region:eu-west-1";
  ASSERT_EQ(b.AddStatsd(counter, V4(7, 40000, 1'700'000'000'000'000'000)), AddResult::kAdded);

  StatsdRecord set;
  set.name = "users.unique";
  set.type = MetricType::kSet;
  set.text = "user-42";
  set.container_id = "83c1a2b4e5f6";
  set.timestamp_unix_seconds = 1'700'000'123;
  set.tag_count = 1;
  set.tags[0] = "env:prod";
  ASSERT_EQ(b.AddStatsd(set, V6(9, 51234, 1'700'000'000'000'000'500)), AddResult::kAdded);

  StatsdRecord gauge;
  gauge.name = "queue.depth";
  gauge.type = MetricType::kGauge;
  gauge.value = -12.5;
  gauge.flags = decode::kStatsdFlagGaugeDelta;
  // Received before the first record: offsets are from the earliest receive time.
  ASSERT_EQ(b.AddStatsd(gauge, V4(7, 40000, 1'699'999'999'999'999'000)), AddResult::kAdded);

  StatsdRecord timer;
  timer.name = "api.latency";
  timer.type = MetricType::kTimer;
  timer.value = std::numeric_limits<double>::quiet_NaN();
  timer.sample_rate = 1e-6f;
  timer.timestamp_unix_seconds = std::numeric_limits<uint64_t>::max();
  ASSERT_EQ(b.AddStatsd(timer, V4(8, 0, 1'700'000'000'000'000'001)), AddResult::kAdded);

  StatsdRecord distribution;
  distribution.name = "api.requests";  // a name already in the dictionary
  distribution.type = MetricType::kDistribution;
  distribution.value = 0;
  distribution.sample_rate = 0;
  PacketMeta no_address = V4(0, 9, 1'700'000'000'000'000'002);
  no_address.source_address_len = 0;
  ASSERT_EQ(b.AddStatsd(distribution, no_address), AddResult::kAdded);

  StatsdRecord histogram;
  histogram.name = "h";
  histogram.type = MetricType::kHistogram;
  histogram.value = 1e300;
  histogram.tag_count = 3;
  histogram.tags[0] = "a";
  histogram.tags[1] = "region:eu-west-1";
  histogram.tags[2] = "b";
  ASSERT_EQ(b.AddStatsd(histogram, V6(200, 65535, 1'700'000'000'000'000'003)), AddResult::kAdded);
}

FlowRecord Flow(uint8_t version, uint8_t ip_version, uint32_t seed) {
  FlowRecord f;
  f.version = version;
  f.ip_version = ip_version;
  f.protocol = 6;
  f.tcp_flags = 0x1b;
  f.tos = 0xb8;
  f.src_port = 443;
  f.dst_port = static_cast<uint16_t>(50000 + seed);
  f.observation_domain = 300 + seed;
  f.input_interface = 2;
  f.output_interface = 0;
  f.src_as = 64512;
  f.dst_as = 4'200'000'000u;
  f.sampling_interval = seed % 2 == 0 ? 0 : 1000;
  f.flags = decode::kFlowFlagUptimeRelative;
  f.bytes = uint64_t{1} << 40;
  f.packets = 1000 + seed;
  f.start_unix_millis = 1'700'000'000'000;
  f.end_unix_millis = 1'700'000'001'500;
  if (ip_version == 4) {
    const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
    std::memcpy(f.src_address, mapped, 16);
    std::memcpy(f.dst_address, mapped, 16);
    f.dst_address[15] = static_cast<uint8_t>(seed);
  } else if (ip_version == 6) {
    f.src_address[0] = 0x20;
    f.src_address[1] = 0x01;
    f.dst_address[0] = 0xfe;
    f.next_hop[15] = 1;
  }
  return f;
}

void AddFlows(BatchBuilder& b) {
  FlowRecord ipfix = Flow(10, 6, 1);
  ipfix.enterprise_count = 2;
  ipfix.enterprise[0] = {29305, 12, std::string_view("\x01\x02\x03\x04", 4)};
  ipfix.enterprise[1] = {9, 1000, std::string_view("\x00\xff", 2)};
  ipfix.flags |= decode::kFlowFlagEnterpriseTruncated;
  ASSERT_EQ(b.AddFlow(ipfix, V6(1, 4739, 2'000'000'000'000'000'000)), AddResult::kAdded);
  ASSERT_EQ(b.AddFlow(Flow(5, 4, 2), V4(1, 2055, 2'000'000'000'000'000'010)), AddResult::kAdded);
  FlowRecord empty_value = Flow(9, 0, 3);  // no addresses, an enterprise field of 0 bytes
  empty_value.enterprise_count = 1;
  // Empty but not null, as a decoder's view into a packet is (AddFlow memcpys it).
  empty_value.enterprise[0] = {1, 2, std::string_view("", 0)};
  ASSERT_EQ(b.AddFlow(empty_value, V4(2, 2055, 2'000'000'000'000'000'005)), AddResult::kAdded);
}

LinePoint Point(std::string_view measurement, int64_t timestamp, bool has_timestamp) {
  LinePoint p;
  p.measurement = measurement;
  p.timestamp_unix_nanos = timestamp;
  p.has_timestamp = has_timestamp;
  return p;
}

void AddLinePoints(BatchBuilder& b) {
  LinePoint cpu = Point("cpu", 1'700'000'000'000'000'000, true);
  cpu.tag_count = 2;
  cpu.tags[0] = {"host", "web-1"};
  cpu.tags[1] = {"region", "eu"};
  cpu.field_count = 5;
  cpu.fields[0].key = "usage";
  cpu.fields[0].type = FieldType::kFloat;
  cpu.fields[0].float_value = 0.64;
  cpu.fields[1].key = "count";
  cpu.fields[1].type = FieldType::kInteger;
  cpu.fields[1].int_value = -42;
  cpu.fields[2].key = "bytes";
  cpu.fields[2].type = FieldType::kUnsigned;
  cpu.fields[2].uint_value = std::numeric_limits<uint64_t>::max();
  cpu.fields[3].key = "state";
  cpu.fields[3].type = FieldType::kString;
  cpu.fields[3].string_value = "running";
  cpu.fields[4].key = "up";
  cpu.fields[4].type = FieldType::kBoolean;
  cpu.fields[4].bool_value = true;
  ASSERT_EQ(b.AddLinePoint(cpu, V4(3, 8089, 3'000'000'000'000'000'000)), AddResult::kAdded);

  // No timestamp, a negative one's neighbour, zero-valued fields of every type.
  LinePoint zeros = Point("mem", 3'000'000'000'000'000'001, false);
  const FieldType types[] = {FieldType::kFloat,  FieldType::kInteger, FieldType::kUnsigned,
                             FieldType::kString, FieldType::kBoolean, FieldType::kFloat};
  zeros.field_count = 6;
  for (int i = 0; i < 6; ++i) {
    zeros.fields[i].key = i % 2 == 0 ? "v" : "w";
    zeros.fields[i].type = types[i];
  }
  zeros.fields[5].float_value = -0.0;
  ASSERT_EQ(b.AddLinePoint(zeros, V6(3, 8089, 3'000'000'000'000'000'001)), AddResult::kAdded);

  LinePoint old = Point("disk", -1'000'000'000, true);  // before 1970
  old.field_count = 1;
  old.fields[0].key = "free";
  old.fields[0].type = FieldType::kInteger;
  old.fields[0].int_value = std::numeric_limits<int64_t>::min();
  ASSERT_EQ(b.AddLinePoint(old, V4(3, 8089, 3'000'000'000'000'000'002)), AddResult::kAdded);
}

TEST(BatchWireEncoderTest, StatsdBatchMatchesProtobuf) {
  BatchBuilder b(BatchLimits{64, 64 * 1024});
  b.set_queue_id(5);
  AddStatsdVariety(b);
  ExpectEncodesLikeProtobuf(b, kHeader);
}

TEST(BatchWireEncoderTest, FlowBatchMatchesProtobuf) {
  BatchBuilder b(BatchLimits{64, 64 * 1024});
  AddFlows(b);
  ExpectEncodesLikeProtobuf(b, kHeader);
}

TEST(BatchWireEncoderTest, LineProtocolBatchMatchesProtobuf) {
  BatchBuilder b(BatchLimits{64, 64 * 1024});
  b.set_queue_id(1);
  AddLinePoints(b);
  ExpectEncodesLikeProtobuf(b, kHeader);
}

TEST(BatchWireEncoderTest, MixedBatchMatchesProtobuf) {
  BatchBuilder b(BatchLimits{64, 64 * 1024});
  b.set_queue_id(65535);
  AddLinePoints(b);
  AddFlows(b);
  AddStatsdVariety(b);
  ExpectEncodesLikeProtobuf(b, kHeader);
  // Every header field at its proto3 default, and at its widest.
  ExpectEncodesLikeProtobuf(b, BatchHeader{});
  ExpectEncodesLikeProtobuf(
      b, BatchHeader{std::string(300, 'n'), std::numeric_limits<uint64_t>::max(), 1});
}

TEST(BatchWireEncoderTest, EmptyAndClearedBuildersMatchProtobuf) {
  BatchBuilder b(BatchLimits{64, 64 * 1024});
  ExpectEncodesLikeProtobuf(b, kHeader);
  ExpectEncodesLikeProtobuf(b, BatchHeader{});
  AddStatsdVariety(b);
  AddFlows(b);
  b.Clear();
  ExpectEncodesLikeProtobuf(b, kHeader);
  AddLinePoints(b);
  ExpectEncodesLikeProtobuf(b, kHeader);
}

// A batch as large as the default limits allow: lengths need multi-byte varints.
TEST(BatchWireEncoderTest, FullDefaultSizedStatsdBatchMatchesProtobuf) {
  BatchBuilder b(BatchLimits{});
  std::vector<std::string> names;
  for (int i = 0; i < 1000; ++i) names.push_back("service.component.metric." + std::to_string(i));
  StatsdRecord r;
  r.tag_count = 2;
  r.tags[0] = "env:prod";
  uint32_t i = 0;
  for (;; ++i) {
    r.name = names[i % names.size()];
    r.value = i * 0.5;
    const std::string tag = "shard:" + std::to_string(i % 37);
    r.tags[1] = tag;
    if (b.AddStatsd(r, V4(static_cast<uint8_t>(i % 64), 40000, 1'000'000 + i * 250)) !=
        AddResult::kAdded) {
      break;
    }
  }
  EXPECT_GT(i, 1000u);
  ExpectEncodesLikeProtobuf(b, kHeader);
}

// Random records of every kind into one reused builder (cleared between batches, as the
// worker's are), each batch compared with protobuf.
TEST(BatchWireEncoderTest, RandomizedBatchesMatchProtobuf) {
  std::mt19937_64 rng(20261122);
  auto uniform = [&](uint64_t n) { return rng() % n; };
  auto text = [&](size_t max_len) {
    std::string s(uniform(max_len + 1), ' ');
    for (char& c : s) c = static_cast<char>('!' + uniform(94));  // printable ASCII
    return s;
  };
  // Values that cross varint length boundaries, zero and sign bits.
  auto wide = [&]() -> uint64_t {
    switch (uniform(4)) {
      case 0:
        return 0;
      case 1:
        return uniform(128);
      case 2:
        return uint64_t{1} << uniform(64);
      default:
        return rng();
    }
  };
  BatchBuilder b(BatchLimits{512, 48 * 1024});
  for (int batch = 0; batch < 120; ++batch) {
    b.Clear();
    b.set_queue_id(static_cast<uint16_t>(uniform(3) == 0 ? 0 : rng()));
    std::vector<std::string> pool;  // keeps every string the views point at alive
    pool.reserve(4096);
    auto keep = [&](std::string s) -> std::string_view {
      pool.push_back(std::move(s));
      return pool.back();
    };
    const int records = static_cast<int>(uniform(300));
    const int64_t base = static_cast<int64_t>(rng() >> 2) - (int64_t{1} << 60);
    for (int k = 0; k < records; ++k) {
      PacketMeta meta = uniform(2) == 0 ? V4(static_cast<uint8_t>(uniform(8)), 0, 0)
                                        : V6(static_cast<uint8_t>(uniform(8)), 0, 0);
      meta.source_port = static_cast<uint16_t>(uniform(3) == 0 ? 0 : rng());
      meta.receive_unix_nanos = base + static_cast<int64_t>(uniform(1'000'000));
      AddResult added = AddResult::kAdded;
      switch (uniform(3)) {
        case 0: {
          StatsdRecord r;
          r.name = keep(text(40));
          r.type = static_cast<MetricType>(1 + uniform(6));
          r.value = std::bit_cast<double>(rng());
          r.sample_rate = uniform(2) == 0 ? 1.0f : static_cast<float>(uniform(1000)) / 1000;
          r.flags = static_cast<uint32_t>(uniform(2));
          if (r.type == MetricType::kSet) r.text = keep(text(20));
          if (uniform(3) == 0) r.container_id = keep(text(12));
          if (uniform(3) == 0) r.timestamp_unix_seconds = wide();
          r.tag_count = static_cast<int>(uniform(5));
          for (int t = 0; t < r.tag_count; ++t) r.tags[t] = keep(text(16));
          added = b.AddStatsd(r, meta);
          break;
        }
        case 1: {
          FlowRecord f = Flow(static_cast<uint8_t>(uniform(11)), static_cast<uint8_t>(uniform(7)),
                              static_cast<uint32_t>(uniform(1000)));
          f.bytes = wide();
          f.packets = wide();
          f.start_unix_millis = wide();
          f.src_as = static_cast<uint32_t>(wide());
          f.enterprise_count = static_cast<int>(uniform(4));
          for (int e = 0; e < f.enterprise_count; ++e) {
            f.enterprise[e] = {static_cast<uint32_t>(wide()), static_cast<uint16_t>(rng()),
                               keep(text(6))};
          }
          added = b.AddFlow(f, meta);
          break;
        }
        default: {
          LinePoint p = Point(keep(text(20)), static_cast<int64_t>(rng()), uniform(2) == 0);
          p.tag_count = static_cast<int>(uniform(4));
          for (int t = 0; t < p.tag_count; ++t) p.tags[t] = {keep(text(8)), keep(text(8))};
          p.field_count = 1 + static_cast<int>(uniform(6));
          for (int i = 0; i < p.field_count; ++i) {
            decode::LineField& f = p.fields[i];
            f.key = keep(text(8));
            f.type = static_cast<FieldType>(1 + uniform(5));
            f.float_value = std::bit_cast<double>(rng());
            f.int_value = static_cast<int64_t>(wide());
            f.uint_value = wide();
            f.string_value = keep(text(10));
            f.bool_value = uniform(2) == 0;
          }
          added = b.AddLinePoint(p, meta);
          break;
        }
      }
      if (added == AddResult::kFull) break;
      ASSERT_EQ(added, AddResult::kAdded);
    }
    const std::string node = text(12);
    ASSERT_NO_FATAL_FAILURE(ExpectEncodesLikeProtobuf(b, BatchHeader{node, wide(), wide()}))
        << "batch " << batch << " with " << b.record_count() << " records";
  }
}

}  // namespace
}  // namespace firehose::batch
