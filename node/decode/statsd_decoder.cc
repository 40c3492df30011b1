// StatsdDecoder: splits a payload into lines and parses each line in one left-to-right
// pass. See statsd_decoder.h for the grammar and the error each rule maps to.
#include "node/decode/statsd_decoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <system_error>

#include "node/decode/separator_index.h"
#include "node/decode/utf8.h"

namespace firehose::decode {
namespace {

// 10^0 .. 10^15, all exactly representable as doubles.
constexpr double kPowersOf10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
constexpr int kMaxFastDigits = 15;  // 10^15 < 2^53: the mantissa is exact

// Fast path for the plain decimals statsd clients send ("1", "12.375", ".5"): at most
// 15 digits, no exponent. The mantissa and the power of ten are both exact doubles, so
// one IEEE division gives the correctly rounded value, bit-identical to from_chars
// (Clinger's fast path). Returns false for anything else, including invalid text; the
// caller then lets from_chars decide.
inline bool ParseSimpleDecimal(const char* first, const char* last, double* out) {
  // Integer digits, then (after a '.') fraction digits: two tight loops instead of one
  // loop that asks on every byte whether a '.' was seen.
  uint64_t mantissa = 0;
  const char* p = first;
  for (unsigned digit; p != last && (digit = static_cast<unsigned char>(*p) - '0') < 10; ++p) {
    mantissa = mantissa * 10 + digit;
  }
  const char* const integer_end = p;
  if (p != last && *p == '.') ++p;
  const char* const fraction_begin = p;
  for (unsigned digit; p != last && (digit = static_cast<unsigned char>(*p) - '0') < 10; ++p) {
    mantissa = mantissa * 10 + digit;
  }
  const std::ptrdiff_t fraction_digits = last - fraction_begin;
  const std::ptrdiff_t digits = (integer_end - first) + fraction_digits;
  // Anything left over (a second '.', an exponent, a letter), no digits at all, or more
  // digits than a double holds exactly (the mantissa may also have wrapped): not ours.
  if (p != last || digits == 0 || digits > kMaxFastDigits) return false;
  *out = static_cast<double>(mantissa);
  if (fraction_digits > 0) *out /= kPowersOf10[fraction_digits];
  return true;
}

// Parses a whole field as a finite double. std::from_chars rejects a leading '+', which
// statsd allows, so it is skipped here (but "+-1" stays invalid). from_chars accepts
// "inf"/"nan", which are no metric values, hence the isfinite check.
inline bool ParseDouble(const char* first, const char* last, double* out) {
  bool negative = false;
  if (first != last && (*first == '+' || *first == '-')) {
    negative = *first == '-';
    ++first;
  }
  if (ParseSimpleDecimal(first, last, out)) {
    if (negative) *out = -*out;
    return true;
  }
  if (first == last || *first == '-' || *first == '+') return false;  // "+-1", "--1"
  const std::from_chars_result result =
      std::from_chars(first, last, *out, std::chars_format::general);
  if (result.ec != std::errc() || result.ptr != last || !std::isfinite(*out)) {
    return false;
  }
  if (negative) *out = -*out;
  return true;
}

// Maps the type field to a MetricType; false for anything else.
inline bool ParseType(const char* first, const char* last, MetricType* type) {
  const size_t len = last - first;
  if (len == 1) {
    switch (*first) {
      case 'c':
        *type = MetricType::kCounter;
        return true;
      case 'g':
        *type = MetricType::kGauge;
        return true;
      case 'h':
        *type = MetricType::kHistogram;
        return true;
      case 's':
        *type = MetricType::kSet;
        return true;
      case 'd':
        *type = MetricType::kDistribution;
        return true;
      default:
        return false;
    }
  }
  if (len == 2 && first[0] == 'm' && first[1] == 's') {
    *type = MetricType::kTimer;
    return true;
  }
  return false;
}

inline bool StartsWith(std::string_view line, std::string_view prefix) {
  return line.size() >= prefix.size() &&
         std::memcmp(line.data(), prefix.data(), prefix.size()) == 0;
}

constexpr size_t kMaxTimestampDigits = 20;  // digits of UINT64_MAX

}  // namespace

StatsdDecoder::StatsdDecoder()
    : Decoder(kStatsdErrorNames), index_(std::make_unique<SeparatorIndex>()) {}

StatsdDecoder::~StatsdDecoder() = default;

std::optional<StatsdError> StatsdDecoder::ParseLine(std::string_view line, StatsdRecord* record) {
  if (line.size() > SeparatorIndex::kMaxBytes) return StatsdError::kLineTooLong;
  const auto index = std::make_unique<SeparatorIndex>();  // tests and tools only
  index->Build(line.data(), line.size());
  return ParseIndexedLine(line, *index, record);
}

std::optional<StatsdError> StatsdDecoder::ParseIndexedLine(std::string_view line,
                                                           const SeparatorIndex& index,
                                                           StatsdRecord* record) {
  if (line.empty()) return StatsdError::kEmptyName;  // Decode never passes one
  if (line.size() > kStatsdMaxLineLen) return StatsdError::kLineTooLong;
  if (!index.ascii() && !IsValidUtf8(line)) return StatsdError::kInvalidUtf8;
  if (line[0] == '_') {
    if (StartsWith(line, "_e{")) return StatsdError::kEventUnsupported;
    if (StartsWith(line, "_sc|")) return StatsdError::kServiceCheckUnsupported;
  }
  const char* const begin = line.data();
  const char* const end = begin + line.size();

  // name ':' value '|' — the ':' must precede the first '|'.
  const char* const value_end = index.Find(begin, end, Separator::kPipe);  // type follows
  const char* const colon = index.Find(begin, value_end ? value_end : end, Separator::kColon);
  if (colon == nullptr) return StatsdError::kMissingColon;
  if (colon == begin) return StatsdError::kEmptyName;
  if (static_cast<size_t>(colon - begin) > kStatsdMaxNameLen) {
    return StatsdError::kNameTooLong;
  }
  if (value_end == nullptr) return StatsdError::kMissingType;

  const char* const type_begin = value_end + 1;
  const char* type_end = index.Find(type_begin, end, Separator::kPipe);
  if (type_end == nullptr) type_end = end;
  if (type_begin == type_end) return StatsdError::kMissingType;
  if (!ParseType(type_begin, type_end, &record->type)) return StatsdError::kUnknownType;

  const char* const value_begin = colon + 1;
  record->name = std::string_view(begin, colon - begin);
  record->sample_rate = 1.0f;
  record->flags = 0;
  record->tag_count = 0;
  record->timestamp_unix_seconds = 0;
  record->container_id = std::string_view();
  if (record->type == MetricType::kSet) {
    if (value_begin == value_end) return StatsdError::kBadValue;
    record->value = 0;
    record->text = std::string_view(value_begin, value_end - value_begin);
  } else {
    if (!ParseDouble(value_begin, value_end, &record->value)) {
      return StatsdError::kBadValue;
    }
    record->text = std::string_view();
    if (record->type == MetricType::kGauge && (*value_begin == '+' || *value_begin == '-')) {
      record->flags |= kStatsdFlagGaugeDelta;
    }
  }

  // Sections: each starts right after a '|' and runs to the next '|' or the line end.
  bool seen_rate = false;
  bool seen_tags = false;
  for (const char* p = type_end; p != end;) {
    const char* const section = p + 1;
    const char* section_end = index.Find(section, end, Separator::kPipe);
    if (section_end == nullptr) section_end = end;
    p = section_end;
    if (section == section_end) return StatsdError::kUnknownSection;
    switch (*section) {
      case '@': {
        // The range is checked on the float the record carries: a rate such as 5e-49 is
        // above 0 as a double but 0 as a float, and consumers divide by it (found by
        // the fuzzer).
        double rate;
        if (seen_rate || !ParseDouble(section + 1, section_end, &rate)) {
          return StatsdError::kBadSampleRate;
        }
        const float sample_rate = static_cast<float>(rate);
        if (!(sample_rate > 0) || sample_rate > 1) return StatsdError::kBadSampleRate;
        seen_rate = true;
        record->sample_rate = sample_rate;
        break;
      }
      case '#': {
        if (seen_tags) return StatsdError::kBadTag;
        seen_tags = true;
        // "#" alone is an empty tag entry. Every entry, including after the last
        // ',', must be non-empty.
        // The count lives in a local until the end: stores into record->tags could
        // alias record->tag_count as far as the compiler knows, which made it reload
        // and store the count on every tag.
        const char* tag = section + 1;
        std::string_view* const tags = record->tags;
        int tag_count = 0;
        while (true) {
          const char* comma = index.Find(tag, section_end, Separator::kComma);
          const char* tag_end = comma ? comma : section_end;
          if (tag == tag_end) return StatsdError::kBadTag;
          if (tag_count == kMaxStatsdTags) return StatsdError::kTooManyTags;
          tags[tag_count++] = std::string_view(tag, tag_end - tag);
          if (comma == nullptr) break;
          tag = comma + 1;
        }
        record->tag_count = tag_count;
        break;
      }
      case 'c':
        // Container ID (DogStatsD origin detection), kept so consumers can enrich by
        // origin. An empty id is kept as "none".
        if (section_end - section < 2 || section[1] != ':') {
          return StatsdError::kUnknownSection;
        }
        record->container_id = std::string_view(section + 2, section_end - section - 2);
        break;
      case 'T': {
        // Client-side timestamp (DogStatsD 1.3), seconds since the Unix epoch. Kept
        // beside the receive time: a client that aggregates sends the interval's time.
        const size_t digits = section_end - section - 1;
        if (digits == 0 || digits > kMaxTimestampDigits || record->timestamp_unix_seconds) {
          return StatsdError::kBadTimestamp;
        }
        uint64_t seconds = 0;
        for (const char* d = section + 1; d != section_end; ++d) {
          if (*d < '0' || *d > '9') return StatsdError::kBadTimestamp;
          const uint64_t digit = static_cast<uint64_t>(*d - '0');
          if (seconds > (UINT64_MAX - digit) / 10) return StatsdError::kBadTimestamp;
          seconds = seconds * 10 + digit;
        }
        if (seconds == 0) return StatsdError::kBadTimestamp;
        record->timestamp_unix_seconds = seconds;
        break;
      }
      default:
        return StatsdError::kUnknownSection;
    }
  }
  return std::nullopt;
}

void StatsdDecoder::Decode(std::string_view payload, const PacketMeta& meta, RecordSink& sink) {
  if (payload.size() > SeparatorIndex::kMaxBytes) {
    // Larger than any UDP datagram (only direct callers such as the fuzzer get here):
    // index one window at a time.
    DecodeLargePayload(payload, meta, sink);
    return;
  }
  index_->Build(payload.data(), payload.size());
  DecodeIndexedLines(payload, meta, sink);
}

void StatsdDecoder::DecodeIndexedLines(std::string_view span, const PacketMeta& meta,
                                       RecordSink& sink) {
  const char* p = span.data();
  const char* const end = p + span.size();
  while (p < end) {
    const char* const newline = index_->Find(p, end, Separator::kNewline);
    const char* const line_end = newline ? newline : end;
    size_t len = line_end - p;
    if (len > 0 && p[len - 1] == '\r') --len;
    if (len > 0) {
      const std::optional<StatsdError> error =
          ParseIndexedLine(std::string_view(p, len), *index_, &record_);
      if (error.has_value()) {
        CountError(static_cast<int>(*error));
      } else {
        sink.AddStatsd(record_, meta);
        CountRecord();
      }
    }
    if (newline == nullptr) break;
    p = newline + 1;
  }
}

void StatsdDecoder::DecodeLargePayload(std::string_view payload, const PacketMeta& meta,
                                       RecordSink& sink) {
  const char* p = payload.data();
  const char* const end = p + payload.size();
  while (p < end) {
    // A window of whole lines: up to the last newline that fits in the index, or one
    // over-long line (counted line_too_long by the parser) when none does.
    size_t window = std::min<size_t>(end - p, SeparatorIndex::kMaxBytes);
    if (p + window < end) {
      const char* last_newline = static_cast<const char*>(memrchr(p, '\n', window));
      if (last_newline != nullptr) {
        window = last_newline + 1 - p;
      } else {
        const char* newline = static_cast<const char*>(std::memchr(p, '\n', end - p));
        CountError(static_cast<int>(StatsdError::kLineTooLong));
        if (newline == nullptr) return;
        p = newline + 1;
        continue;
      }
    }
    index_->Build(p, window);
    DecodeIndexedLines(std::string_view(p, window), meta, sink);
    p += window;
  }
}

}  // namespace firehose::decode
