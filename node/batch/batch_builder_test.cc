// Tests that the columnar builder stores records exactly, converts them to the wire
// layout documented in ingest.proto, and refuses records at each limit.
#include "node/batch/batch_builder.h"

#include <string>

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
