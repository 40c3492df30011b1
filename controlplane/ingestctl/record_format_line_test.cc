// Tests for how `ingestctl tail` prints Influx line-protocol points: whole text and
// NDJSON lines for every field type, escaping, points without a timestamp, and that a
// point section whose columns disagree is refused with a message saying what is wrong.
#include <limits>
#include <string>
#include <vector>

#include "controlplane/ingestctl/record_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firehose::ctl {
namespace {

using ::testing::ElementsAre;

// 2023-11-14T22:13:20Z.
constexpr int64_t kFirstReceiveNanos = 1'700'000'000'000'000'000;

// Builds the line-protocol section of a batch the way a node does: strings in the
// dictionary, tags and fields concatenated, each value in the column of its type.
class PointBuilder {
 public:
  PointBuilder() {
    batch_.set_node_id("node-c");
    batch_.set_epoch(2);
    batch_.set_seq(11);
    batch_.set_first_receive_unix_nanos(kFirstReceiveNanos);
    batch_.add_strings("");
    v1::Endpoint* source = batch_.add_sources();
    source->set_address(std::string("\x7f\x00\x00\x01", 4));
    source->set_port(8089);
  }

  // Starts a point; with `timestamp` < 0 it is flagged as having had none.
  PointBuilder& Point(const std::string& measurement, int64_t timestamp, uint64_t offset) {
    v1::LineProtocolColumns* l = batch_.mutable_line_protocol();
    l->add_measurement(String(measurement));
    l->add_timestamp_unix_nanos(timestamp < 0 ? kFirstReceiveNanos : timestamp);
    l->add_flags(timestamp < 0 ? v1::LINE_PROTOCOL_FLAG_NO_TIMESTAMP : 0);
    l->add_source(0);
    l->add_receive_offset_nanos(offset);
    l->add_tag_count(0);
    l->add_field_count(0);
    batch_.set_record_count(batch_.record_count() + 1);
    return *this;
  }

  PointBuilder& Tag(const std::string& key, const std::string& value) {
    v1::LineProtocolColumns* l = batch_.mutable_line_protocol();
    l->add_tag_key(String(key));
    l->add_tag_value(String(value));
    l->set_tag_count(l->tag_count_size() - 1, l->tag_count(l->tag_count_size() - 1) + 1);
    return *this;
  }

  PointBuilder& Float(const std::string& key, double v) {
    Field(key, v1::FIELD_TYPE_FLOAT)->add_float_value(v);
    return *this;
  }
  PointBuilder& Int(const std::string& key, int64_t v) {
    Field(key, v1::FIELD_TYPE_INTEGER)->add_int_value(v);
    return *this;
  }
  PointBuilder& Uint(const std::string& key, uint64_t v) {
    Field(key, v1::FIELD_TYPE_UNSIGNED)->add_uint_value(v);
    return *this;
  }
  PointBuilder& Text(const std::string& key, const std::string& v) {
    const uint32_t index = String(v);
    Field(key, v1::FIELD_TYPE_STRING)->add_string_value(index);
    return *this;
  }
  PointBuilder& Bool(const std::string& key, bool v) {
    Field(key, v1::FIELD_TYPE_BOOLEAN)->add_bool_value(v);
    return *this;
  }

  v1::Batch& Get() { return batch_; }

 private:
  uint32_t String(const std::string& text) {
    for (int i = 0; i < batch_.strings_size(); ++i) {
      if (batch_.strings(i) == text) return static_cast<uint32_t>(i);
    }
    batch_.add_strings(text);
    return static_cast<uint32_t>(batch_.strings_size() - 1);
  }

  v1::LineProtocolColumns* Field(const std::string& key, v1::FieldType type) {
    const uint32_t index = String(key);
    v1::LineProtocolColumns* l = batch_.mutable_line_protocol();
    l->add_field_key(index);
    l->add_field_type(type);
    l->set_field_count(l->field_count_size() - 1, l->field_count(l->field_count_size() - 1) + 1);
    return l;
  }

  v1::Batch batch_;
};

// Two points whose values interleave in the per-type columns: the second point's
// float must be read after the first point's, not from the start of the column.
v1::Batch TwoPoints() {
  PointBuilder builder;
  builder.Point("disk", 1'700'000'000'123'000'000, 2'000)
      .Tag("host", "web 1")
      .Tag("path", "/var")
      .Float("ratio", 0.25)
      .Int("used", -12)
      .Uint("free", 3)
      .Text("note", "say \"hi\"")
      .Bool("ok", true);
  builder.Point("mem", -1, 7'000'001).Float("ratio", 0.5).Bool("ok", false);
  return builder.Get();
}

TEST(RecordFormatLineTest, TextLinesInFull) {
  absl::StatusOr<std::vector<std::string>> lines = TextLines(TwoPoints());
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_THAT(*lines, ElementsAre("2023-11-14T22:13:20.000002Z node-c #11 disk,host=web 1,"
                                  "path=/var ratio=0.25,used=-12i,free=3u,note=\"say \"hi\"\","
                                  "ok=true 1700000000123000000",
                                  "2023-11-14T22:13:20.007000Z node-c #11 mem ratio=0.5,ok=false"));
}

TEST(RecordFormatLineTest, JsonLinesInFull) {
  absl::StatusOr<std::vector<std::string>> lines = JsonLines(TwoPoints());
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_THAT(
      *lines,
      ElementsAre("{\"node_id\":\"node-c\",\"epoch\":2,\"seq\":11,"
                  "\"time\":\"2023-11-14T22:13:20.000002000Z\",\"kind\":\"line\","
                  "\"measurement\":\"disk\",\"tags\":{\"host\":\"web 1\",\"path\":\"/var\"},"
                  "\"fields\":{\"ratio\":0.25,\"used\":-12,\"free\":3,"
                  "\"note\":\"say \\\"hi\\\"\",\"ok\":true},"
                  "\"timestamp_unix_nanos\":1700000000123000000}",
                  "{\"node_id\":\"node-c\",\"epoch\":2,\"seq\":11,"
                  "\"time\":\"2023-11-14T22:13:20.007000001Z\",\"kind\":\"line\","
                  "\"measurement\":\"mem\",\"tags\":{},\"fields\":{\"ratio\":0.5,"
                  "\"ok\":false},\"timestamp_unix_nanos\":1700000000000000000,"
                  "\"no_timestamp\":true}"));
}

// Control bytes and backslashes are escaped so one point stays one line; a float that
// is not finite prints as text ("nan") but is null in JSON, which has no NaN.
TEST(RecordFormatLineTest, EscapesAndNonFiniteFloats) {
  PointBuilder builder;
  builder.Point("a\\b", 5, 0)
      .Tag("k\n", "v\t")
      .Float("x", std::numeric_limits<double>::quiet_NaN())
      .Text("s", "line\nbreak");
  absl::StatusOr<std::vector<std::string>> text = TextLines(builder.Get());
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, ElementsAre("2023-11-14T22:13:20.000000Z node-c #11 "
                                 "a\\\\b,k\\x0a=v\\x09 x=nan,s=\"line\\x0abreak\" 5"));
  absl::StatusOr<std::vector<std::string>> json = JsonLines(builder.Get());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, ElementsAre("{\"node_id\":\"node-c\",\"epoch\":2,\"seq\":11,"
                                 "\"time\":\"2023-11-14T22:13:20.000000000Z\",\"kind\":\"line\","
                                 "\"measurement\":\"a\\\\b\",\"tags\":{\"k\\n\":\"v\\t\"},"
                                 "\"fields\":{\"x\":null,\"s\":\"line\\nbreak\"},"
                                 "\"timestamp_unix_nanos\":5}"));
}

TEST(RecordFormatLineTest, InconsistentColumnsAreRefusedSayingWhatIsWrong) {
  struct Case {
    void (*damage)(v1::Batch&);
    std::string message;
  };
  const Case cases[] = {
      {[](v1::Batch& b) { b.mutable_line_protocol()->clear_flags(); },
       "line_protocol.flags has 0 entries for 2 records"},
      {[](v1::Batch& b) { b.mutable_line_protocol()->add_tag_value(1); },
       "line_protocol.tag_value has 3 entries for 2 records"},
      {[](v1::Batch& b) { b.mutable_line_protocol()->set_field_count(1, 3); },
       "line_protocol.field_key has 7 entries for 8 records"},
      {[](v1::Batch& b) { b.mutable_line_protocol()->set_field_type(0, v1::FieldType(6)); },
       "line_protocol.field_type out of range"},
      {[](v1::Batch& b) { b.mutable_line_protocol()->add_int_value(1); },
       "line_protocol.value columns do not match field_type"},
      {[](v1::Batch& b) { b.mutable_line_protocol()->set_measurement(1, 99); },
       "line_protocol.a string index is past the dictionary"},
      {[](v1::Batch& b) { b.mutable_line_protocol()->set_string_value(0, 99); },
       "line_protocol.a string index is past the dictionary"},
  };
  for (const Case& c : cases) {
    v1::Batch batch = TwoPoints();
    c.damage(batch);
    for (const auto& lines : {TextLines(batch), JsonLines(batch)}) {
      ASSERT_FALSE(lines.ok()) << c.message;
      EXPECT_EQ(lines.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(lines.status().message(), c.message);
    }
  }
}

}  // namespace
}  // namespace firehose::ctl
