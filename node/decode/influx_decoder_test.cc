// Tests for InfluxDecoder: every field type, tags, timestamps in each precision, every
// escaping shape of the line protocol, comments, and each error reason with the
// accounting invariant checked per payload.
#include "node/decode/influx_decoder.h"

#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "node/decode/record_sink.h"

namespace firehose::decode {
namespace {

struct Field {
  std::string key;
  FieldType type;
  double f = 0;
  int64_t i = 0;
  uint64_t u = 0;
  std::string s;
  bool b = false;
};

struct Point {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<Field> fields;
  int64_t ts = 0;
  bool has_ts = false;
};

class PointSink : public RecordSink {
 public:
  void AddStatsd(const StatsdRecord&, const PacketMeta&) override { ADD_FAILURE(); }
  void AddLinePoint(const LinePoint& p, const PacketMeta&) override {
    Point out;
    out.measurement = std::string(p.measurement);
    for (int i = 0; i < p.tag_count; ++i) {
      out.tags.emplace_back(std::string(p.tags[i].key), std::string(p.tags[i].value));
    }
    for (int i = 0; i < p.field_count; ++i) {
      const LineField& f = p.fields[i];
      out.fields.push_back(Field{std::string(f.key), f.type, f.float_value, f.int_value,
                                 f.uint_value, std::string(f.string_value), f.bool_value});
    }
    out.ts = p.timestamp_unix_nanos;
    out.has_ts = p.has_timestamp;
    points.push_back(out);
  }
  std::vector<Point> points;
};

// Lines that must be accounted for: not empty, not comments.
uint64_t Units(std::string_view payload) {
  uint64_t n = 0;
  while (!payload.empty()) {
    size_t nl = payload.find('\n');
    std::string_view line = payload.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line[0] != '#') ++n;
    if (nl == std::string_view::npos) break;
    payload.remove_prefix(nl + 1);
  }
  return n;
}

struct Result {
  std::vector<Point> points;
  std::vector<uint64_t> errors;
  uint64_t total_errors = 0;
};

constexpr int64_t kReceive = 1700000000123456789;

Result Decode(InfluxDecoder& d, std::string_view payload) {
  std::unique_ptr<char[]> copy(new char[payload.size() + 1]);
  std::memcpy(copy.get(), payload.data(), payload.size());
  std::vector<uint64_t> before;
  for (int i = 0; i < kInfluxErrorCount; ++i) before.push_back(d.errors(i));
  const uint64_t records_before = d.records();
  PointSink sink;
  PacketMeta meta;
  meta.receive_unix_nanos = kReceive;
  d.Decode(std::string_view(copy.get(), payload.size()), meta, sink);
  Result r;
  r.points = std::move(sink.points);
  for (int i = 0; i < kInfluxErrorCount; ++i) {
    r.errors.push_back(d.errors(i) - before[i]);
    r.total_errors += r.errors.back();
  }
  EXPECT_EQ(d.records() - records_before, r.points.size());
  EXPECT_EQ(r.points.size() + r.total_errors, Units(payload)) << payload;
  return r;
}

Point Ok(std::string_view line, InfluxPrecision precision = InfluxPrecision::kNanoseconds) {
  InfluxDecoder d(precision);
  Result r = Decode(d, line);
  EXPECT_EQ(r.total_errors, 0u) << line;
  EXPECT_EQ(r.points.size(), 1u) << line;
  return r.points.empty() ? Point() : r.points[0];
}

std::optional<InfluxError> ErrorOf(std::string_view line) {
  InfluxDecoder d;
  Result r = Decode(d, line);
  EXPECT_TRUE(r.points.empty()) << line;
  EXPECT_EQ(r.total_errors, 1u) << line;
  for (int i = 0; i < kInfluxErrorCount; ++i) {
    if (r.errors[i]) return static_cast<InfluxError>(i);
  }
  return std::nullopt;
}

TEST(InfluxDecoderTest, EveryFieldTypeTagsAndTimestamp) {
  Point p = Ok("cpu,host=server01,region=us-west f=1.5,i=-42i,u=42u,s=\"hi there\",b=t,"
               "B=FALSE,e=1e3 1465839830100400200");
  EXPECT_EQ(p.measurement, "cpu");
  ASSERT_EQ(p.tags.size(), 2u);
  EXPECT_EQ(p.tags[0], std::make_pair(std::string("host"), std::string("server01")));
  EXPECT_EQ(p.tags[1], std::make_pair(std::string("region"), std::string("us-west")));
  ASSERT_EQ(p.fields.size(), 7u);
  EXPECT_EQ(p.fields[0].type, FieldType::kFloat);
  EXPECT_DOUBLE_EQ(p.fields[0].f, 1.5);
  EXPECT_EQ(p.fields[1].type, FieldType::kInteger);
  EXPECT_EQ(p.fields[1].i, -42);
  EXPECT_EQ(p.fields[2].type, FieldType::kUnsigned);
  EXPECT_EQ(p.fields[2].u, 42u);
  EXPECT_EQ(p.fields[3].type, FieldType::kString);
  EXPECT_EQ(p.fields[3].s, "hi there");
  EXPECT_EQ(p.fields[4].type, FieldType::kBoolean);
  EXPECT_TRUE(p.fields[4].b);
  EXPECT_EQ(p.fields[5].type, FieldType::kBoolean);
  EXPECT_FALSE(p.fields[5].b);
  EXPECT_DOUBLE_EQ(p.fields[6].f, 1000);
  EXPECT_TRUE(p.has_ts);
  EXPECT_EQ(p.ts, 1465839830100400200);
}

TEST(InfluxDecoderTest, IntegerLimits) {
  EXPECT_EQ(Ok("m i=9223372036854775807i").fields[0].i, INT64_MAX);
  EXPECT_EQ(Ok("m i=-9223372036854775808i").fields[0].i, INT64_MIN);
  EXPECT_EQ(Ok("m u=18446744073709551615u").fields[0].u, UINT64_MAX);
  EXPECT_EQ(ErrorOf("m i=9223372036854775808i"), InfluxError::kBadFieldValue);
  EXPECT_EQ(ErrorOf("m u=-1u"), InfluxError::kBadFieldValue);
  EXPECT_EQ(ErrorOf("m u=18446744073709551616u"), InfluxError::kBadFieldValue);
}

TEST(InfluxDecoderTest, TimestampPrecisionAndDefault) {
  EXPECT_EQ(Ok("m v=1 1700000000", InfluxPrecision::kSeconds).ts, 1700000000000000000);
  EXPECT_EQ(Ok("m v=1 1700000000123", InfluxPrecision::kMilliseconds).ts,
            1700000000123000000);
  EXPECT_EQ(Ok("m v=1 1700000000123456", InfluxPrecision::kMicroseconds).ts,
            1700000000123456000);
  EXPECT_EQ(Ok("m v=1 -5").ts, -5);
  Point none = Ok("m v=1");
  EXPECT_FALSE(none.has_ts);
  EXPECT_EQ(none.ts, kReceive);
  EXPECT_FALSE(Ok("m v=1 ").has_ts);  // a trailing space is tolerated
  InfluxDecoder seconds(InfluxPrecision::kSeconds);
  EXPECT_EQ(Decode(seconds, "m v=1 9300000000").errors[static_cast<int>(
                InfluxError::kBadTimestamp)],
            1u);  // overflows int64 nanoseconds
  EXPECT_EQ(seconds.name(), "influx_s");
}

TEST(InfluxDecoderTest, EscapingShapes) {
  // Measurement: comma and space escaped; '=' needs no escape there.
  Point m = Ok("my\\ meas\\,ure=x v=1");
  EXPECT_EQ(m.measurement, "my meas,ure=x");
  // Tag keys and values: comma, equals, space.
  Point t = Ok("m,ta\\ g\\=k=v\\,a\\ l\\=ue v=1");
  ASSERT_EQ(t.tags.size(), 1u);
  EXPECT_EQ(t.tags[0].first, "ta g=k");
  EXPECT_EQ(t.tags[0].second, "v,a l=ue");
  // Field keys likewise.
  EXPECT_EQ(Ok("m fi\\ e\\,l\\=d=1").fields[0].key, "fi e,l=d");
  // String values: quote and backslash escaped; other characters literal, including
  // commas, spaces, '=' and a backslash before anything else.
  Point s = Ok("m s=\"a \\\"quoted\\\" \\\\ path, x=1 \\n\" 17");
  EXPECT_EQ(s.fields[0].s, "a \"quoted\" \\ path, x=1 \\n");
  EXPECT_EQ(s.ts, 17);
  // A backslash before a character that needs no escape is kept.
  EXPECT_EQ(Ok("m\\a v=1").measurement, "m\\a");
  EXPECT_EQ(Ok("m,k=v\\a v=1").tags[0].second, "v\\a");
  // Unicode passes through untouched.
  EXPECT_EQ(Ok("température,lieu=café v=1").tags[0].second, "café");
  // Empty string values are allowed.
  EXPECT_EQ(Ok("m s=\"\"").fields[0].s, "");
  // Several escaped tokens in one line keep their own bytes in the scratch buffer.
  Point many = Ok("a\\ b,c\\ d=e\\ f g\\ h=\"i\\\"j\" 1");
  EXPECT_EQ(many.measurement, "a b");
  EXPECT_EQ(many.tags[0], std::make_pair(std::string("c d"), std::string("e f")));
  EXPECT_EQ(many.fields[0].key, "g h");
  EXPECT_EQ(many.fields[0].s, "i\"j");
}

TEST(InfluxDecoderTest, CommentsEmptyLinesAndCrlf) {
  InfluxDecoder d;
  Result r = Decode(d, "# a comment\n\ncpu v=1\r\nmem v=2\n\n");
  ASSERT_EQ(r.points.size(), 2u);
  EXPECT_EQ(r.points[1].measurement, "mem");
  EXPECT_EQ(r.total_errors, 0u);
}

TEST(InfluxDecoderTest, EachErrorReason) {
  const std::pair<std::string, InfluxError> cases[] = {
      {",t=1 v=1", InfluxError::kEmptyMeasurement},
      {" v=1", InfluxError::kEmptyMeasurement},
      {"m,t v=1", InfluxError::kBadTag},
      {"m,=v v=1", InfluxError::kBadTag},
      {"m,t= v=1", InfluxError::kBadTag},
      {"m", InfluxError::kMissingFields},
      {"m,t=1", InfluxError::kMissingFields},
      {"m ", InfluxError::kMissingFields},
      {"m  v=1", InfluxError::kMissingFields},
      {"m v", InfluxError::kBadField},
      {"m =1", InfluxError::kBadField},
      {"m v=1,", InfluxError::kBadField},
      {"m v=", InfluxError::kBadFieldValue},
      {"m v=abc", InfluxError::kBadFieldValue},
      {"m v=inf", InfluxError::kBadFieldValue},
      {"m v=nan", InfluxError::kBadFieldValue},
      {"m v=1.5i", InfluxError::kBadFieldValue},
      {"m v=\"open", InfluxError::kBadFieldValue},
      {"m v=\"x\"y", InfluxError::kBadFieldValue},
      {"m v=+-1", InfluxError::kBadFieldValue},
      {"m v=1 12a", InfluxError::kBadTimestamp},
      {"m v=1 1 2", InfluxError::kBadTimestamp},
      {"m v=1 1.5", InfluxError::kBadTimestamp},
      {"m s=\"\xed\xa0\x80\"", InfluxError::kInvalidUtf8},
  };
  std::set<InfluxError> covered;
  for (const auto& [line, error] : cases) {
    EXPECT_EQ(ErrorOf(line), error) << line;
    covered.insert(error);
  }
  std::string tags = "m";
  for (int i = 0; i <= kMaxLineTags; ++i) tags += ",t" + std::to_string(i) + "=v";
  EXPECT_EQ(ErrorOf(tags + " v=1"), InfluxError::kTooManyTags);
  covered.insert(InfluxError::kTooManyTags);
  std::string fields = "m ";
  for (int i = 0; i <= kMaxLineFields; ++i) fields += (i ? ",f" : "f") + std::to_string(i) + "=1";
  EXPECT_EQ(ErrorOf(fields), InfluxError::kTooManyFields);
  covered.insert(InfluxError::kTooManyFields);
  EXPECT_EQ(ErrorOf("m v=\"" + std::string(kInfluxMaxLineLen, 'x') + "\""),
            InfluxError::kLineTooLong);
  covered.insert(InfluxError::kLineTooLong);
  EXPECT_EQ(covered.size(), static_cast<size_t>(kInfluxErrorCount));
}

TEST(InfluxDecoderTest, BadLinesDoNotStopTheRest) {
  InfluxDecoder d;
  Result r = Decode(d, "a v=1\nbad\nb v=2i\nc v=\"x\n");
  EXPECT_EQ(r.points.size(), 2u);
  EXPECT_EQ(r.total_errors, 2u);
}

}  // namespace
}  // namespace firehose::decode
