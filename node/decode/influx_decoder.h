// Decoder for InfluxDB line protocol over UDP: one packet, many lines, each line one
// LinePoint or one counted error. Registered as "influx" (timestamps in nanoseconds,
// InfluxDB's default) and "influx_us", "influx_ms", "influx_s" for senders configured
// with a coarser precision (InfluxDB's UDP listener has the same `precision` option).
//
// Line grammar (lines split on '\n', one '\r' before it stripped; empty lines and lines
// starting with '#' are comments, skipped and not counted):
//
//   line        = measurement *( "," tag_key "=" tag_value ) " " field *( "," field )
//                 [ " " timestamp ]
//   field       = field_key "=" value
//   value       = float | integer "i" | unsigned "u" | '"' string '"' | boolean
//   boolean     = t | T | true | True | TRUE | f | F | false | False | FALSE
//   timestamp   = optional '-' then decimal digits, in the decoder's precision
//
// Escaping (as InfluxDB does it): in the measurement a backslash escapes ',' and ' ';
// in tag keys, tag values and field keys it escapes ',', '=' and ' '; in string field
// values it escapes '"' and '\'. A backslash before any other character is kept
// literally. Escapes are removed in the record (unescaped copies go to a per-decoder
// scratch buffer; strings without escapes point into the packet). A newline always
// ends the line, also inside a string value.
//
// Errors, one per rejected line (the first rule a line breaks names it):
//   line_too_long    more than kInfluxMaxLineLen bytes
//   bad_encoding     not well-formed UTF-8 (batch strings are proto3 strings, and one
//                    malformed string would make the whole batch unparsable)
//   empty_measurement   line starts with ',' or ' '
//   bad_tag          a tag without '=', or with an empty key or value
//   too_many_tags    more than kMaxLineTags
//   missing_fields   no field set after the measurement and tags
//   bad_field        a field without '=' or with an empty key
//   bad_field_value  a value that is none of the five types, out of range, an
//                    unterminated string, inf/nan
//   too_many_fields  more than kMaxLineFields
//   bad_timestamp    not an integer, or out of int64 range once converted to ns, or
//                    anything after it
//
// Accounting invariant: every line that is not empty or a comment becomes exactly one
// record or exactly one error.
//
// Hot path: no allocation; one LinePoint scratch and one unescape buffer per decoder.
#ifndef FIREHOSE_NODE_DECODE_INFLUX_DECODER_H_
#define FIREHOSE_NODE_DECODE_INFLUX_DECODER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "node/common/packet_meta.h"
#include "node/decode/decoder.h"
#include "node/decode/record_sink.h"

namespace firehose::decode {

inline constexpr size_t kInfluxMaxLineLen = 65536;

enum class InfluxError : uint8_t {
  kLineTooLong,
  kEmptyMeasurement,
  kBadTag,
  kTooManyTags,
  kMissingFields,
  kBadField,
  kBadFieldValue,
  kTooManyFields,
  kBadTimestamp,
  kInvalidUtf8,
  kCount,
};

inline constexpr int kInfluxErrorCount = static_cast<int>(InfluxError::kCount);

inline constexpr std::array<std::string_view, kInfluxErrorCount> kInfluxErrorNames = {
    "line_too_long", "empty_measurement", "bad_tag",         "too_many_tags",
    "missing_fields", "bad_field",        "bad_field_value", "too_many_fields",
    "bad_timestamp", "bad_encoding",
};

// Unit of the line's timestamps.
enum class InfluxPrecision : uint8_t { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds };

class InfluxDecoder final : public Decoder {
 public:
  explicit InfluxDecoder(InfluxPrecision precision = InfluxPrecision::kNanoseconds);

  void Decode(std::string_view payload, const PacketMeta& meta, RecordSink& sink) override;
  // "influx", "influx_us", "influx_ms" or "influx_s".
  std::string_view name() const override;

  using Decoder::errors;
  uint64_t errors(InfluxError reason) const {
    return Decoder::errors(static_cast<int>(reason));
  }

  // Parses one line (no terminator, not empty, not a comment) into *point; on error
  // *point holds garbage. `receive_unix_nanos` is used when the line has no timestamp.
  // Exposed for tests; Decode is the data path's entry point.
  std::optional<InfluxError> ParseLine(std::string_view line, int64_t receive_unix_nanos,
                                       LinePoint* point);

 private:
  const InfluxPrecision precision_;
  // Unescaped strings of the current line; a line never needs more than its own length.
  std::unique_ptr<char[]> scratch_;
  LinePoint point_;
};

}  // namespace firehose::decode

#endif  // FIREHOSE_NODE_DECODE_INFLUX_DECODER_H_
