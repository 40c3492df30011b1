// Decoder for statsd and DogStatsD metric datagrams: one packet, many lines, each line
// one StatsdRecord or one counted error.
//
// Accepted line grammar (lines split on '\n'; a '\r' before the '\n' is stripped;
// empty lines, e.g. after a trailing newline, are skipped and are not errors):
//
//   line     = name ":" value "|" type *( "|" section )
//   type     = "c" | "g" | "ms" | "h" | "s" | "d"
//   section  = "@" rate             sample rate, a float in (0, 1]
//            | "#" tag *( "," tag )  tags, each non-empty, at most kMaxStatsdTags
//            | "c:" container-id     DogStatsD origin detection: kept (container_id)
//            | "T" digits            DogStatsD timestamp, Unix seconds: kept
//
// Rules, in the order they are checked (the first rule a line breaks names its error):
//   - A line is at most kStatsdMaxLineLen bytes (without its terminator): line_too_long.
//   - A line must be well-formed UTF-8 (bad_encoding): batch strings are proto3 strings,
//     and one malformed string would make the whole batch unparsable for subscribers.
//   - "_e{" lines are DogStatsD events (event_unsupported), "_sc|" lines service
//     checks (service_check_unsupported); neither is a metric.
//   - The name is everything before the first ':', and that ':' must come before the
//     first '|' (missing_colon). It is 1..kStatsdMaxNameLen bytes (empty_name,
//     name_too_long). By construction it holds no ':', '|' or '\n'; every other byte is
//     kept verbatim (no normalisation: that is the consumer's business, and checking
//     each byte would cost more than the rest of the parse).
//   - A '|' and a non-empty type must follow the value (missing_type); the type is one
//     of the six above (unknown_type).
//   - Values (all types but s) are decimal floats with optional exponent, optional
//     leading '+' or '-', finite, no spaces: "1", "-2.5", "+3", "1e3", ".5". Anything
//     else, including DogStatsD multi-value "1:2:3", is bad_value. A gauge whose value
//     has an explicit sign is a delta (kStatsdFlagGaugeDelta); the value keeps its sign.
//     A set's value is kept as text (StatsdRecord::text, value 0) and must be non-empty.
//   - Sections: an unknown leading character or an empty section is unknown_section; a
//     rate outside (0, 1] as a float (so one too small for a float, 1e-50, too),
//     unparsable, or given twice is bad_sample_rate; an empty tag
//     list or tag entry, or a second tag section, is bad_tag; more than
//     kMaxStatsdTags tags is too_many_tags; a "T" section that is not 1-20 digits, is
//     0, overflows 64 bits or is given twice is bad_timestamp.
//   - Events ("_e{...}") and service checks ("_sc|...") are deliberately not decoded:
//     they are rare, free-text, and belong to an event store rather than a metrics
//     stream. Each is counted under its own reason so an operator sees who sends them.
//
// Hot path: no allocation, no std::string, lines and fields are found with memchr.
// Plain decimals (<= 15 digits, no exponent) are converted by an exact fast path;
// anything else goes to std::from_chars (no allocation in libstdc++ 12), with the same
// bit-identical result. One record scratch buffer is reused per line.
#ifndef FIREHOSE_NODE_DECODE_STATSD_DECODER_H_
#define FIREHOSE_NODE_DECODE_STATSD_DECODER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "node/common/packet_meta.h"
#include "node/decode/decoder.h"
#include "node/decode/record_sink.h"
#include "node/decode/separator_index.h"

namespace firehose::decode {

inline constexpr size_t kStatsdMaxLineLen = 8192;
inline constexpr size_t kStatsdMaxNameLen = 255;

// Why a statsd line was rejected; the index into StatsdDecoder's error counters.
enum class StatsdError : uint8_t {
  kLineTooLong,
  kEventUnsupported,
  kServiceCheckUnsupported,
  kMissingColon,
  kEmptyName,
  kNameTooLong,
  kMissingType,
  kUnknownType,
  kBadValue,
  kUnknownSection,
  kBadSampleRate,
  kBadTag,
  kTooManyTags,
  kBadTimestamp,
  kInvalidUtf8,
  kCount,
};

inline constexpr int kStatsdErrorCount = static_cast<int>(StatsdError::kCount);

// Metrics label of each StatsdError, indexed by its value.
inline constexpr std::array<std::string_view, kStatsdErrorCount> kStatsdErrorNames = {
    "line_too_long",   "event_unsupported", "service_check_unsupported",
    "missing_colon",   "empty_name",        "name_too_long",
    "missing_type",    "unknown_type",      "bad_value",
    "unknown_section", "bad_sample_rate",   "bad_tag",
    "too_many_tags",   "bad_timestamp",     "bad_encoding",
};

class StatsdDecoder final : public Decoder {
 public:
  StatsdDecoder();
  ~StatsdDecoder() override;

  void Decode(std::string_view payload, const PacketMeta& meta, RecordSink& sink) override;
  std::string_view name() const override { return "statsd"; }

  using Decoder::errors;
  uint64_t errors(StatsdError reason) const { return Decoder::errors(static_cast<int>(reason)); }

  // Parses one line (no terminator; Decode skips empty lines, and an empty line here
  // is empty_name) into *record. Returns the error if the
  // line is malformed, in which case *record holds garbage. Exposed for tests and
  // benchmarks; Decode is the data path's entry point. record->tags beyond tag_count
  // are not touched, so a caller can reuse one record without clearing its tag array.
  static std::optional<StatsdError> ParseLine(std::string_view line, StatsdRecord* record);

 private:
  // ParseLine on a line inside the span `index` was built over.
  static std::optional<StatsdError> ParseIndexedLine(std::string_view line,
                                                     const SeparatorIndex& index,
                                                     StatsdRecord* record);
  // Decodes the lines of `span`, which index_ covers.
  void DecodeIndexedLines(std::string_view span, const PacketMeta& meta, RecordSink& sink);
  // Decode for payloads larger than the index (never a UDP datagram).
  void DecodeLargePayload(std::string_view payload, const PacketMeta& meta, RecordSink& sink);

  // Separator bitmaps of the packet being decoded (32 KiB, hence on the heap).
  std::unique_ptr<SeparatorIndex> index_;
  // Reused for every line: StatsdRecord carries kMaxStatsdTags views (1 KiB), which
  // would otherwise be zeroed per line.
  StatsdRecord record_;
};

}  // namespace firehose::decode

#endif  // FIREHOSE_NODE_DECODE_STATSD_DECODER_H_
