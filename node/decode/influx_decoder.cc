// InfluxDecoder: splits a payload into lines and parses each in one left-to-right pass,
// unescaping into a scratch buffer only the tokens that contain escapes. See the header
// for the grammar and the error each rule maps to.
#include "node/decode/influx_decoder.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

#include "node/decode/utf8.h"

namespace firehose::decode {
namespace {

// Delimiters and escapable characters of each token kind, as bit tests over a few
// characters (cheaper than strchr on a string per byte).
struct CharSet {
  bool comma, equals, space, quote, backslash;
  bool Has(char c) const {
    switch (c) {
      case ',':
        return comma;
      case '=':
        return equals;
      case ' ':
        return space;
      case '"':
        return quote;
      case '\\':
        return backslash;
      default:
        return false;
    }
  }
};

constexpr CharSet kMeasurementStops{true, false, true, false, false};
constexpr CharSet kMeasurementEscapes{true, false, true, false, false};
constexpr CharSet kKeyStops{true, true, true, false, false};
constexpr CharSet kKeyEscapes{true, true, true, false, false};
constexpr CharSet kTagValueStops{true, false, true, false, false};
constexpr CharSet kStringStops{false, false, false, true, false};
constexpr CharSet kStringEscapes{false, false, false, true, true};

// Reads a token from *p up to the first unescaped stop character (or end). A backslash
// before an escapable character stands for that character; before anything else it is
// literal. Tokens with escapes are copied unescaped to scratch + *used.
std::string_view ScanToken(const char** p, const char* end, const CharSet& stops,
                           const CharSet& escapes, char* scratch, size_t* used) {
  const char* const begin = *p;
  const char* q = begin;
  bool escaped = false;
  while (q != end) {
    if (*q == '\\' && q + 1 != end && escapes.Has(q[1])) {
      escaped = true;
      q += 2;
      continue;
    }
    if (stops.Has(*q)) break;
    ++q;
  }
  *p = q;
  if (!escaped) return std::string_view(begin, q - begin);
  char* const out = scratch + *used;
  char* w = out;
  for (const char* r = begin; r != q; ++r) {
    if (*r == '\\' && r + 1 != q && escapes.Has(r[1])) ++r;
    *w++ = *r;
  }
  *used += w - out;
  return std::string_view(out, w - out);
}

bool ParseBoolean(std::string_view v, bool* out) {
  if (v == "t" || v == "T" || v == "true" || v == "True" || v == "TRUE") {
    *out = true;
    return true;
  }
  if (v == "f" || v == "F" || v == "false" || v == "False" || v == "FALSE") {
    *out = false;
    return true;
  }
  return false;
}

template <typename T>
bool ParseWhole(const char* first, const char* last, T* out) {
  if (first == last) return false;
  const std::from_chars_result r = std::from_chars(first, last, *out);
  return r.ec == std::errc() && r.ptr == last;
}

// Types and parses an unquoted field value.
bool ParseFieldValue(std::string_view v, LineField* field) {
  if (v.empty()) return false;
  const char* first = v.data();
  const char* last = first + v.size();
  const char suffix = v.back();
  if (suffix == 'i') {
    field->type = FieldType::kInteger;
    return ParseWhole(first, last - 1, &field->int_value);
  }
  if (suffix == 'u') {
    field->type = FieldType::kUnsigned;
    return ParseWhole(first, last - 1, &field->uint_value);
  }
  if (ParseBoolean(v, &field->bool_value)) {
    field->type = FieldType::kBoolean;
    return true;
  }
  field->type = FieldType::kFloat;
  // from_chars takes "inf"/"nan", which InfluxDB rejects, and rejects a leading '+',
  // which InfluxDB accepts for floats.
  if (*first == '+') {
    ++first;
    if (first == last || *first == '+' || *first == '-') return false;
  }
  const std::from_chars_result r =
      std::from_chars(first, last, field->float_value, std::chars_format::general);
  return r.ec == std::errc() && r.ptr == last && std::isfinite(field->float_value);
}

constexpr int64_t kNanosPer[] = {1, 1000, 1000000, 1000000000};
constexpr std::string_view kNames[] = {"influx", "influx_us", "influx_ms", "influx_s"};

}  // namespace

InfluxDecoder::InfluxDecoder(InfluxPrecision precision)
    : Decoder(kInfluxErrorNames),
      precision_(precision),
      scratch_(std::make_unique<char[]>(kInfluxMaxLineLen)) {}

std::string_view InfluxDecoder::name() const {
  return kNames[static_cast<int>(precision_)];
}

std::optional<InfluxError> InfluxDecoder::ParseLine(std::string_view line,
                                                    int64_t receive_unix_nanos,
                                                    LinePoint* point) {
  if (line.size() > kInfluxMaxLineLen) return InfluxError::kLineTooLong;
  if (!IsValidUtf8(line)) return InfluxError::kInvalidUtf8;
  const char* p = line.data();
  const char* const end = p + line.size();
  char* const scratch = scratch_.get();
  size_t used = 0;  // unescaped output never outgrows the input line

  point->measurement =
      ScanToken(&p, end, kMeasurementStops, kMeasurementEscapes, scratch, &used);
  if (point->measurement.empty()) return InfluxError::kEmptyMeasurement;

  point->tag_count = 0;
  while (p != end && *p == ',') {
    ++p;
    const std::string_view key = ScanToken(&p, end, kKeyStops, kKeyEscapes, scratch, &used);
    if (key.empty() || p == end || *p != '=') return InfluxError::kBadTag;
    ++p;
    const std::string_view value =
        ScanToken(&p, end, kTagValueStops, kKeyEscapes, scratch, &used);
    if (value.empty()) return InfluxError::kBadTag;
    if (point->tag_count == kMaxLineTags) return InfluxError::kTooManyTags;
    point->tags[point->tag_count++] = LineTag{key, value};
  }
  if (p == end || *p != ' ' || p + 1 == end || p[1] == ' ') {
    return InfluxError::kMissingFields;
  }
  ++p;

  point->field_count = 0;
  while (true) {
    const std::string_view key = ScanToken(&p, end, kKeyStops, kKeyEscapes, scratch, &used);
    if (key.empty() || p == end || *p != '=') return InfluxError::kBadField;
    ++p;
    if (point->field_count == kMaxLineFields) return InfluxError::kTooManyFields;
    LineField& field = point->fields[point->field_count];
    field.key = key;
    if (p != end && *p == '"') {
      ++p;
      field.type = FieldType::kString;
      field.string_value = ScanToken(&p, end, kStringStops, kStringEscapes, scratch, &used);
      if (p == end) return InfluxError::kBadFieldValue;  // no closing quote
      ++p;
    } else {
      const char* const value_begin = p;
      while (p != end && *p != ',' && *p != ' ') ++p;
      if (!ParseFieldValue(std::string_view(value_begin, p - value_begin), &field)) {
        return InfluxError::kBadFieldValue;
      }
    }
    ++point->field_count;
    if (p == end || *p == ' ') break;
    if (*p != ',') return InfluxError::kBadFieldValue;  // e.g. text after a closing quote
    ++p;
  }

  point->has_timestamp = false;
  point->timestamp_unix_nanos = receive_unix_nanos;
  if (p != end) {
    ++p;  // the space
    const char* ts_end = end;
    while (ts_end != p && ts_end[-1] == ' ') --ts_end;  // trailing spaces are tolerated
    if (ts_end != p) {
      int64_t ts;
      if (!ParseWhole(p, ts_end, &ts)) return InfluxError::kBadTimestamp;
      if (__builtin_mul_overflow(ts, kNanosPer[static_cast<int>(precision_)],
                                 &point->timestamp_unix_nanos)) {
        return InfluxError::kBadTimestamp;
      }
      point->has_timestamp = true;
    }
  }
  return std::nullopt;
}

void InfluxDecoder::Decode(std::string_view payload, const PacketMeta& meta,
                           RecordSink& sink) {
  const char* p = payload.data();
  const char* const end = p + payload.size();
  while (p < end) {
    const char* const newline =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* const line_end = newline ? newline : end;
    size_t len = static_cast<size_t>(line_end - p);
    if (len > 0 && p[len - 1] == '\r') --len;
    if (len > 0 && *p != '#') {
      const std::optional<InfluxError> error =
          ParseLine(std::string_view(p, len), meta.receive_unix_nanos, &point_);
      if (error.has_value()) {
        CountError(static_cast<int>(*error));
      } else {
        sink.AddLinePoint(point_, meta);
        CountRecord();
      }
    }
    if (newline == nullptr) break;
    p = newline + 1;
  }
}

}  // namespace firehose::decode
