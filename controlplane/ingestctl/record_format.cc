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
#include <initializer_list>
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

namespace {

// Flow and line-protocol sections: checked once per batch like StatsdView, then each
// record formatted straight from the columns (tail prints them; no row structs needed).

absl::Status SectionError(const char* section, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(section, ".", what));
}

// Every (name, size) must equal `n`.
absl::Status CheckDense(const char* section, size_t n,
                        std::initializer_list<std::pair<const char*, int>> columns) {
  for (const auto& [name, size] : columns) {
    if (static_cast<size_t>(size) != n) {
      return SectionError(section, absl::StrCat(name, " has ", size, " entries for ", n,
                                                " records"));
    }
  }
  return absl::OkStatus();
}

std::string FlowAddress(const std::string& column, int i, uint32_t ip_version) {
  char text[INET6_ADDRSTRLEN] = "?";
  const char* a = column.data() + 16 * i;
  if (ip_version == 6) {
    inet_ntop(AF_INET6, a, text, sizeof(text));
  } else {
    inet_ntop(AF_INET, a + 12, text, sizeof(text));
  }
  return text;
}

// Common prefix of every row: time, node and seq (text) or their JSON members.
void AppendRowHead(std::string* line, const v1::Batch& batch, uint64_t offset, bool json) {
  const int64_t nanos = batch.first_receive_unix_nanos() + static_cast<int64_t>(offset);
  if (json) {
    line->append("{\"node_id\":");
    AppendJsonQuoted(line, batch.node_id());
    absl::StrAppend(line, ",\"epoch\":", batch.epoch(), ",\"seq\":", batch.seq(),
                    ",\"time\":\"", FormatTimestamp(nanos, 9), "\"");
  } else {
    line->append(FormatTimestamp(nanos, 6));
    line->push_back(' ');
    AppendTextEscaped(line, batch.node_id());
    absl::StrAppend(line, " #", batch.seq());
  }
}

absl::Status AppendFlowLines(const v1::Batch& batch, bool json,
                             std::vector<std::string>* lines) {
  const v1::FlowColumns& f = batch.flows();
  const size_t n = f.version_size();
  if (absl::Status s = CheckDense(
          "flows", n,
          {{"exporter", f.exporter_size()}, {"observation_domain", f.observation_domain_size()},
           {"ip_version", f.ip_version_size()}, {"src_port", f.src_port_size()},
           {"dst_port", f.dst_port_size()}, {"protocol", f.protocol_size()},
           {"tcp_flags", f.tcp_flags_size()}, {"tos", f.tos_size()}, {"bytes", f.bytes_size()},
           {"packets", f.packets_size()}, {"start_unix_millis", f.start_unix_millis_size()},
           {"end_unix_millis", f.end_unix_millis_size()},
           {"input_interface", f.input_interface_size()},
           {"output_interface", f.output_interface_size()}, {"src_as", f.src_as_size()},
           {"dst_as", f.dst_as_size()}, {"sampling_interval", f.sampling_interval_size()},
           {"flags", f.flags_size()}, {"receive_offset_nanos", f.receive_offset_nanos_size()},
           {"enterprise_count", f.enterprise_count_size()}});
      !s.ok()) {
    return s;
  }
  if (n == 0) return absl::OkStatus();
  for (const auto& [name, column] :
       {std::pair<const char*, const std::string*>{"src_address", &f.src_address()},
        {"dst_address", &f.dst_address()},
        {"next_hop", &f.next_hop()}}) {
    if (column->size() != 16 * n) {
      return SectionError("flows", absl::StrCat(name, " has ", column->size(),
                                                " bytes for ", n, " records"));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (f.exporter(i) >= static_cast<uint32_t>(batch.sources_size())) {
      return SectionError("flows", absl::StrCat("exporter[", i, "] is past the sources"));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const int r = static_cast<int>(i);
    const uint32_t ipv = f.ip_version(r);
    std::string line;
    AppendRowHead(&line, batch, f.receive_offset_nanos(r), json);
    const std::string exporter = FormatEndpoint(batch.sources(f.exporter(r)));
    const std::string src = FlowAddress(f.src_address(), r, ipv);
    const std::string dst = FlowAddress(f.dst_address(), r, ipv);
    if (json) {
      line.append(",\"kind\":\"flow\",\"exporter\":");
      AppendJsonQuoted(&line, exporter);
      absl::StrAppend(&line, ",\"version\":", f.version(r), ",\"observation_domain\":",
                      f.observation_domain(r), ",\"src\":\"", src, "\",\"dst\":\"", dst,
                      "\",\"next_hop\":\"", FlowAddress(f.next_hop(), r, ipv), "\"");
      absl::StrAppend(&line, ",\"src_port\":", f.src_port(r), ",\"dst_port\":", f.dst_port(r),
                      ",\"protocol\":", f.protocol(r), ",\"tcp_flags\":", f.tcp_flags(r),
                      ",\"tos\":", f.tos(r), ",\"bytes\":", f.bytes(r),
                      ",\"packets\":", f.packets(r));
      absl::StrAppend(&line, ",\"start_unix_millis\":", f.start_unix_millis(r),
                      ",\"end_unix_millis\":", f.end_unix_millis(r),
                      ",\"input_interface\":", f.input_interface(r),
                      ",\"output_interface\":", f.output_interface(r),
                      ",\"src_as\":", f.src_as(r), ",\"dst_as\":", f.dst_as(r),
                      ",\"sampling_interval\":", f.sampling_interval(r), "}");
    } else {
      absl::StrAppend(&line, " ", exporter, " flow v", f.version(r), " ", src, ":",
                      f.src_port(r), " > ", dst, ":", f.dst_port(r), " proto ",
                      f.protocol(r), " ", f.packets(r), " pkts ", f.bytes(r), " B");
      absl::StrAppend(&line, " if ", f.input_interface(r), ">", f.output_interface(r),
                      " as ", f.src_as(r), ">", f.dst_as(r), " tos ", f.tos(r));
      AppendHexEscape(&line, " flags 0x", f.tcp_flags(r), 2);
      if (f.sampling_interval(r) > 1) absl::StrAppend(&line, " sampled 1/", f.sampling_interval(r));
    }
    lines->push_back(std::move(line));
  }
  return absl::OkStatus();
}

absl::Status AppendLinePointLines(const v1::Batch& batch, bool json,
                                  std::vector<std::string>* lines) {
  const v1::LineProtocolColumns& l = batch.line_protocol();
  const size_t n = l.measurement_size();
  if (absl::Status s = CheckDense(
          "line_protocol", n,
          {{"timestamp_unix_nanos", l.timestamp_unix_nanos_size()}, {"flags", l.flags_size()},
           {"source", l.source_size()}, {"receive_offset_nanos", l.receive_offset_nanos_size()},
           {"tag_count", l.tag_count_size()}, {"field_count", l.field_count_size()}});
      !s.ok()) {
    return s;
  }
  if (n == 0) return absl::OkStatus();
  // Totals must match the concatenated columns, and every index must be in range.
  size_t tags = 0, fields = 0;
  for (size_t i = 0; i < n; ++i) {
    tags += l.tag_count(i);
    fields += l.field_count(i);
  }
  size_t by_type[6] = {};
  for (int k = 0; k < l.field_type_size(); ++k) {
    const int t = l.field_type(k);
    if (t < 1 || t > 5) return SectionError("line_protocol", "field_type out of range");
    ++by_type[t];
  }
  if (absl::Status s = CheckDense("line_protocol", tags,
                                  {{"tag_key", l.tag_key_size()},
                                   {"tag_value", l.tag_value_size()}});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckDense(
          "line_protocol", fields,
          {{"field_key", l.field_key_size()}, {"field_type", l.field_type_size()}});
      !s.ok()) {
    return s;
  }
  if (by_type[1] != static_cast<size_t>(l.float_value_size()) ||
      by_type[2] != static_cast<size_t>(l.int_value_size()) ||
      by_type[3] != static_cast<size_t>(l.uint_value_size()) ||
      by_type[4] != static_cast<size_t>(l.string_value_size()) ||
      by_type[5] != static_cast<size_t>(l.bool_value_size())) {
    return SectionError("line_protocol", "value columns do not match field_type");
  }
  const uint32_t strings = static_cast<uint32_t>(batch.strings_size());
  auto in_strings = [strings](const auto& column) {
    for (uint32_t index : column) {
      if (index >= strings) return false;
    }
    return true;
  };
  if (!in_strings(l.measurement()) || !in_strings(l.tag_key()) || !in_strings(l.tag_value()) ||
      !in_strings(l.field_key()) || !in_strings(l.string_value())) {
    return SectionError("line_protocol", "a string index is past the dictionary");
  }
  int tag = 0, field = 0;
  int next[6] = {};
  for (size_t i = 0; i < n; ++i) {
    const int r = static_cast<int>(i);
    std::string line;
    AppendRowHead(&line, batch, l.receive_offset_nanos(r), json);
    const bool stamped = (l.flags(r) & v1::LINE_PROTOCOL_FLAG_NO_TIMESTAMP) == 0;
    if (json) {
      line.append(",\"kind\":\"line\",\"measurement\":");
      AppendJsonQuoted(&line, batch.strings(l.measurement(r)));
      line.append(",\"tags\":{");
    } else {
      line.push_back(' ');
      AppendTextEscaped(&line, batch.strings(l.measurement(r)));
    }
    for (uint32_t t = 0; t < l.tag_count(r); ++t, ++tag) {
      if (json) {
        if (t > 0) line.push_back(',');
        AppendJsonQuoted(&line, batch.strings(l.tag_key(tag)));
        line.push_back(':');
        AppendJsonQuoted(&line, batch.strings(l.tag_value(tag)));
      } else {
        line.push_back(',');
        AppendTextEscaped(&line, batch.strings(l.tag_key(tag)));
        line.push_back('=');
        AppendTextEscaped(&line, batch.strings(l.tag_value(tag)));
      }
    }
    line.append(json ? "},\"fields\":{" : " ");
    for (uint32_t k = 0; k < l.field_count(r); ++k, ++field) {
      if (k > 0) line.push_back(',');
      if (json) {
        AppendJsonQuoted(&line, batch.strings(l.field_key(field)));
        line.push_back(':');
      } else {
        AppendTextEscaped(&line, batch.strings(l.field_key(field)));
        line.push_back('=');
      }
      const int type = l.field_type(field);
      const int v = next[type]++;
      switch (type) {
        case v1::FIELD_TYPE_FLOAT:
          if (json) {
            AppendJsonNumber(&line, l.float_value(v));
          } else {
            AppendNumber(&line, l.float_value(v));
          }
          break;
        case v1::FIELD_TYPE_INTEGER:
          absl::StrAppend(&line, l.int_value(v), json ? "" : "i");
          break;
        case v1::FIELD_TYPE_UNSIGNED:
          absl::StrAppend(&line, l.uint_value(v), json ? "" : "u");
          break;
        case v1::FIELD_TYPE_STRING:
          if (json) {
            AppendJsonQuoted(&line, batch.strings(l.string_value(v)));
          } else {
            line.push_back('"');
            AppendTextEscaped(&line, batch.strings(l.string_value(v)));
            line.push_back('"');
          }
          break;
        default:
          line.append(l.bool_value(v) ? "true" : "false");
          break;
      }
    }
    if (json) {
      absl::StrAppend(&line, "},\"timestamp_unix_nanos\":", l.timestamp_unix_nanos(r),
                      stamped ? "" : ",\"no_timestamp\":true", "}");
    } else if (stamped) {
      absl::StrAppend(&line, " ", l.timestamp_unix_nanos(r));
    }
    lines->push_back(std::move(line));
  }
  return absl::OkStatus();
}

// Statsd rows, then flows, then line-protocol points of one batch.
absl::StatusOr<std::vector<std::string>> AllLines(const v1::Batch& batch, bool json) {
  absl::StatusOr<std::vector<StatsdRow>> rows = StatsdRows(batch);
  if (!rows.ok()) {
    return rows.status();
  }
  std::vector<std::string> lines;
  lines.reserve(rows->size());
  for (const StatsdRow& row : *rows) {
    lines.push_back(json ? FormatJsonLine(row) : FormatTextLine(row));
  }
  if (absl::Status s = AppendFlowLines(batch, json, &lines); !s.ok()) return s;
  if (absl::Status s = AppendLinePointLines(batch, json, &lines); !s.ok()) return s;
  return lines;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> TextLines(const v1::Batch& batch) {
  return AllLines(batch, /*json=*/false);
}

absl::StatusOr<std::vector<std::string>> JsonLines(const v1::Batch& batch) {
  return AllLines(batch, /*json=*/true);
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
