// What the per-kind formatters of record_format (statsd, flows, line-protocol points)
// share, so that no kind escapes, quotes, prints numbers or starts a row its own way.
// Private to the record_format library: callers use record_format.h.
//
// Output is built by appending to std::string rather than through absl::StrCat where
// std::string_view is involved: Debian's abseil has its own string_view type. Numbers
// go through std::to_chars, which prints the shortest text that reads back as the same
// double/float (0.1f prints "0.1", not 0.10000000149).
#ifndef FIREHOSE_CONTROLPLANE_INGESTCTL_RECORD_FORMAT_INTERNAL_H_
#define FIREHOSE_CONTROLPLANE_INGESTCTL_RECORD_FORMAT_INTERNAL_H_

#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::ctl::record_format_internal {

template <typename Number>
void AppendNumber(std::string* out, Number value) {
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (error != std::errc()) {
    out->append("?");
    return;
  }
  out->append(buffer, end);
}

// JSON has no NaN or infinity; null says "no usable number" without breaking parsers.
template <typename Number>
void AppendJsonNumber(std::string* out, Number value) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  AppendNumber(out, value);
}

// `prefix` then `value` in lower-case hex, zero-padded to `digits`.
void AppendHexEscape(std::string* out, const char* prefix, unsigned value, int digits);

// `text` with control characters as \xNN and backslashes doubled, so that one record
// is always one line of text output.
void AppendTextEscaped(std::string* out, std::string_view text);

// `text` as a JSON string literal; see JsonQuote in record_format.h.
void AppendJsonQuoted(std::string* out, std::string_view text);

// InvalidArgument "<section>.<what>", e.g. "flows.bytes has 2 entries for 3 records".
absl::Status SectionError(const char* section, const std::string& what);

// Every dense column (name, size) of `section` must have `n` entries.
absl::Status CheckDense(const char* section, size_t n,
                        std::initializer_list<std::pair<const char*, int>> columns);

// Batch.first_receive_unix_nanos + offset. Unsigned arithmetic: a corrupt offset must
// wrap, not overflow a signed integer.
int64_t ReceiveNanos(const v1::Batch& batch, uint64_t offset);

// The start of every row. Text: "TIME node #seq" (time to the microsecond); JSON:
// {"node_id":..,"epoch":..,"seq":..,"time":".." (to the nanosecond), object left open.
void AppendRowHead(std::string* line, std::string_view node_id, uint64_t epoch, uint64_t seq,
                   int64_t unix_nanos, bool json);
// The same for a record of `batch` received `offset` nanoseconds after its first.
void AppendRowHead(std::string* line, const v1::Batch& batch, uint64_t offset, bool json);

// A 4- or 16-byte address as dotted quad or IPv6 text (no brackets), else "?".
std::string IpText(std::string_view bytes);

// One line per record of a batch section, text or NDJSON, appended to `lines`; the
// section's columns are checked first and an inconsistent section appends nothing.
// Each lives in the file of its record kind; record_format.cc calls them in order.
absl::Status AppendStatsdLines(const v1::Batch& batch, bool json, std::vector<std::string>* lines);
absl::Status AppendFlowLines(const v1::Batch& batch, bool json, std::vector<std::string>* lines);
absl::Status AppendLinePointLines(const v1::Batch& batch, bool json,
                                  std::vector<std::string>* lines);

}  // namespace firehose::ctl::record_format_internal

#endif  // FIREHOSE_CONTROLPLANE_INGESTCTL_RECORD_FORMAT_INTERNAL_H_
