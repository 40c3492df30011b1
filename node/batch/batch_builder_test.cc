// Tests that the columnar builder stores records exactly, converts them to the wire
// layout documented in ingest.proto, and refuses records at each limit.
#include "node/batch/batch_builder.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::batch {
namespace {

using decode::MetricType;
using decode::StatsdRecord;

PacketMeta MetaFrom(uint8_t last_octet, uint16_t port, int64_t nanos) {
  PacketMeta meta;
  meta.receive_unix_nanos = nanos;
  meta.source_address[0] = 10;
  meta.source_address[3] = last_octet;
  meta.source_address_len = 4;
  meta.source_port = port;
  meta.destination_port = 8125;
  return meta;
}

StatsdRecord Record(std::string_view name, double value, MetricType type) {
  StatsdRecord r;
  r.name = name;
  r.value = value;
  r.type = type;
  return r;
}

TEST(BatchBuilderTest, ConvertsRecordsToColumns) {
  BatchBuilder builder(BatchLimits{16, 4096});
  builder.set_queue_id(3);
  StatsdRecord a = Record("api.requests", 2, MetricType::kCounter);
  a.sample_rate = 0.5f;
  a.tag_count = 2;
  a.tags[0] = "env:prod";
  a.tags[1] = "canary";
  StatsdRecord b = Record("queue.depth", -4, MetricType::kGauge);
  b.flags = decode::kStatsdFlagGaugeDelta;
  StatsdRecord c = Record("users", 0, MetricType::kSet);
  c.text = "alice";
  c.tag_count = 1;
  c.tags[0] = "env:prod";

  ASSERT_EQ(builder.AddStatsd(a, MetaFrom(5, 4000, 1000)), AddResult::kAdded);
  ASSERT_EQ(builder.AddStatsd(b, MetaFrom(6, 4001, 1500)), AddResult::kAdded);
  ASSERT_EQ(builder.AddStatsd(c, MetaFrom(5, 4000, 1200)), AddResult::kAdded);
  EXPECT_EQ(builder.record_count(), 3u);

  v1::Batch batch;
  builder.ToProto(&batch);
  EXPECT_EQ(batch.record_count(), 3u);
  EXPECT_EQ(batch.queue_id(), 3u);
  EXPECT_EQ(batch.first_receive_unix_nanos(), 1000);
  EXPECT_EQ(batch.last_receive_unix_nanos(), 1500);
  ASSERT_GE(batch.strings_size(), 1);
  EXPECT_EQ(batch.strings(0), "");

  const v1::StatsdColumns& s = batch.statsd();
  ASSERT_EQ(s.name_size(), 3);
  EXPECT_EQ(batch.strings(s.name(0)), "api.requests");
  EXPECT_EQ(batch.strings(s.name(1)), "queue.depth");
  EXPECT_EQ(batch.strings(s.name(2)), "users");
  EXPECT_EQ(s.value(0), 2);
  EXPECT_EQ(s.value(1), -4);
  EXPECT_EQ(s.type(0), v1::METRIC_TYPE_COUNTER);
  EXPECT_EQ(s.type(1), v1::METRIC_TYPE_GAUGE);
  EXPECT_EQ(s.type(2), v1::METRIC_TYPE_SET);
  EXPECT_FLOAT_EQ(s.sample_rate(0), 0.5f);
  EXPECT_FLOAT_EQ(s.sample_rate(1), 1.0f);
  EXPECT_EQ(s.flags(1), static_cast<uint32_t>(v1::STATSD_FLAG_GAUGE_DELTA));
  EXPECT_EQ(s.text(0), 0u);
  EXPECT_EQ(batch.strings(s.text(2)), "alice");

  ASSERT_EQ(s.tag_count_size(), 3);
  EXPECT_EQ(s.tag_count(0), 2u);
  EXPECT_EQ(s.tag_count(1), 0u);
  EXPECT_EQ(s.tag_count(2), 1u);
  ASSERT_EQ(s.tags_size(), 3);
  EXPECT_EQ(batch.strings(s.tags(0)), "env:prod");
  EXPECT_EQ(batch.strings(s.tags(1)), "canary");
  EXPECT_EQ(s.tags(2), s.tags(0));  // "env:prod" is stored once

  ASSERT_EQ(batch.sources_size(), 2);
  EXPECT_EQ(s.source(0), s.source(2));
  const v1::Endpoint& src = batch.sources(s.source(1));
  EXPECT_EQ(src.address(), std::string("\x0a\x00\x00\x06", 4));
  EXPECT_EQ(src.port(), 4001u);
  EXPECT_EQ(s.receive_offset_nanos(0), 0u);
  EXPECT_EQ(s.receive_offset_nanos(1), 500u);
  EXPECT_EQ(s.receive_offset_nanos(2), 200u);
}

TEST(BatchBuilderTest, FullAtRecordLimitAndClearResets) {
  BatchBuilder builder(BatchLimits{2, 4096});
  const StatsdRecord r = Record("x", 1, MetricType::kCounter);
  EXPECT_EQ(builder.AddStatsd(r, MetaFrom(1, 1, 1)), AddResult::kAdded);
  EXPECT_EQ(builder.AddStatsd(r, MetaFrom(1, 1, 2)), AddResult::kAdded);
  EXPECT_TRUE(builder.at_record_limit());
  EXPECT_EQ(builder.AddStatsd(r, MetaFrom(1, 1, 3)), AddResult::kFull);
  builder.Clear();
  EXPECT_TRUE(builder.empty());
  EXPECT_EQ(builder.AddStatsd(r, MetaFrom(1, 1, 4)), AddResult::kAdded);
  v1::Batch batch;
  builder.ToProto(&batch);
  EXPECT_EQ(batch.record_count(), 1u);
  EXPECT_EQ(batch.first_receive_unix_nanos(), 4);
}

// The endpoint a record's source column points at, as "address bytes:port".
std::string SourceOf(const v1::Batch& batch, int record) {
  const v1::Endpoint& e = batch.sources(static_cast<int>(batch.statsd().source(record)));
  return e.address() + ":" + std::to_string(e.port());
}

std::string Expected(const PacketMeta& meta) {
  return std::string(reinterpret_cast<const char*>(meta.source_address), meta.source_address_len) +
         ":" + std::to_string(meta.source_port);
}

// One PacketMeta object refilled for one sender after another, as a worker does: more senders
// than the source cache has entries (so they collide in it), senders that differ only in
// port, in address length or in bytes past the address length (not part of the sender).
TEST(BatchBuilderTest, SourcesStayExactWhenSendersShareOneMeta) {
  BatchBuilder builder(BatchLimits{1024, 1 << 16});
  std::vector<PacketMeta> senders;
  for (int i = 0; i < 40; ++i) senders.push_back(MetaFrom(static_cast<uint8_t>(i), 4000, i));
  // As many again that differ from senders[7] only in port, and some only in address
  // length (IPv6 addresses that start with senders[7]'s bytes): with more of them than
  // the cache has entries, some must share an entry with each other.
  for (int i = 1; i <= 40; ++i) senders.push_back(MetaFrom(7, static_cast<uint16_t>(4000 + i), 0));
  for (int i = 0; i < 20; ++i) {
    PacketMeta v6 = MetaFrom(7, static_cast<uint16_t>(4000 + i), 0);
    v6.source_address_len = 16;
    senders.push_back(v6);
  }
  PacketMeta stale = MetaFrom(9, 4000, 0);  // senders[9] with leftover bytes past its length
  stale.source_address[12] = 0xee;
  senders.push_back(stale);

  PacketMeta meta;
  std::vector<std::string> want;
  const StatsdRecord r = Record("x", 1, MetricType::kCounter);
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < senders.size(); ++i) {
      // Forwards, backwards, then strided, so each sender follows different ones.
      const size_t k = round == 0   ? i
                       : round == 1 ? senders.size() - 1 - i
                                    : (i * 7) % senders.size();
      meta = senders[k];
      for (int line = 0; line < 2; ++line) {  // two records per packet
        ASSERT_EQ(builder.AddStatsd(r, meta), AddResult::kAdded);
        want.push_back(Expected(meta));
      }
    }
  }
  v1::Batch batch;
  builder.ToProto(&batch);
  ASSERT_EQ(batch.statsd().source_size(), static_cast<int>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(SourceOf(batch, static_cast<int>(i)), want[i]) << "record " << i;
  }
  // The stale bytes do not make a new sender.
  EXPECT_EQ(batch.sources_size(), 100);
}

// Builders that share a worker's indexes, cleared between batches as the Batcher does:
// a sender interned in one batch must be interned again in the next, at its new index.
TEST(BatchBuilderTest, SourceIndexesDoNotSurviveClear) {
  BatchIndexes indexes(BatchLimits{16, 4096});
  BatchBuilder builder(BatchLimits{16, 4096}, &indexes);
  BatchBuilder other(BatchLimits{16, 4096}, &indexes);
  const StatsdRecord r = Record("x", 1, MetricType::kCounter);
  const PacketMeta x = MetaFrom(1, 1000, 1);
  const PacketMeta y = MetaFrom(2, 2000, 2);
  ASSERT_EQ(builder.AddStatsd(r, x), AddResult::kAdded);  // x = 0
  ASSERT_EQ(builder.AddStatsd(r, y), AddResult::kAdded);  // y = 1
  builder.Clear();
  ASSERT_EQ(other.AddStatsd(r, x), AddResult::kAdded);  // the other builder in between
  other.Clear();
  ASSERT_EQ(builder.AddStatsd(r, y), AddResult::kAdded);  // now y = 0
  ASSERT_EQ(builder.AddStatsd(r, x), AddResult::kAdded);  // and x = 1
  ASSERT_EQ(builder.AddStatsd(r, y), AddResult::kAdded);
  v1::Batch batch;
  builder.ToProto(&batch);
  ASSERT_EQ(batch.sources_size(), 2);
  EXPECT_EQ(SourceOf(batch, 0), Expected(y));
  EXPECT_EQ(SourceOf(batch, 1), Expected(x));
  EXPECT_EQ(SourceOf(batch, 2), Expected(y));
  EXPECT_EQ(batch.statsd().source(0), 0u);
  EXPECT_EQ(batch.statsd().source(1), 1u);
}

TEST(BatchBuilderTest, FullAtByteLimitTooLargeWhenNothingFits) {
  BatchBuilder builder(BatchLimits{1000, 200});
  const std::string long_name(120, 'n');
  EXPECT_EQ(builder.AddStatsd(Record(long_name, 1, MetricType::kGauge), MetaFrom(1, 1, 1)),
            AddResult::kAdded);
  const std::string other(100, 'm');
  EXPECT_EQ(builder.AddStatsd(Record(other, 1, MetricType::kGauge), MetaFrom(1, 1, 1)),
            AddResult::kFull);
  const std::string huge(500, 'h');
  EXPECT_EQ(builder.AddStatsd(Record(huge, 1, MetricType::kGauge), MetaFrom(1, 1, 1)),
            AddResult::kTooLarge);
  EXPECT_EQ(builder.record_count(), 1u);
}

}  // namespace
}  // namespace firehose::batch

namespace firehose::batch {
namespace {

TEST(BatchBuilderTest, FlowRecordsBecomeFlowColumns) {
  BatchBuilder builder(BatchLimits{16, 8192});
  decode::FlowRecord f;
  f.version = 10;
  f.ip_version = 6;
  f.protocol = 6;
  f.tcp_flags = 0x12;
  f.tos = 8;
  f.src_port = 443;
  f.dst_port = 50000;
  f.observation_domain = 42;
  f.input_interface = 1;
  f.output_interface = 2;
  f.src_as = 64500;
  f.dst_as = 4200000000u;
  f.sampling_interval = 100;
  f.flags = decode::kFlowFlagUptimeRelative;
  f.bytes = 1ull << 40;
  f.packets = 3;
  f.start_unix_millis = 1000;
  f.end_unix_millis = 2000;
  for (int i = 0; i < 16; ++i) f.src_address[i] = static_cast<uint8_t>(i);
  f.dst_address[15] = 9;
  f.next_hop[0] = 0xfe;
  f.enterprise_count = 2;
  f.enterprise[0] = {29305, 1, "abc"};
  f.enterprise[1] = {9, 7, "\xbe\xef"};
  decode::FlowRecord g;
  g.version = 5;
  g.ip_version = 4;
  g.src_address[10] = g.src_address[11] = 0xff;
  g.src_address[12] = 10;
  ASSERT_EQ(builder.AddFlow(f, MetaFrom(1, 2055, 100)), AddResult::kAdded);
  ASSERT_EQ(builder.AddFlow(g, MetaFrom(2, 2055, 150)), AddResult::kAdded);
  ASSERT_EQ(builder.AddStatsd(Record("x", 1, MetricType::kCounter), MetaFrom(1, 1, 120)),
            AddResult::kAdded);
  EXPECT_EQ(builder.record_count(), 3u);

  v1::Batch batch;
  builder.ToProto(&batch);
  EXPECT_EQ(batch.record_count(), 3u);
  EXPECT_EQ(batch.statsd().name_size(), 1);
  const v1::FlowColumns& c = batch.flows();
  ASSERT_EQ(c.version_size(), 2);
  EXPECT_EQ(c.version(0), 10u);
  EXPECT_EQ(c.version(1), 5u);
  EXPECT_EQ(c.ip_version(0), 6u);
  EXPECT_EQ(c.protocol(0), 6u);
  EXPECT_EQ(c.tcp_flags(0), 0x12u);
  EXPECT_EQ(c.tos(0), 8u);
  EXPECT_EQ(c.src_port(0), 443u);
  EXPECT_EQ(c.dst_port(0), 50000u);
  EXPECT_EQ(c.observation_domain(0), 42u);
  EXPECT_EQ(c.input_interface(0), 1u);
  EXPECT_EQ(c.output_interface(0), 2u);
  EXPECT_EQ(c.src_as(0), 64500u);
  EXPECT_EQ(c.dst_as(0), 4200000000u);
  EXPECT_EQ(c.sampling_interval(0), 100u);
  EXPECT_EQ(c.flags(0), static_cast<uint32_t>(v1::FLOW_FLAG_UPTIME_RELATIVE));
  EXPECT_EQ(c.bytes(0), 1ull << 40);
  EXPECT_EQ(c.packets(0), 3u);
  EXPECT_EQ(c.start_unix_millis(0), 1000u);
  EXPECT_EQ(c.end_unix_millis(0), 2000u);
  ASSERT_EQ(c.src_address().size(), 32u);
  EXPECT_EQ(static_cast<uint8_t>(c.src_address()[15]), 15);
  EXPECT_EQ(static_cast<uint8_t>(c.src_address()[16 + 12]), 10);
  EXPECT_EQ(static_cast<uint8_t>(c.dst_address()[15]), 9);
  EXPECT_EQ(static_cast<uint8_t>(c.next_hop()[0]), 0xfe);
  EXPECT_EQ(c.receive_offset_nanos(0), 0u);
  EXPECT_EQ(c.receive_offset_nanos(1), 50u);
  EXPECT_NE(c.exporter(0), c.exporter(1));
  EXPECT_EQ(batch.sources(c.exporter(1)).port(), 2055u);
  ASSERT_EQ(c.enterprise_count_size(), 2);
  EXPECT_EQ(c.enterprise_count(0), 2u);
  EXPECT_EQ(c.enterprise_count(1), 0u);
  EXPECT_EQ(c.enterprise_number(0), 29305u);
  EXPECT_EQ(c.enterprise_element(1), 7u);
  EXPECT_EQ(c.enterprise_length(0), 3u);
  EXPECT_EQ(c.enterprise_data(), "abc\xbe\xef");
}

TEST(BatchBuilderTest, LinePointsBecomeLineProtocolColumns) {
  BatchBuilder builder(BatchLimits{16, 8192});
  decode::LinePoint p;
  p.measurement = "cpu";
  p.timestamp_unix_nanos = 1700000000000000000;
  p.has_timestamp = true;
  p.tag_count = 1;
  p.tags[0] = {"host", "a"};
  p.field_count = 5;
  p.fields[0].key = "f";
  p.fields[0].type = decode::FieldType::kFloat;
  p.fields[0].float_value = 1.5;
  p.fields[1].key = "i";
  p.fields[1].type = decode::FieldType::kInteger;
  p.fields[1].int_value = -7;
  p.fields[2].key = "u";
  p.fields[2].type = decode::FieldType::kUnsigned;
  p.fields[2].uint_value = UINT64_MAX;
  p.fields[3].key = "s";
  p.fields[3].type = decode::FieldType::kString;
  p.fields[3].string_value = "text";
  p.fields[4].key = "b";
  p.fields[4].type = decode::FieldType::kBoolean;
  p.fields[4].bool_value = true;
  decode::LinePoint q;
  q.measurement = "mem";
  q.timestamp_unix_nanos = 77;
  q.field_count = 1;
  q.fields[0].key = "f";
  q.fields[0].type = decode::FieldType::kFloat;
  q.fields[0].float_value = -2;
  ASSERT_EQ(builder.AddLinePoint(p, MetaFrom(1, 1, 10)), AddResult::kAdded);
  ASSERT_EQ(builder.AddLinePoint(q, MetaFrom(1, 1, 20)), AddResult::kAdded);

  v1::Batch batch;
  builder.ToProto(&batch);
  const v1::LineProtocolColumns& l = batch.line_protocol();
  ASSERT_EQ(l.measurement_size(), 2);
  EXPECT_EQ(batch.strings(l.measurement(0)), "cpu");
  EXPECT_EQ(l.timestamp_unix_nanos(0), 1700000000000000000);
  EXPECT_EQ(l.flags(0), 0u);
  EXPECT_EQ(l.flags(1), static_cast<uint32_t>(v1::LINE_PROTOCOL_FLAG_NO_TIMESTAMP));
  EXPECT_EQ(l.receive_offset_nanos(1), 10u);
  ASSERT_EQ(l.tag_count_size(), 2);
  EXPECT_EQ(l.tag_count(0), 1u);
  EXPECT_EQ(batch.strings(l.tag_key(0)), "host");
  EXPECT_EQ(batch.strings(l.tag_value(0)), "a");
  EXPECT_EQ(l.field_count(0), 5u);
  EXPECT_EQ(l.field_count(1), 1u);
  ASSERT_EQ(l.field_type_size(), 6);
  EXPECT_EQ(l.field_type(3), v1::FIELD_TYPE_STRING);
  ASSERT_EQ(l.float_value_size(), 2);
  EXPECT_EQ(l.float_value(0), 1.5);
  EXPECT_EQ(l.float_value(1), -2);
  EXPECT_EQ(l.int_value(0), -7);
  EXPECT_EQ(l.uint_value(0), UINT64_MAX);
  EXPECT_EQ(batch.strings(l.string_value(0)), "text");
  EXPECT_EQ(l.bool_value(0), true);
}

TEST(BatchBuilderTest, StatsdExtensionsAndMixedRecordLimit) {
  BatchBuilder builder(BatchLimits{2, 4096});
  StatsdRecord r = Record("m", 1, MetricType::kCounter);
  r.timestamp_unix_seconds = 1656581400;
  r.container_id = "abc123";
  ASSERT_EQ(builder.AddStatsd(r, MetaFrom(1, 1, 1)), AddResult::kAdded);
  decode::LinePoint p;
  p.measurement = "cpu";
  p.field_count = 1;
  p.fields[0].key = "v";
  ASSERT_EQ(builder.AddLinePoint(p, MetaFrom(1, 1, 2)), AddResult::kAdded);
  EXPECT_EQ(builder.AddFlow(decode::FlowRecord(), MetaFrom(1, 1, 3)), AddResult::kFull);
  v1::Batch batch;
  builder.ToProto(&batch);
  EXPECT_EQ(batch.statsd().timestamp_unix_seconds(0), 1656581400u);
  EXPECT_EQ(batch.strings(batch.statsd().container_id(0)), "abc123");
  builder.Clear();
  EXPECT_EQ(builder.AddFlow(decode::FlowRecord(), MetaFrom(1, 1, 3)), AddResult::kAdded);
}

}  // namespace
}  // namespace firehose::batch
