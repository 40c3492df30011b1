// Columnar batch -> rows -> text and NDJSON lines; see record_format.h.
//
// Output is built by appending to std::string rather than through absl::StrCat:
// rows carry std::string_view, which Debian's abseil (its own string_view type)
// does not accept. Numbers go through std::to_chars, which prints the shortest text
// that reads back as the same double/float (0.1f prints "0.1", not 0.10000000149).
#include "controlplane/ingestctl/record_format.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace firehose::ctl {
namespace {

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

void AppendHexEscape(std::string* out, const char* prefix, unsigned value, int digits) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%s%0*x", prefix, digits, value);
  out->append(buffer);
}

// Escapes what would break the one-record-per-line shape of text output, and the
// backslash so that the escapes themselves are unambiguous.
void AppendTextEscaped(std::string* out, std::string_view text) {
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out->append("\\\\");
    } else if (byte < 0x20 || byte == 0x7f) {
      AppendHexEscape(out, "\\x", byte, 2);
    } else {
      out->push_back(c);
    }
  }
}

// Length of the well-formed UTF-8 sequence starting at text[i] (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0 if it is not one.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  auto continuation = [&](size_t k, unsigned char low = 0x80, unsigned char high = 0xbf) {
    return k < text.size() && byte(k) >= low && byte(k) <= high;
  };
  unsigned char lead = byte(i);
  if (lead >= 0xc2 && lead <= 0xdf) {
    return continuation(i + 1) ? 2 : 0;
  }
  if (lead >= 0xe0 && lead <= 0xef) {
    unsigned char low = lead == 0xe0 ? 0xa0 : 0x80;
    unsigned char high = lead == 0xed ? 0x9f : 0xbf;
    return continuation(i + 1, low, high) && continuation(i + 2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    unsigned char low = lead == 0xf0 ? 0x90 : 0x80;
    unsigned char high = lead == 0xf4 ? 0x8f : 0xbf;
    return continuation(i + 1, low, high) && continuation(i + 2) && continuation(i + 3) ? 4 : 0;
  }
  return 0;
}

void AppendJsonQuoted(std::string* out, std::string_view text) {
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    unsigned char byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80) {
      size_t length = Utf8SequenceLength(text, i);
      if (length == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (byte) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          AppendHexEscape(out, "\\u", byte, 4);
        } else {
          out->push_back(static_cast<char>(byte));
        }
    }
    ++i;
  }
  out->push_back('"');
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

std::string_view GapReasonText(v1::Gap::Reason reason) {
  switch (reason) {
    case v1::Gap::REASON_SUBSCRIBER_QUEUE_FULL:
      return "subscriber queue full";
    case v1::Gap::REASON_REPLAY_EXPIRED:
      return "resume position left the replay ring";
    default:
      return "reason not given";
  }
}

std::string_view RoleText(v1::EpochChange::Role role) {
  switch (role) {
    case v1::EpochChange::ROLE_ACTIVE:
      return "active";
    case v1::EpochChange::ROLE_STANDBY:
      return "standby";
    default:
      return "of unknown role";
  }
}

absl::Status ColumnLengthError(const char* column, int size, size_t records) {
  return absl::InvalidArgumentError(
      absl::StrCat("statsd.", column, " has ", size, " entries for ", records, " records"));
}

absl::Status IndexError(const char* column, size_t i, uint32_t index, int table_size,
                        const char* table) {
  return absl::InvalidArgumentError(absl::StrCat("statsd.", column, "[", i, "] is ", index,
                                                 ", past the end of the ", table_size, "-entry ",
                                                 table));
}

}  // namespace

absl::StatusOr<StatsdView> StatsdView::Create(const v1::Batch& batch) {
  const v1::StatsdColumns& s = batch.statsd();
  const size_t n = static_cast<size_t>(s.name_size());
  const std::pair<const char*, int> dense[] = {
      {"value", s.value_size()},
      {"type", s.type_size()},
      {"sample_rate", s.sample_rate_size()},
      {"tag_count", s.tag_count_size()},
      {"source", s.source_size()},
      {"receive_offset_nanos", s.receive_offset_nanos_size()},
      {"flags", s.flags_size()},
      {"text", s.text_size()},
  };
  for (const auto& [column, size] : dense) {
    if (static_cast<size_t>(size) != n) {
      return ColumnLengthError(column, size, n);
    }
  }
  const int strings = batch.strings_size();
  const int sources = batch.sources_size();
  StatsdView view(&batch);
  view.tag_start_.reserve(n + 1);
  uint64_t tag_total = 0;
  for (size_t i = 0; i < n; ++i) {
    int k = static_cast<int>(i);
    if (s.name(k) >= static_cast<uint32_t>(strings)) {
      return IndexError("name", i, s.name(k), strings, "string dictionary");
    }
    if (s.text(k) >= static_cast<uint32_t>(strings)) {
      return IndexError("text", i, s.text(k), strings, "string dictionary");
    }
    if (s.source(k) >= static_cast<uint32_t>(sources)) {
      return IndexError("source", i, s.source(k), sources, "source table");
    }
    view.tag_start_.push_back(static_cast<size_t>(tag_total));
    tag_total += s.tag_count(k);
  }
  view.tag_start_.push_back(static_cast<size_t>(tag_total));
  if (tag_total != static_cast<uint64_t>(s.tags_size())) {
    return absl::InvalidArgumentError(absl::StrCat("statsd.tag_count adds up to ", tag_total,
                                                   " tags but statsd.tags has ", s.tags_size()));
  }
  for (int j = 0; j < s.tags_size(); ++j) {
    if (s.tags(j) >= static_cast<uint32_t>(strings)) {
      return IndexError("tags", static_cast<size_t>(j), s.tags(j), strings, "string dictionary");
    }
  }
  return view;
}

StatsdRow StatsdView::Row(size_t i) const {
  const v1::Batch& batch = *batch_;
  const v1::StatsdColumns& s = batch.statsd();
  const int k = static_cast<int>(i);
  StatsdRow row;
  row.node_id = batch.node_id();
  row.epoch = batch.epoch();
  row.seq = batch.seq();
  // Unsigned arithmetic: a corrupt offset must wrap, not overflow a signed integer.
  row.unix_nanos = static_cast<int64_t>(static_cast<uint64_t>(batch.first_receive_unix_nanos()) +
                                        s.receive_offset_nanos(k));
  row.source = FormatEndpoint(batch.sources(static_cast<int>(s.source(k))));
  row.name = batch.strings(static_cast<int>(s.name(k)));
  row.value = s.value(k);
  row.type = s.type(k);
  row.sample_rate = s.sample_rate(k);
  row.gauge_delta =
      row.type == v1::METRIC_TYPE_GAUGE && (s.flags(k) & v1::STATSD_FLAG_GAUGE_DELTA) != 0;
  row.tags.reserve(tag_start_[i + 1] - tag_start_[i]);
  for (size_t j = tag_start_[i]; j < tag_start_[i + 1]; ++j) {
    row.tags.push_back(batch.strings(static_cast<int>(s.tags(static_cast<int>(j)))));
  }
  if (row.type == v1::METRIC_TYPE_SET) {
    row.member = batch.strings(static_cast<int>(s.text(k)));
  }
  return row;
}

absl::StatusOr<std::vector<StatsdRow>> StatsdRows(const v1::Batch& batch) {
  absl::StatusOr<StatsdView> view = StatsdView::Create(batch);
  if (!view.ok()) {
    return view.status();
  }
  std::vector<StatsdRow> rows;
  rows.reserve(view->size());
  for (size_t i = 0; i < view->size(); ++i) {
    rows.push_back(view->Row(i));
  }
  return rows;
}

std::string FormatTextLine(const StatsdRow& row) {
  std::string line = FormatTimestamp(row.unix_nanos, 6);
  line.push_back(' ');
  AppendTextEscaped(&line, row.node_id);
  line.append(" #");
  AppendNumber(&line, row.seq);
  line.push_back(' ');
  line.append(row.source);
  line.push_back(' ');
  AppendTextEscaped(&line, row.name);
  line.push_back(':');
  if (row.type == v1::METRIC_TYPE_SET) {
    AppendTextEscaped(&line, row.member);
  } else {
    if (row.gauge_delta && !std::signbit(row.value)) {
      line.push_back('+');
    }
    AppendNumber(&line, row.value);
  }
  line.push_back('|');
  std::string_view suffix = MetricTypeSuffix(row.type);
  line.append(suffix.empty() ? std::string_view("?") : suffix);
  if (row.sample_rate != 1.0f) {
    line.append(" @");
    AppendNumber(&line, row.sample_rate);
  }
  for (size_t i = 0; i < row.tags.size(); ++i) {
    line.append(i == 0 ? " #" : ",");
    AppendTextEscaped(&line, row.tags[i]);
  }
  return line;
}

std::string FormatJsonLine(const StatsdRow& row) {
  std::string line = "{\"node_id\":";
  AppendJsonQuoted(&line, row.node_id);
  line.append(",\"epoch\":");
  AppendNumber(&line, row.epoch);
  line.append(",\"seq\":");
  AppendNumber(&line, row.seq);
  line.append(",\"time\":\"");
  line.append(FormatTimestamp(row.unix_nanos, 9));
  line.append("\",\"source\":");
  AppendJsonQuoted(&line, row.source);
  line.append(",\"name\":");
  AppendJsonQuoted(&line, row.name);
  line.append(",\"value\":");
  AppendJsonNumber(&line, row.value);
  line.append(",\"type\":");
  std::string_view suffix = MetricTypeSuffix(row.type);
  AppendJsonQuoted(&line, suffix.empty() ? std::string_view("unknown") : suffix);
  line.append(",\"sample_rate\":");
  AppendJsonNumber(&line, row.sample_rate);
  line.append(",\"tags\":[");
  for (size_t i = 0; i < row.tags.size(); ++i) {
    if (i > 0) {
      line.push_back(',');
    }
    AppendJsonQuoted(&line, row.tags[i]);
  }
  line.push_back(']');
  if (row.type == v1::METRIC_TYPE_SET) {
    line.append(",\"member\":");
    AppendJsonQuoted(&line, row.member);
  }
  if (row.gauge_delta) {
    line.append(",\"delta\":true");
  }
  line.push_back('}');
  return line;
}

absl::StatusOr<std::vector<std::string>> TextLines(const v1::Batch& batch) {
  absl::StatusOr<std::vector<StatsdRow>> rows = StatsdRows(batch);
  if (!rows.ok()) {
    return rows.status();
  }
  std::vector<std::string> lines;
  lines.reserve(rows->size());
  for (const StatsdRow& row : *rows) {
    lines.push_back(FormatTextLine(row));
  }
  return lines;
}

absl::StatusOr<std::vector<std::string>> JsonLines(const v1::Batch& batch) {
  absl::StatusOr<std::vector<StatsdRow>> rows = StatsdRows(batch);
  if (!rows.ok()) {
    return rows.status();
  }
  std::vector<std::string> lines;
  lines.reserve(rows->size());
  for (const StatsdRow& row : *rows) {
    lines.push_back(FormatJsonLine(row));
  }
  return lines;
}

std::string FormatNotice(const v1::Notice& notice) {
  switch (notice.kind_case()) {
    case v1::Notice::kHeartbeat:
      return "";
    case v1::Notice::kGap: {
      const v1::Gap& gap = notice.gap();
      std::string_view reason = GapReasonText(gap.reason());
      return absl::StrCat("gap: missed ", gap.records(), " records (", gap.batches(),
                          " batches) seq ", gap.first_seq(), "..", gap.last_seq(), ": ",
                          absl::string_view(reason.data(), reason.size()));
    }
    case v1::Notice::kEpochChange: {
      const v1::EpochChange& change = notice.epoch_change();
      std::string_view role = RoleText(change.role());
      return absl::StrCat("epoch change: ", change.previous_epoch(), " -> ", change.epoch(),
                          ", node is now ", absl::string_view(role.data(), role.size()));
    }
    case v1::Notice::KIND_NOT_SET:
      break;
  }
  return "notice of a kind this ingestctl does not know (is the node newer?)";
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  AppendJsonQuoted(&out, text);
  return out;
}

std::string FormatTimestamp(int64_t unix_nanos, int fraction_digits) {
  if (fraction_digits < 0) {
    fraction_digits = 0;
  }
  if (fraction_digits > 9) {
    fraction_digits = 9;
  }
  std::string format = fraction_digits == 0
                           ? "%Y-%m-%dT%H:%M:%SZ"
                           : absl::StrCat("%Y-%m-%dT%H:%M:%E", fraction_digits, "SZ");
  return absl::FormatTime(format, absl::FromUnixNanos(unix_nanos), absl::UTCTimeZone());
}

std::string FormatEndpoint(const v1::Endpoint& endpoint) {
  const std::string& address = endpoint.address();
  char text[INET6_ADDRSTRLEN] = "?";
  std::string out;
  if (address.size() == 4) {
    inet_ntop(AF_INET, address.data(), text, sizeof(text));
    out = text;
  } else if (address.size() == 16) {
    inet_ntop(AF_INET6, address.data(), text, sizeof(text));
    out = absl::StrCat("[", text, "]");
  } else {
    out = "?";
  }
  out.push_back(':');
  AppendNumber(&out, endpoint.port());
  return out;
}

std::string_view MetricTypeSuffix(v1::MetricType type) {
  switch (type) {
    case v1::METRIC_TYPE_COUNTER:
      return "c";
    case v1::METRIC_TYPE_GAUGE:
      return "g";
    case v1::METRIC_TYPE_TIMER:
      return "ms";
    case v1::METRIC_TYPE_HISTOGRAM:
      return "h";
    case v1::METRIC_TYPE_SET:
      return "s";
    case v1::METRIC_TYPE_DISTRIBUTION:
      return "d";
    default:
      return "";
  }
}

}  // namespace firehose::ctl
