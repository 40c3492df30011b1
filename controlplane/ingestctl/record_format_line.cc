// Influx line-protocol points of a Batch as text (line-protocol shape, escapes removed,
// control bytes escaped) and NDJSON lines; see record_format.h for the shapes. The
// section is checked once per batch (like StatsdView), then each point is formatted
// straight from the columns.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "controlplane/ingestctl/record_format_internal.h"

namespace firehose::ctl::record_format_internal {
namespace {

// Dense columns have one entry per point; tag and field columns add up to the counts;
// each per-type value column has one entry per field of its type; every string index
// is inside the dictionary.
absl::Status CheckPoints(const v1::Batch& batch) {
  const v1::LineProtocolColumns& l = batch.line_protocol();
  const size_t n = l.measurement_size();
  if (absl::Status s = CheckDense("line_protocol", n,
                                  {{"timestamp_unix_nanos", l.timestamp_unix_nanos_size()},
                                   {"flags", l.flags_size()},
                                   {"source", l.source_size()},
                                   {"receive_offset_nanos", l.receive_offset_nanos_size()},
                                   {"tag_count", l.tag_count_size()},
                                   {"field_count", l.field_count_size()}});
      !s.ok()) {
    return s;
  }
  if (n == 0) return absl::OkStatus();
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
  if (absl::Status s =
          CheckDense("line_protocol", tags,
                     {{"tag_key", l.tag_key_size()}, {"tag_value", l.tag_value_size()}});
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckDense("line_protocol", fields,
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
  return absl::OkStatus();
}

// Where the next point's tags, fields and values of each FieldType start in the
// concatenated columns: points are read in order, each advancing the cursor.
struct Cursor {
  int tag = 0;
  int field = 0;
  int next[6] = {};
};

// Point r of a checked section.
std::string PointLine(const v1::Batch& batch, int r, bool json, Cursor* at) {
  const v1::LineProtocolColumns& l = batch.line_protocol();
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
  for (uint32_t t = 0; t < l.tag_count(r); ++t, ++at->tag) {
    if (json) {
      if (t > 0) line.push_back(',');
      AppendJsonQuoted(&line, batch.strings(l.tag_key(at->tag)));
      line.push_back(':');
      AppendJsonQuoted(&line, batch.strings(l.tag_value(at->tag)));
    } else {
      line.push_back(',');
      AppendTextEscaped(&line, batch.strings(l.tag_key(at->tag)));
      line.push_back('=');
      AppendTextEscaped(&line, batch.strings(l.tag_value(at->tag)));
    }
  }
  line.append(json ? "},\"fields\":{" : " ");
  for (uint32_t k = 0; k < l.field_count(r); ++k, ++at->field) {
    if (k > 0) line.push_back(',');
    if (json) {
      AppendJsonQuoted(&line, batch.strings(l.field_key(at->field)));
      line.push_back(':');
    } else {
      AppendTextEscaped(&line, batch.strings(l.field_key(at->field)));
      line.push_back('=');
    }
    const int type = l.field_type(at->field);
    const int v = at->next[type]++;
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
  return line;
}

}  // namespace

absl::Status AppendLinePointLines(const v1::Batch& batch, bool json,
                                  std::vector<std::string>* lines) {
  if (absl::Status s = CheckPoints(batch); !s.ok()) return s;
  Cursor at;
  for (int r = 0; r < batch.line_protocol().measurement_size(); ++r) {
    lines->push_back(PointLine(batch, r, json, &at));
  }
  return absl::OkStatus();
}

}  // namespace firehose::ctl::record_format_internal
