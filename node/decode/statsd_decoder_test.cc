// Tests for StatsdDecoder: every metric type, values, rates, tags and the DogStatsD
// extensions; one test per malformed shape checking the exact error reason; and the
// accounting invariant (non-empty lines = records + errors) on truncated, oversized
// and garbage packets.
#include "node/decode/statsd_decoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "node/decode/record_sink.h"

namespace firehose::decode {

void PrintTo(StatsdError error, std::ostream* os) {
  *os << kStatsdErrorNames[static_cast<int>(error)];
}

namespace {

// A StatsdRecord with owned strings, so it outlives the payload.
struct Collected {
  std::string name;
  double value = 0;
  MetricType type = MetricType::kCounter;
  float sample_rate = 1;
  uint32_t flags = 0;
  std::string text;
  std::vector<std::string> tags;
  uint16_t source_port = 0;
  uint64_t timestamp = 0;
  std::string container_id;
};

class CollectingSink : public RecordSink {
 public:
  void AddStatsd(const StatsdRecord& r, const PacketMeta& meta) override {
    Collected c;
    c.name = std::string(r.name);
    c.value = r.value;
    c.type = r.type;
    c.sample_rate = r.sample_rate;
    c.flags = r.flags;
    c.text = std::string(r.text);
    for (int i = 0; i < r.tag_count; ++i) c.tags.emplace_back(r.tags[i]);
    c.source_port = meta.source_port;
    c.timestamp = r.timestamp_unix_seconds;
    c.container_id = std::string(r.container_id);
    records.push_back(std::move(c));
  }
  std::vector<Collected> records;
};

// Independent count of non-empty lines (after stripping one trailing '\r').
uint64_t NonEmptyLines(std::string_view payload) {
  uint64_t lines = 0;
  size_t start = 0;
  while (start <= payload.size()) {
    size_t nl = payload.find('\n', start);
    size_t end = nl == std::string_view::npos ? payload.size() : nl;
    std::string_view line = payload.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) ++lines;
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

// Decodes `payload` from a heap copy of exactly its size (ASan catches over-reads).
// Checks the accounting invariant on the way.
struct Result {
  std::vector<Collected> records;
  std::vector<uint64_t> errors;  // per reason
  uint64_t total_errors = 0;
};

Result Decode(StatsdDecoder& decoder, std::string_view payload, PacketMeta meta = {}) {
  std::unique_ptr<char[]> copy(new char[payload.size() + 1]);
  if (!payload.empty()) std::memcpy(copy.get(), payload.data(), payload.size());
  const uint64_t records_before = decoder.records();
  std::vector<uint64_t> errors_before;
  for (int i = 0; i < decoder.error_reason_count(); ++i) {
    errors_before.push_back(decoder.errors(i));
  }
  CollectingSink sink;
  decoder.Decode(std::string_view(copy.get(), payload.size()), meta, sink);
  Result result;
  result.records = std::move(sink.records);
  for (int i = 0; i < decoder.error_reason_count(); ++i) {
    result.errors.push_back(decoder.errors(i) - errors_before[i]);
    result.total_errors += result.errors.back();
  }
  EXPECT_EQ(decoder.records() - records_before, result.records.size());
  EXPECT_EQ(result.records.size() + result.total_errors, NonEmptyLines(payload))
      << "invariant broken for payload of " << payload.size() << " bytes";
  return result;
}

Result Decode(std::string_view payload) {
  StatsdDecoder decoder;
  return Decode(decoder, payload);
}

// Decodes a single line and returns its record; fails the test if it was rejected.
Collected DecodeOk(std::string_view line) {
  Result r = Decode(line);
  EXPECT_EQ(r.total_errors, 0u) << line;
  EXPECT_EQ(r.records.size(), 1u) << line;
  return r.records.empty() ? Collected() : r.records[0];
}

// The single error reason a single malformed line produced.
std::optional<StatsdError> ErrorOf(std::string_view line) {
  Result r = Decode(line);
  EXPECT_TRUE(r.records.empty()) << line;
  EXPECT_EQ(r.total_errors, 1u) << line;
  for (int i = 0; i < kStatsdErrorCount; ++i) {
    if (r.errors[i] != 0) return static_cast<StatsdError>(i);
  }
  return std::nullopt;
}

// "a:1|c|#t0,t1,...": `count` tags.
std::string LineWithTags(int count) {
  std::string line = "a:1|c|#";
  for (int i = 0; i < count; ++i) line += (i ? ",t" : "t") + std::to_string(i);
  return line;
}

TEST(StatsdDecoderTest, DecodesEveryType) {
  struct Case {
    const char* line;
    MetricType type;
    double value;
  } cases[] = {
      {"hits:1|c", MetricType::kCounter, 1},
      {"temp:21.5|g", MetricType::kGauge, 21.5},
      {"rt:320|ms", MetricType::kTimer, 320},
      {"size:1024|h", MetricType::kHistogram, 1024},
      {"lat:0.004|d", MetricType::kDistribution, 0.004},
  };
  for (const Case& c : cases) {
    Collected r = DecodeOk(c.line);
    EXPECT_EQ(r.type, c.type) << c.line;
    EXPECT_DOUBLE_EQ(r.value, c.value) << c.line;
    EXPECT_EQ(r.flags, 0u) << c.line;
    EXPECT_EQ(r.sample_rate, 1.0f) << c.line;
    EXPECT_TRUE(r.tags.empty()) << c.line;
    EXPECT_TRUE(r.text.empty()) << c.line;
  }
  EXPECT_EQ(DecodeOk("hits:1|c").name, "hits");
}

// Payloads larger than one separator index (only direct callers, such as the fuzzer,
// pass them) are decoded window by window: no line is lost or split at a window edge,
// and a line too long for any window is counted once.
TEST(StatsdDecoderTest, DecodesPayloadsLargerThanTheIndex) {
  std::string payload;
  int lines = 0;
  while (payload.size() < 3 * SeparatorIndex::kMaxBytes) {
    payload += "m" + std::to_string(lines) + ":" + std::to_string(lines) + "|c|#a:b,c\n";
    ++lines;
    if (lines == 1000) {  // one over-long line between the windows
      payload += std::string(SeparatorIndex::kMaxBytes + 10, 'x') + "\n";
    }
  }
  StatsdDecoder decoder;
  CollectingSink sink;
  decoder.Decode(payload, PacketMeta{}, sink);
  ASSERT_EQ(sink.records.size(), static_cast<size_t>(lines));
  for (int i = 0; i < lines; ++i) {
    ASSERT_EQ(sink.records[i].name, "m" + std::to_string(i));
    ASSERT_EQ(sink.records[i].value, i);
    ASSERT_EQ(sink.records[i].tags, (std::vector<std::string>{"a:b", "c"}));
  }
  EXPECT_EQ(decoder.errors(StatsdError::kLineTooLong), 1u);
  EXPECT_EQ(decoder.total_errors(), 1u);
}

TEST(StatsdDecoderTest, SetKeepsValueAsText) {
  Collected r = DecodeOk("users.unique:user-42@example.com|s|#env:prod");
  EXPECT_EQ(r.type, MetricType::kSet);
  EXPECT_EQ(r.text, "user-42@example.com");
  EXPECT_EQ(r.value, 0);
  EXPECT_EQ(r.tags, std::vector<std::string>{"env:prod"});
}

TEST(StatsdDecoderTest, ParsesNumberForms) {
  EXPECT_DOUBLE_EQ(DecodeOk("a:1e3|c").value, 1000);
  EXPECT_DOUBLE_EQ(DecodeOk("a:2.5E-2|ms").value, 0.025);
  EXPECT_DOUBLE_EQ(DecodeOk("a:.5|h").value, 0.5);
  EXPECT_DOUBLE_EQ(DecodeOk("a:5.|h").value, 5);
  EXPECT_DOUBLE_EQ(DecodeOk("a:-2.5|c").value, -2.5);
  EXPECT_DOUBLE_EQ(DecodeOk("a:+3|c").value, 3);
  EXPECT_EQ(DecodeOk("a:+3|c").flags, 0u);  // a sign means delta only for gauges
  EXPECT_DOUBLE_EQ(DecodeOk("a:0|d").value, 0);
}

// Values take a fast path for plain decimals (<= 15 digits, no exponent) and fall back
// to std::from_chars otherwise; both must give bit-identical doubles.
TEST(StatsdDecoderTest, FastValuePathMatchesFromChars) {
  std::mt19937_64 rng(99);
  std::vector<std::string> texts = {"0",
                                    "0.0",
                                    "00012",
                                    "5.",
                                    ".5",
                                    "0.1",
                                    "0.3",
                                    "2.675",
                                    "1e5",
                                    "123456789012345",
                                    "1234567890123456",
                                    "0.000000000000001",
                                    "9007199254740993",
                                    "179769313486231570000"};
  for (int i = 0; i < 20000; ++i) {
    const int int_digits = rng() % 10;
    const int frac_digits = rng() % 10;
    std::string text;
    for (int d = 0; d < int_digits; ++d) text += static_cast<char>('0' + rng() % 10);
    if (frac_digits > 0 || int_digits == 0) {
      text += '.';
      for (int d = 0; d < std::max(frac_digits, 1); ++d) {
        text += static_cast<char>('0' + rng() % 10);
      }
    }
    texts.push_back(text);
  }
  StatsdRecord record;
  for (const std::string& text : texts) {
    double expected;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), expected);
    ASSERT_EQ(ec, std::errc()) << text;
    ASSERT_EQ(StatsdDecoder::ParseLine("m:" + text + "|h", &record), std::nullopt) << text;
    EXPECT_EQ(std::memcmp(&record.value, &expected, sizeof(double)), 0)
        << text << " parsed as " << record.value << " expected " << expected;
    ASSERT_EQ(StatsdDecoder::ParseLine("m:-" + text + "|h", &record), std::nullopt) << text;
    EXPECT_EQ(record.value, -expected) << text;
  }
}

// What ParseDouble's contract says a value field is: one optional sign, then text that
// std::from_chars reads whole as a finite double (no second sign).
std::optional<double> ReferenceValue(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty() || text[0] == '+' || text[0] == '-') return std::nullopt;
  double value;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

// Short values (what clients send) are accepted or rejected, and valued bit for bit, as
// ReferenceValue says: every text of up to 4 bytes over digits, '.', signs and the bytes
// next to the digits, and random ones up to 10 bytes, behind a one-byte name and a
// longer one (so a parser that reads the bytes before a value is checked both ways).
TEST(StatsdDecoderTest, ShortValuesMatchFromChars) {
  constexpr char kAlphabet[] = "0159.+-e/: ";
  const std::string alphabet(kAlphabet, sizeof(kAlphabet) - 1);
  std::vector<std::string> texts = {"", ".", "..", "00000000", "99999999", "9999.999", ".9999999",
                                    "9999999.", "0.000001", "12345678.", "123456789", "1.2.3",
                                    "1e3", "1E3", "inf", "nan",
                                    // high bytes (valid UTF-8: U+00E9, U+00AE)
                                    "\xc3\xa9", "1\xc3\xa9", "12\xc3\xa9.5",
                                    "\xc2\xae"
                                    "5"};
  for (char a : alphabet) {
    texts.emplace_back(1, a);
    for (char b : alphabet) {
      texts.push_back(std::string{a, b});
      for (char c : alphabet) {
        texts.push_back(std::string{a, b, c});
        for (char d : alphabet) texts.push_back(std::string{a, b, c, d});
      }
    }
  }
  std::mt19937_64 rng(2026);
  const std::string digits_and_dot = "0123456789.";
  for (int i = 0; i < 50000; ++i) {
    std::string text;
    if (rng() % 4 == 0) text += "+-"[rng() % 2];
    const int length = 1 + static_cast<int>(rng() % 10);
    for (int j = 0; j < length; ++j) text += digits_and_dot[rng() % 11];
    texts.push_back(text);
  }
  StatsdRecord record;
  for (const std::string& text : texts) {
    const std::optional<double> expected = ReferenceValue(text);
    for (const std::string& name : {std::string("m"), std::string("some.metric.name")}) {
      const std::string line = name + ":" + text + "|h";
      const std::optional<StatsdError> error = StatsdDecoder::ParseLine(line, &record);
      if (!expected.has_value()) {
        EXPECT_EQ(error, StatsdError::kBadValue) << line;
        continue;
      }
      ASSERT_EQ(error, std::nullopt) << line;
      EXPECT_EQ(std::memcmp(&record.value, &*expected, sizeof(double)), 0)
          << line << " parsed as " << record.value << " expected " << *expected;
    }
  }
}

// Values, rates and tags at every offset of a packet, so separators fall on each byte
// of the separator index's 64-byte words and lines span words.
TEST(StatsdDecoderTest, FieldsAtEveryWordOffset) {
  const std::vector<std::string> values = {"1",  "-2.5", "12.375",    "4999.99", "0.1234567",
                                           ".5", "7.",   "+99999999", "1e2",     "123456789"};
  for (size_t pad = 0; pad < 80; ++pad) {
    std::string payload;
    std::vector<double> expected;
    for (const std::string& value : values) {
      payload += std::string(1 + pad % 13, 'n') + std::to_string(pad) + ":" + value +
                 "|g|@0.25|#t:" + std::string(pad, 'x') + ",u\r\n";
      expected.push_back(*ReferenceValue(value));
    }
    const Result r = Decode(payload);
    ASSERT_EQ(r.records.size(), values.size()) << pad;
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(std::memcmp(&r.records[i].value, &expected[i], sizeof(double)), 0)
          << values[i] << " at pad " << pad;
      EXPECT_EQ(r.records[i].sample_rate, 0.25f);
      EXPECT_EQ(r.records[i].tags, (std::vector<std::string>{"t:" + std::string(pad, 'x'), "u"}));
      EXPECT_EQ(r.records[i].flags,
                values[i][0] == '+' || values[i][0] == '-' ? kStatsdFlagGaugeDelta : 0u);
    }
  }
}

TEST(StatsdDecoderTest, SignedGaugeIsDelta) {
  Collected plus = DecodeOk("queue.depth:+4|g");
  EXPECT_EQ(plus.flags, kStatsdFlagGaugeDelta);
  EXPECT_DOUBLE_EQ(plus.value, 4);
  Collected minus = DecodeOk("queue.depth:-1.5|g");
  EXPECT_EQ(minus.flags, kStatsdFlagGaugeDelta);
  EXPECT_DOUBLE_EQ(minus.value, -1.5);
  Collected absolute = DecodeOk("queue.depth:7|g");
  EXPECT_EQ(absolute.flags, 0u);
  EXPECT_DOUBLE_EQ(absolute.value, 7);
}

TEST(StatsdDecoderTest, SampleRates) {
  EXPECT_FLOAT_EQ(DecodeOk("a:1|c|@0.5").sample_rate, 0.5f);
  EXPECT_FLOAT_EQ(DecodeOk("a:1|c|@1").sample_rate, 1.0f);
  EXPECT_FLOAT_EQ(DecodeOk("a:1|ms|@1e-3").sample_rate, 0.001f);
  Collected r = DecodeOk("a:1|c|@0.25|#x:y");
  EXPECT_FLOAT_EQ(r.sample_rate, 0.25f);
  EXPECT_EQ(r.tags, std::vector<std::string>{"x:y"});
  // Order of sections does not matter.
  EXPECT_FLOAT_EQ(DecodeOk("a:1|c|#x:y|@0.25").sample_rate, 0.25f);
}

TEST(StatsdDecoderTest, Tags) {
  Collected r =
      DecodeOk("web.api.requests.count_123:1|c|#env:prod,service:api-7,region:eu-west-1,canary");
  EXPECT_EQ(r.name, "web.api.requests.count_123");
  EXPECT_EQ(r.tags,
            (std::vector<std::string>{"env:prod", "service:api-7", "region:eu-west-1", "canary"}));
  // A tag value may hold ':' and '@'; only ',' and '|' delimit.
  EXPECT_EQ(DecodeOk("a:1|c|#url:http://x@y").tags, std::vector<std::string>{"url:http://x@y"});
}

TEST(StatsdDecoderTest, MaxTagsAccepted) {
  std::string line = LineWithTags(kMaxStatsdTags);
  Collected r = DecodeOk(line);
  ASSERT_EQ(r.tags.size(), static_cast<size_t>(kMaxStatsdTags));
  EXPECT_EQ(r.tags.back(), "t63");
  EXPECT_EQ(ErrorOf(line + ",t64"), StatsdError::kTooManyTags);
}

TEST(StatsdDecoderTest, DogStatsdExtensionsAreKept) {
  Collected r = DecodeOk("dd.metric:2|c|#env:prod|c:3a7f9e0b|T1656581400");
  EXPECT_EQ(r.name, "dd.metric");
  EXPECT_DOUBLE_EQ(r.value, 2);
  EXPECT_EQ(r.tags, std::vector<std::string>{"env:prod"});
  EXPECT_EQ(r.container_id, "3a7f9e0b");
  EXPECT_EQ(r.timestamp, 1656581400u);
  // Absent extensions read as zero / empty, also on a reused decoder scratch record.
  Collected plain = DecodeOk("dd.metric:2|c");
  EXPECT_EQ(plain.timestamp, 0u);
  EXPECT_EQ(plain.container_id, "");
  EXPECT_EQ(DecodeOk("m:1|g|T18446744073709551615").timestamp, UINT64_MAX);
}

TEST(StatsdDecoderTest, NameRules) {
  EXPECT_EQ(DecodeOk(std::string(kStatsdMaxNameLen, 'n') + ":1|c").name.size(), kStatsdMaxNameLen);
  // Bytes other than ':' '|' '\n' are kept verbatim (no normalisation).
  EXPECT_EQ(DecodeOk("my metric/é#1:1|c").name, "my metric/é#1");
}

TEST(StatsdDecoderTest, MultipleLinesAndMeta) {
  StatsdDecoder decoder;
  PacketMeta meta;
  meta.source_port = 4242;
  Result r = Decode(decoder, "a:1|c\nb:2|g\nc:3|ms", meta);
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].name, "a");
  EXPECT_EQ(r.records[1].name, "b");
  EXPECT_EQ(r.records[2].name, "c");
  EXPECT_DOUBLE_EQ(r.records[2].value, 3);
  for (const Collected& c : r.records) EXPECT_EQ(c.source_port, 4242);
  EXPECT_EQ(decoder.records(), 3u);
}

TEST(StatsdDecoderTest, CrLfAndEmptyLines) {
  Result r = Decode("a:1|c\r\n\r\nb:2|c|#k:v\r\n\n\n");
  EXPECT_EQ(r.total_errors, 0u);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].name, "a");
  EXPECT_EQ(r.records[1].tags, std::vector<std::string>{"k:v"});  // no '\r' in it
  EXPECT_EQ(Decode("").records.size(), 0u);
  EXPECT_EQ(Decode("\n\n\r\n").total_errors, 0u);
}

TEST(StatsdDecoderTest, MalformedLineDoesNotStopThePacket) {
  Result r = Decode("good.a:1|c\nbad line\ngood.b:2|c\n:3|c\ngood.c:4|c");
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[2].name, "good.c");
  EXPECT_EQ(r.errors[static_cast<int>(StatsdError::kMissingColon)], 1u);
  EXPECT_EQ(r.errors[static_cast<int>(StatsdError::kEmptyName)], 1u);
  EXPECT_EQ(r.total_errors, 2u);
}

// Every malformed shape, each counted once under the named reason.
TEST(StatsdDecoderTest, MalformedLines) {
  struct Case {
    std::string line;
    StatsdError error;
  } cases[] = {
      {"no_colon_here", StatsdError::kMissingColon},
      {"foo|c", StatsdError::kMissingColon},
      {"foo|c|#env:prod", StatsdError::kMissingColon},  // ':' only after a '|'
      {":1|c", StatsdError::kEmptyName},
      {std::string(kStatsdMaxNameLen + 1, 'n') + ":1|c", StatsdError::kNameTooLong},
      {"foo:1", StatsdError::kMissingType},
      {"foo:1|", StatsdError::kMissingType},
      {"foo:1||@0.5", StatsdError::kMissingType},
      {"foo:1|x", StatsdError::kUnknownType},
      {"foo:1|cc", StatsdError::kUnknownType},
      {"foo:1|m", StatsdError::kUnknownType},
      {"foo:1|C", StatsdError::kUnknownType},
      {"foo:|c", StatsdError::kBadValue},
      {"foo:abc|c", StatsdError::kBadValue},
      {"foo:1.2.3|g", StatsdError::kBadValue},
      {"foo: 1|c", StatsdError::kBadValue},
      {"foo:1 |c", StatsdError::kBadValue},
      {"foo:+|g", StatsdError::kBadValue},
      {"foo:+-1|g", StatsdError::kBadValue},
      {"foo:++1|g", StatsdError::kBadValue},
      {"foo:--1|g", StatsdError::kBadValue},
      {"foo:inf|g", StatsdError::kBadValue},
      {"foo:nan|ms", StatsdError::kBadValue},
      {"foo:0x10|c", StatsdError::kBadValue},
      {"foo:1e|c", StatsdError::kBadValue},
      {"foo:1e400|c", StatsdError::kBadValue},
      {"foo:1:2:3|c", StatsdError::kBadValue},  // DogStatsD multi-value
      {"foo:|s", StatsdError::kBadValue},
      {"foo:1|c|", StatsdError::kUnknownSection},
      {"foo:1|c|x", StatsdError::kUnknownSection},
      {"foo:1|c||#a", StatsdError::kUnknownSection},
      {"foo:1|c|c", StatsdError::kUnknownSection},
      {"foo:1|c|cx", StatsdError::kUnknownSection},
      {"foo:1|c|@", StatsdError::kBadSampleRate},
      {"foo:1|c|@0", StatsdError::kBadSampleRate},
      {"foo:1|c|@1.01", StatsdError::kBadSampleRate},
      {"foo:1|c|@1e-50", StatsdError::kBadSampleRate},  // > 0 as a double, 0 as a float
      {"foo:1|c|@0.0000000000000000000000000000000000000000000000005", StatsdError::kBadSampleRate},
      {"foo:1|c|@-0.5", StatsdError::kBadSampleRate},
      {"foo:1|c|@abc", StatsdError::kBadSampleRate},
      {"foo:1|c|@nan", StatsdError::kBadSampleRate},
      {"foo:1|c|@0.5|@0.5", StatsdError::kBadSampleRate},
      {"foo:1|c|#", StatsdError::kBadTag},
      {"foo:1|c|#a,,b", StatsdError::kBadTag},
      {"foo:1|c|#a,", StatsdError::kBadTag},
      {"foo:1|c|#,a", StatsdError::kBadTag},
      {"foo:1|c|#a|#b", StatsdError::kBadTag},
      {LineWithTags(kMaxStatsdTags + 1), StatsdError::kTooManyTags},
      {LineWithTags(kMaxStatsdTags) + "|#u", StatsdError::kBadTag},
      {"foo:1|c|T", StatsdError::kBadTimestamp},
      {"foo:1|c|T12a", StatsdError::kBadTimestamp},
      {"foo:1|c|T123456789012345678901", StatsdError::kBadTimestamp},
      {"foo:1|c|T18446744073709551616", StatsdError::kBadTimestamp},
      {"foo:1|c|T0", StatsdError::kBadTimestamp},
      {"foo:1|c|T5|T6", StatsdError::kBadTimestamp},
      {"bad\xff:1|c", StatsdError::kInvalidUtf8},
      {"ok:1|c|#tag:\xc3", StatsdError::kInvalidUtf8},
      {"_e{5,4}:title|text", StatsdError::kEventUnsupported},
      {"_e{5,4}:title|text|#env:prod", StatsdError::kEventUnsupported},
      {"_sc|my.check|0|#env:prod", StatsdError::kServiceCheckUnsupported},
      {"a:1|c|#" + std::string(kStatsdMaxLineLen, 't'), StatsdError::kLineTooLong},
  };
  std::set<StatsdError> covered;
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(c.line), c.error) << c.line.substr(0, 80);
    covered.insert(c.error);
  }
  EXPECT_EQ(covered.size(), static_cast<size_t>(kStatsdErrorCount))
      << "some error reason has no malformed-line case";
}

TEST(StatsdDecoderTest, LineLengthLimitIsExact) {
  // Exactly kStatsdMaxLineLen bytes, valid: long tags fill it up.
  std::string line = "a:1|c|#";
  while (line.size() + 201 <= kStatsdMaxLineLen - 10) line += std::string(200, 'x') + ",";
  line += std::string(kStatsdMaxLineLen - line.size(), 'y');
  ASSERT_EQ(line.size(), kStatsdMaxLineLen);
  EXPECT_EQ(DecodeOk(line).name, "a");
  EXPECT_EQ(ErrorOf(line + "y"), StatsdError::kLineTooLong);
  // The terminator does not count, and the next line still decodes.
  Result r = Decode(line + "\r\n" + line + "y\nb:1|c");
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.errors[static_cast<int>(StatsdError::kLineTooLong)], 1u);
}

// Cuts a valid multi-line packet at every byte: never crashes, and every cut obeys
// the invariant (checked in Decode).
TEST(StatsdDecoderTest, EveryTruncationKeepsTheInvariant) {
  const std::string packet =
      "api.http.request.duration.p95.service_17:12.5|ms|@0.5|#env:prod,region:eu-west-1\n"
      "web.api.requests.count_123:1|c|#env:prod,service:api-7\r\n"
      "queue.depth:-2|g\n"
      "users.unique:user_42|s|c:abc|T1656581400\n";
  StatsdDecoder decoder;
  uint64_t total_records = 0;
  for (size_t len = 0; len <= packet.size(); ++len) {
    total_records += Decode(decoder, std::string_view(packet).substr(0, len)).records.size();
  }
  EXPECT_EQ(Decode(packet).records.size(), 4u);
  EXPECT_GT(total_records, 0u);
}

TEST(StatsdDecoderTest, GarbagePacket) {
  std::mt19937 rng(7);
  StatsdDecoder decoder;
  for (int round = 0; round < 200; ++round) {
    std::string garbage(1 + rng() % 1500, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    Decode(decoder, garbage);
  }
  // Garbage without a newline is one line and exactly one error.
  Result r = Decode(std::string(1400, '\xff'));
  EXPECT_EQ(r.records.size(), 0u);
  EXPECT_EQ(r.total_errors, 1u);
  Result nul = Decode(std::string(64, '\0'));
  EXPECT_EQ(nul.errors[static_cast<int>(StatsdError::kMissingColon)], 1u);
}

TEST(StatsdDecoderTest, ParseLineReusesRecordWithoutStaleFields) {
  StatsdRecord record;
  ASSERT_EQ(StatsdDecoder::ParseLine("a:-1|g|@0.5|#x,y", &record), std::nullopt);
  EXPECT_EQ(record.tag_count, 2);
  ASSERT_EQ(StatsdDecoder::ParseLine("b:2|c", &record), std::nullopt);
  EXPECT_EQ(record.name, "b");
  EXPECT_EQ(record.tag_count, 0);
  EXPECT_EQ(record.flags, 0u);
  EXPECT_EQ(record.sample_rate, 1.0f);
  ASSERT_EQ(StatsdDecoder::ParseLine("c:v|s", &record), std::nullopt);
  ASSERT_EQ(StatsdDecoder::ParseLine("d:3|ms", &record), std::nullopt);
  EXPECT_TRUE(record.text.empty());
  EXPECT_EQ(StatsdDecoder::ParseLine("", &record), StatsdError::kEmptyName);
}

TEST(StatsdDecoderTest, CounterInterface) {
  StatsdDecoder decoder;
  EXPECT_EQ(decoder.name(), "statsd");
  ASSERT_EQ(decoder.error_reason_count(), kStatsdErrorCount);
  std::set<std::string_view> names;
  for (int i = 0; i < decoder.error_reason_count(); ++i) {
    std::string_view name = decoder.error_reason_name(i);
    EXPECT_FALSE(name.empty());
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kStatsdErrorCount));
  EXPECT_EQ(decoder.error_reason_name(static_cast<int>(StatsdError::kBadTag)), "bad_tag");
  EXPECT_EQ(decoder.error_reason_name(-1), "");
  EXPECT_EQ(decoder.error_reason_name(kStatsdErrorCount), "");

  CollectingSink sink;
  decoder.Decode("a:1|c\nb|c\nc:x|c\nd:1|c", PacketMeta(), sink);
  EXPECT_EQ(decoder.records(), 2u);
  EXPECT_EQ(decoder.errors(StatsdError::kMissingColon), 1u);
  EXPECT_EQ(decoder.errors(static_cast<int>(StatsdError::kBadValue)), 1u);
  EXPECT_EQ(decoder.total_errors(), 2u);
  EXPECT_EQ(decoder.errors(-1), 0u);
  EXPECT_EQ(decoder.errors(kStatsdErrorCount), 0u);
}

}  // namespace
}  // namespace firehose::decode
