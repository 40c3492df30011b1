// Tests for turning columnar batches into rows, text lines and NDJSON: tag slicing,
// sets, gauge deltas, escaping, and that malformed batches are refused, not read.
#include "controlplane/ingestctl/record_format.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firehose::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// 2026-11-22T10:15:03Z, the example time of the CLI's documentation.
int64_t ExampleSecondNanos() {
  return absl::ToUnixNanos(
      absl::FromCivil(absl::CivilSecond(2026, 11, 22, 10, 15, 3), absl::UTCTimeZone()));
}

// Builds a Batch the way a node does: a string dictionary starting with "", sources
// by index, and one entry per record in every dense column.
class BatchBuilder {
 public:
  BatchBuilder() {
    batch_.set_node_id("node-a");
    batch_.set_epoch(1);
    batch_.set_seq(42);
    batch_.set_first_receive_unix_nanos(ExampleSecondNanos() + 123'456'000);
    batch_.add_strings("");
  }

  uint32_t String(const std::string& text) {
    for (int i = 0; i < batch_.strings_size(); ++i) {
      if (batch_.strings(i) == text) {
        return static_cast<uint32_t>(i);
      }
    }
    batch_.add_strings(text);
    return static_cast<uint32_t>(batch_.strings_size() - 1);
  }

  uint32_t Source(const std::string& address_bytes, uint32_t port) {
    v1::Endpoint* endpoint = batch_.add_sources();
    endpoint->set_address(address_bytes);
    endpoint->set_port(port);
    return static_cast<uint32_t>(batch_.sources_size() - 1);
  }

  struct Record {
    std::string name;
    double value = 1;
    v1::MetricType type = v1::METRIC_TYPE_COUNTER;
    float sample_rate = 1;
    std::vector<std::string> tags;
    uint32_t source = 0;
    uint64_t offset_nanos = 0;
    uint32_t flags = 0;
    std::string text;
  };

  BatchBuilder& Add(const Record& record) {
    v1::StatsdColumns* s = batch_.mutable_statsd();
    s->add_name(String(record.name));
    s->add_value(record.value);
    s->add_type(record.type);
    s->add_sample_rate(record.sample_rate);
    s->add_tag_count(static_cast<uint32_t>(record.tags.size()));
    for (const std::string& tag : record.tags) {
      s->add_tags(String(tag));
    }
    s->add_source(record.source);
    s->add_receive_offset_nanos(record.offset_nanos);
    s->add_flags(record.flags);
    s->add_text(record.text.empty() ? 0 : String(record.text));
    batch_.set_record_count(batch_.record_count() + 1);
    return *this;
  }

  v1::Batch& Get() { return batch_; }

 private:
  v1::Batch batch_;
};

const std::string kIpv4Source("\x0a\x00\x00\x05", 4);  // 10.0.0.5

TEST(RecordFormatTest, TextLineOfTheDocumentedExample) {
  BatchBuilder builder;
  uint32_t source = builder.Source(kIpv4Source, 40000);
  builder.Add({.name = "web.requests",
               .value = 1,
               .sample_rate = 0.5f,
               .tags = {"env:prod", "svc:api"},
               .source = source});
  absl::StatusOr<std::vector<std::string>> lines = TextLines(builder.Get());
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_THAT(*lines, ElementsAre("2026-11-22T10:15:03.123456Z node-a #42 10.0.0.5:40000 "
                                  "web.requests:1|c @0.5 #env:prod,svc:api"));
}

TEST(RecordFormatTest, JsonLineHasEveryField) {
  BatchBuilder builder;
  uint32_t source = builder.Source(kIpv4Source, 40000);
  builder.Add({.name = "web.requests",
               .value = 1,
               .sample_rate = 0.5f,
               .tags = {"env:prod", "svc:api"},
               .source = source,
               .offset_nanos = 789});
  absl::StatusOr<std::vector<std::string>> lines = JsonLines(builder.Get());
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_THAT(*lines,
              ElementsAre("{\"node_id\":\"node-a\",\"epoch\":1,\"seq\":42,"
                          "\"time\":\"2026-11-22T10:15:03.123456789Z\","
                          "\"source\":\"10.0.0.5:40000\",\"name\":\"web.requests\",\"value\":1,"
                          "\"type\":\"c\",\"sample_rate\":0.5,"
                          "\"tags\":[\"env:prod\",\"svc:api\"]}"));
}

TEST(RecordFormatTest, TagCountsSliceTheTagsColumn) {
  BatchBuilder builder;
  builder.Source(kIpv4Source, 1);
  builder.Add({.name = "a", .tags = {"x", "y:1"}});
  builder.Add({.name = "b", .tags = {}});
  builder.Add({.name = "c", .tags = {"z"}});
  builder.Add({.name = "d", .tags = {"x", "w", "y:1"}});
  absl::StatusOr<std::vector<StatsdRow>> rows = StatsdRows(builder.Get());
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0].name, "a");
  EXPECT_THAT((*rows)[0].tags, ElementsAre("x", "y:1"));
  EXPECT_THAT((*rows)[1].tags, IsEmpty());
  EXPECT_THAT((*rows)[2].tags, ElementsAre("z"));
  EXPECT_THAT((*rows)[3].tags, ElementsAre("x", "w", "y:1"));
}

TEST(RecordFormatTest, ReceiveTimeIsFirstPlusOffset) {
  BatchBuilder builder;
  builder.Source(kIpv4Source, 1);
  builder.Add({.name = "a", .offset_nanos = 0});
  builder.Add({.name = "b", .offset_nanos = 2'000'000'001});
  absl::StatusOr<std::vector<StatsdRow>> rows = StatsdRows(builder.Get());
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ((*rows)[0].unix_nanos, ExampleSecondNanos() + 123'456'000);
  EXPECT_EQ((*rows)[1].unix_nanos, ExampleSecondNanos() + 2'123'456'001);
  EXPECT_THAT(FormatTextLine((*rows)[1]), HasSubstr("2026-11-22T10:15:05.123456Z "));
}

TEST(RecordFormatTest, SetsShowTheirMember) {
  BatchBuilder builder;
  builder.Source(kIpv4Source, 1);
  builder.Add({.name = "users.unique", .value = 0, .type = v1::METRIC_TYPE_SET, .text = "alice"});
  absl::StatusOr<std::vector<StatsdRow>> rows = StatsdRows(builder.Get());
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ((*rows)[0].member, "alice");
  EXPECT_THAT(FormatTextLine((*rows)[0]), HasSubstr(" users.unique:alice|s"));
  std::string json = FormatJsonLine((*rows)[0]);
  EXPECT_THAT(json, HasSubstr("\"value\":0,\"type\":\"s\""));
  EXPECT_THAT(json, HasSubstr(",\"member\":\"alice\"}"));
}

TEST(RecordFormatTest, OnlySetsHaveAMember) {
  BatchBuilder builder;
  builder.Source(kIpv4Source, 1);
  builder.Add({.name = "a", .value = 2, .type = v1::METRIC_TYPE_TIMER});
  absl::StatusOr<std::vector<StatsdRow>> rows = StatsdRows(builder.Get());
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(FormatJsonLine((*rows)[0]), ::testing::Not(HasSubstr("member")));
}

TEST(RecordFormatTest, GaugeDeltasShowAnExplicitSign) {
  BatchBuilder builder;
  builder.Source(kIpv4Source, 1);
  builder.Add({.name = "up",
               .value = 3,
               .type = v1::METRIC_TYPE_GAUGE,
               .flags = v1::STATSD_FLAG_GAUGE_DELTA});
  builder.Add({.name = "down",
               .value = -3,
               .type = v1::METRIC_TYPE_GAUGE,
               .flags = v1::STATSD_FLAG_GAUGE_DELTA});
  builder.Add({.name = "set", .value = 5, .type = v1::METRIC_TYPE_GAUGE});
  builder.Add({.name = "neg", .value = -5, .type = v1::METRIC_TYPE_GAUGE});
  absl::StatusOr<std::vector<StatsdRow>> rows = StatsdRows(builder.Get());
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_TRUE((*rows)[0].gauge_delta);
  EXPECT_FALSE((*rows)[2].gauge_delta);
  EXPECT_THAT(FormatTextLine((*rows)[0]), HasSubstr(" up:+3|g"));
  EXPECT_THAT(FormatTextLine((*rows)[1]), HasSubstr(" down:-3|g"));
  EXPECT_THAT(FormatTextLine((*rows)[2]), HasSubstr(" set:5|g"));
  // A negative absolute gauge cannot be sent in statsd, but must not read as a delta.
  EXPECT_THAT(FormatTextLine((*rows)[3]), HasSubstr(" neg:-5|g"));
  EXPECT_THAT(FormatJsonLine((*rows)[0]), HasSubstr("\"value\":3,"));
  EXPECT_THAT(FormatJsonLine((*rows)[0]), HasSubstr(",\"delta\":true}"));
  EXPECT_THAT(FormatJsonLine((*rows)[1]), HasSubstr("\"value\":-3,"));
  EXPECT_THAT(FormatJsonLine((*rows)[2]), ::testing::Not(HasSubstr("delta")));
}

TEST(RecordFormatTest, DeltaFlagOnlyCountsForGauges) {
  BatchBuilder builder;
  builder.Source(kIpv4Source, 1);
  builder.Add({.name = "c", .value = 3, .flags = v1::STATSD_FLAG_GAUGE_DELTA});
  absl::StatusOr<std::vector<StatsdRow>> rows = StatsdRows(builder.Get());
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_FALSE((*rows)[0].gauge_delta);
  EXPECT_THAT(FormatTextLine((*rows)[0]), HasSubstr(" c:3|c"));
}

TEST(RecordFormatTest, EveryTypeHasItsSuffix) {
  EXPECT_EQ(MetricTypeSuffix(v1::METRIC_TYPE_COUNTER), "c");
  EXPECT_EQ(MetricTypeSuffix(v1::METRIC_TYPE_GAUGE), "g");
  EXPECT_EQ(MetricTypeSuffix(v1::METRIC_TYPE_TIMER), "ms");
  EXPECT_EQ(MetricTypeSuffix(v1::METRIC_TYPE_HISTOGRAM), "h");
  EXPECT_EQ(MetricTypeSuffix(v1::METRIC_TYPE_SET), "s");
  EXPECT_EQ(MetricTypeSuffix(v1::METRIC_TYPE_DISTRIBUTION), "d");
  EXPECT_EQ(MetricTypeSuffix(v1::METRIC_TYPE_UNSPECIFIED), "");
}

TEST(RecordFormatTest, UnknownTypeIsShownAsUnknown) {
  BatchBuilder builder;
  builder.Source(kIpv4Source, 1);
  builder.Add({.name = "x", .value = 7, .type = static_cast<v1::MetricType>(42)});
  absl::StatusOr<std::vector<StatsdRow>> rows = StatsdRows(builder.Get());
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(FormatTextLine((*rows)[0]), HasSubstr(" x:7|?"));
  EXPECT_THAT(FormatJsonLine((*rows)[0]), HasSubstr("\"type\":\"unknown\""));
}

TEST(RecordFormatTest, NumbersUseTheShortestExactForm) {
  BatchBuilder builder;
  builder.Source(kIpv4Source, 1);
  builder.Add({.name = "a", .value = 0.1, .type = v1::METRIC_TYPE_TIMER, .sample_rate = 0.1f});
  builder.Add({.name = "b", .value = 1e21, .type = v1::METRIC_TYPE_HISTOGRAM});
  builder.Add({.name = "c", .value = 12345678.25, .type = v1::METRIC_TYPE_DISTRIBUTION});
  absl::StatusOr<std::vector<StatsdRow>> rows = StatsdRows(builder.Get());
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(FormatTextLine((*rows)[0]), HasSubstr(" a:0.1|ms @0.1"));
  EXPECT_THAT(FormatJsonLine((*rows)[0]), HasSubstr("\"value\":0.1,"));
  EXPECT_THAT(FormatJsonLine((*rows)[0]), HasSubstr("\"sample_rate\":0.1,"));
  EXPECT_THAT(FormatTextLine((*rows)[1]), HasSubstr(" b:1e+21|h"));
  EXPECT_THAT(FormatTextLine((*rows)[2]), HasSubstr(" c:12345678.25|d"));
}

TEST(RecordFormatTest, NonFiniteValuesAreNullInJson) {
  BatchBuilder builder;
  builder.Source(kIpv4Source, 1);
  builder.Add({.name = "nan", .value = std::numeric_limits<double>::quiet_NaN()});
  builder.Add({.name = "inf", .value = std::numeric_limits<double>::infinity()});
  absl::StatusOr<std::vector<StatsdRow>> rows = StatsdRows(builder.Get());
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(FormatJsonLine((*rows)[0]), HasSubstr("\"value\":null,"));
  EXPECT_THAT(FormatJsonLine((*rows)[1]), HasSubstr("\"value\":null,"));
  EXPECT_THAT(FormatTextLine((*rows)[1]), HasSubstr(" inf:inf|c"));
}

TEST(RecordFormatTest, JsonEscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(JsonQuote(""), "\"\"");
  EXPECT_EQ(JsonQuote("plain.name"), "\"plain.name\"");
  EXPECT_EQ(JsonQuote("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(JsonQuote("a\\b"), "\"a\\\\b\"");
  EXPECT_EQ(JsonQuote("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(JsonQuote(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\\u007f\"");
  EXPECT_EQ(JsonQuote("/ is fine"), "\"/ is fine\"");
}

TEST(RecordFormatTest, JsonKeepsUtf8AndReplacesInvalidBytes) {
  // é, €, and U+1F600 (4 bytes) pass through unchanged.
  EXPECT_EQ(JsonQuote("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
            "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
  EXPECT_EQ(JsonQuote("a\xff"
                      "b"),
            "\"a\\ufffdb\"");                                         // never valid
  EXPECT_EQ(JsonQuote("\xe2\x82"), "\"\\ufffd\\ufffd\"");             // truncated sequence
  EXPECT_EQ(JsonQuote("\xc0\xaf"), "\"\\ufffd\\ufffd\"");             // overlong "/"
  EXPECT_EQ(JsonQuote("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
  EXPECT_EQ(JsonQuote("\xf4\x90\x80\x80"),
            "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // > U+10FFFF
}

TEST(RecordFormatTest, JsonLineEscapesNamesTagsAndMembers) {
  BatchBuilder builder;
  builder.Source(kIpv4Source, 1);
  builder.Add({.name = "we\"ird\\name\n",
               .type = v1::METRIC_TYPE_SET,
               .tags = {"k:\"v\""},
               .text = "tab\there"});
  absl::StatusOr<std::vector<std::string>> lines = JsonLines(builder.Get());
  ASSERT_TRUE(lines.ok()) << lines.status();
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_THAT((*lines)[0], HasSubstr("\"name\":\"we\\\"ird\\\\name\\n\""));
  EXPECT_THAT((*lines)[0], HasSubstr("\"tags\":[\"k:\\\"v\\\"\"]"));
  EXPECT_THAT((*lines)[0], HasSubstr("\"member\":\"tab\\there\""));
  EXPECT_EQ((*lines)[0].find('\n'), std::string::npos);
}

TEST(RecordFormatTest, TextLineEscapesControlCharactersAndBackslashes) {
  BatchBuilder builder;
  builder.Source(kIpv4Source, 1);
  builder.Add({.name = "a\nb\\c", .tags = {"t\x01"}});
  absl::StatusOr<std::vector<std::string>> lines = TextLines(builder.Get());
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_THAT((*lines)[0], HasSubstr(" a\\x0ab\\\\c:1|c #t\\x01"));
  EXPECT_EQ((*lines)[0].find('\n'), std::string::npos);
}

TEST(RecordFormatTest, Endpoints) {
  v1::Endpoint endpoint;
  endpoint.set_address(kIpv4Source);
  endpoint.set_port(40000);
  EXPECT_EQ(FormatEndpoint(endpoint), "10.0.0.5:40000");
  std::string v6(16, '\0');
  v6[0] = '\x20';
  v6[1] = '\x01';
  v6[2] = '\x0d';
  v6[3] = '\xb8';
  v6[15] = '\x01';
  endpoint.set_address(v6);
  EXPECT_EQ(FormatEndpoint(endpoint), "[2001:db8::1]:40000");
  endpoint.set_address("abc");
  EXPECT_EQ(FormatEndpoint(endpoint), "?:40000");
}

TEST(RecordFormatTest, Timestamps) {
  EXPECT_EQ(FormatTimestamp(0, 9), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatTimestamp(ExampleSecondNanos() + 5, 9), "2026-11-22T10:15:03.000000005Z");
  EXPECT_EQ(FormatTimestamp(ExampleSecondNanos() + 999'999'999, 6), "2026-11-22T10:15:03.999999Z");
  EXPECT_EQ(FormatTimestamp(ExampleSecondNanos() + 5, 0), "2026-11-22T10:15:03Z");
}

TEST(RecordFormatTest, BatchWithoutStatsdHasNoRows) {
  v1::Batch batch;
  absl::StatusOr<std::vector<StatsdRow>> rows = StatsdRows(batch);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(*rows, IsEmpty());
}

// A well-formed one-record batch that each malformed case then breaks.
v1::Batch GoodBatch() {
  BatchBuilder builder;
  builder.Source(kIpv4Source, 1);
  builder.Add({.name = "a", .tags = {"t"}});
  return builder.Get();
}

TEST(RecordFormatTest, MalformedBatchesAreRefusedNamingTheColumn) {
  struct Case {
    std::function<void(v1::Batch&)> damage;
    std::string message;
  };
  const Case cases[] = {
      {[](v1::Batch& b) { b.mutable_statsd()->add_value(2); },
       "statsd.value has 2 entries for 1 records"},
      {[](v1::Batch& b) { b.mutable_statsd()->clear_flags(); },
       "statsd.flags has 0 entries for 1 records"},
      {[](v1::Batch& b) { b.mutable_statsd()->set_name(0, 99); },
       "statsd.name[0] is 99, past the end of the 3-entry string dictionary"},
      {[](v1::Batch& b) { b.mutable_statsd()->set_text(0, 3); },
       "statsd.text[0] is 3, past the end"},
      {[](v1::Batch& b) { b.mutable_statsd()->set_source(0, 1); },
       "statsd.source[0] is 1, past the end of the 1-entry source table"},
      {[](v1::Batch& b) { b.mutable_statsd()->set_tags(0, 7); },
       "statsd.tags[0] is 7, past the end"},
      {[](v1::Batch& b) { b.mutable_statsd()->set_tag_count(0, 2); },
       "statsd.tag_count adds up to 2 tags but statsd.tags has 1"},
      {[](v1::Batch& b) { b.mutable_statsd()->set_tag_count(0, 0xffffffffu); },
       "statsd.tag_count adds up to 4294967295 tags"},
  };
  ASSERT_TRUE(StatsdView::Create(GoodBatch()).ok());
  for (const Case& c : cases) {
    v1::Batch batch = GoodBatch();
    c.damage(batch);
    absl::StatusOr<StatsdView> view = StatsdView::Create(batch);
    ASSERT_FALSE(view.ok()) << c.message;
    EXPECT_EQ(view.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(view.status().message()), HasSubstr(c.message));
    EXPECT_FALSE(TextLines(batch).ok());
    EXPECT_FALSE(JsonLines(batch).ok());
  }
}

TEST(RecordFormatTest, Notices) {
  v1::Notice gap;
  gap.mutable_gap()->set_reason(v1::Gap::REASON_SUBSCRIBER_QUEUE_FULL);
  gap.mutable_gap()->set_epoch(1);
  gap.mutable_gap()->set_first_seq(7);
  gap.mutable_gap()->set_last_seq(9);
  gap.mutable_gap()->set_batches(3);
  gap.mutable_gap()->set_records(120);
  EXPECT_EQ(FormatNotice(gap),
            "gap: missed 120 records (3 batches) seq 7..9: subscriber queue full");
  gap.mutable_gap()->set_reason(v1::Gap::REASON_REPLAY_EXPIRED);
  EXPECT_THAT(FormatNotice(gap), HasSubstr("seq 7..9: resume position left the replay ring"));

  v1::Notice change;
  change.mutable_epoch_change()->set_previous_epoch(3);
  change.mutable_epoch_change()->set_epoch(7);
  change.mutable_epoch_change()->set_role(v1::EpochChange::ROLE_ACTIVE);
  EXPECT_EQ(FormatNotice(change), "epoch change: 3 -> 7, node is now active");

  v1::Notice heartbeat;
  heartbeat.mutable_heartbeat()->set_sent_unix_nanos(1);
  EXPECT_EQ(FormatNotice(heartbeat), "");

  EXPECT_THAT(FormatNotice(v1::Notice()), HasSubstr("does not know"));
}


// Flows and line-protocol points print after the statsd rows, in text and NDJSON, and a
// section whose columns disagree is an error rather than a crash.
v1::Batch FlowAndPointBatch() {
  v1::Batch b;
  b.set_node_id("node-a");
  b.set_seq(9);
  b.set_first_receive_unix_nanos(1700000000000000000);
  b.add_strings("");
  b.add_strings("cpu");
  b.add_strings("host");
  b.add_strings("a b");
  b.add_strings("usage");
  b.add_strings("note");
  b.add_strings("hi");
  v1::Endpoint* e = b.add_sources();
  e->set_address(std::string("\xc0\x00\x02\x01", 4));
  e->set_port(2055);
  v1::FlowColumns* f = b.mutable_flows();
  f->add_version(9);
  f->add_exporter(0);
  f->add_observation_domain(7);
  f->add_ip_version(4);
  std::string src(16, '\0'), dst(16, '\0');
  src[10] = src[11] = dst[10] = dst[11] = '\xff';
  src[12] = 10, src[15] = 1, dst[12] = 10, dst[15] = 2;
  f->set_src_address(src);
  f->set_dst_address(dst);
  f->set_next_hop(std::string(16, '\0'));
  f->add_src_port(1234);
  f->add_dst_port(80);
  f->add_protocol(6);
  f->add_tcp_flags(0x1b);
  f->add_tos(0);
  f->add_bytes(180);
  f->add_packets(3);
  f->add_start_unix_millis(1);
  f->add_end_unix_millis(2);
  f->add_input_interface(1);
  f->add_output_interface(2);
  f->add_src_as(0);
  f->add_dst_as(0);
  f->add_sampling_interval(100);
  f->add_flags(0);
  f->add_receive_offset_nanos(0);
  f->add_enterprise_count(0);
  v1::LineProtocolColumns* l = b.mutable_line_protocol();
  l->add_measurement(1);
  l->add_timestamp_unix_nanos(17);
  l->add_flags(0);
  l->add_source(0);
  l->add_receive_offset_nanos(5);
  l->add_tag_count(1);
  l->add_tag_key(2);
  l->add_tag_value(3);
  l->add_field_count(2);
  l->add_field_key(4);
  l->add_field_type(v1::FIELD_TYPE_FLOAT);
  l->add_float_value(0.5);
  l->add_field_key(5);
  l->add_field_type(v1::FIELD_TYPE_STRING);
  l->add_string_value(6);
  b.set_record_count(2);
  return b;
}

TEST(RecordFormatTest, FlowsAndPointsInTextAndJson) {
  const v1::Batch b = FlowAndPointBatch();
  absl::StatusOr<std::vector<std::string>> text = TextLines(b);
  ASSERT_TRUE(text.ok()) << text.status();
  ASSERT_EQ(text->size(), 2u);
  EXPECT_THAT((*text)[0], HasSubstr("192.0.2.1:2055 flow v9 10.0.0.1:1234 > 10.0.0.2:80 "
                                    "proto 6 3 pkts 180 B if 1>2 as 0>0 tos 0 flags 0x1b "
                                    "sampled 1/100"));
  EXPECT_THAT((*text)[1], HasSubstr("node-a #9 cpu,host=a b usage=0.5,note=\"hi\" 17"));
  absl::StatusOr<std::vector<std::string>> json = JsonLines(b);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT((*json)[0], HasSubstr("\"kind\":\"flow\",\"exporter\":\"192.0.2.1:2055\""));
  EXPECT_THAT((*json)[0], HasSubstr("\"src\":\"10.0.0.1\""));
  EXPECT_THAT((*json)[1], HasSubstr("\"tags\":{\"host\":\"a b\"},\"fields\":{\"usage\":0.5,"
                                    "\"note\":\"hi\"},\"timestamp_unix_nanos\":17}"));
}

TEST(RecordFormatTest, InconsistentFlowOrPointColumnsAreErrors) {
  v1::Batch short_address = FlowAndPointBatch();
  short_address.mutable_flows()->set_src_address("x");
  EXPECT_FALSE(TextLines(short_address).ok());
  v1::Batch missing_value = FlowAndPointBatch();
  missing_value.mutable_line_protocol()->clear_float_value();
  EXPECT_FALSE(JsonLines(missing_value).ok());
  v1::Batch bad_exporter = FlowAndPointBatch();
  bad_exporter.mutable_flows()->set_exporter(0, 5);
  EXPECT_FALSE(TextLines(bad_exporter).ok());
  v1::Batch bad_string = FlowAndPointBatch();
  bad_string.mutable_line_protocol()->set_tag_value(0, 99);
  EXPECT_FALSE(TextLines(bad_string).ok());
}

}  // namespace
}  // namespace firehose::ctl
