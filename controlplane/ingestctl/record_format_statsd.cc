// Statsd records of a Batch: StatsdView (checked columns -> rows) and the text and
// NDJSON form of a row; see record_format.h for the shapes.
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "controlplane/ingestctl/record_format.h"
#include "controlplane/ingestctl/record_format_internal.h"

namespace firehose::ctl {

using record_format_internal::AppendJsonNumber;
using record_format_internal::AppendJsonQuoted;
using record_format_internal::AppendNumber;
using record_format_internal::AppendRowHead;
using record_format_internal::AppendTextEscaped;
using record_format_internal::CheckDense;
using record_format_internal::SectionError;

namespace {

absl::Status IndexError(const char* column, size_t i, uint32_t index, int table_size,
                        const char* table) {
  return SectionError(
      "statsd", absl::StrCat(column, "[", i, "] is ", index, ", past the end of the ", table_size,
                             "-entry ", table));
}

}  // namespace

absl::StatusOr<StatsdView> StatsdView::Create(const v1::Batch& batch) {
  const v1::StatsdColumns& s = batch.statsd();
  const size_t n = static_cast<size_t>(s.name_size());
  if (absl::Status dense = CheckDense("statsd", n,
                                      {{"value", s.value_size()},
                                       {"type", s.type_size()},
                                       {"sample_rate", s.sample_rate_size()},
                                       {"tag_count", s.tag_count_size()},
                                       {"source", s.source_size()},
                                       {"receive_offset_nanos", s.receive_offset_nanos_size()},
                                       {"flags", s.flags_size()},
                                       {"text", s.text_size()}});
      !dense.ok()) {
    return dense;
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
  row.unix_nanos = record_format_internal::ReceiveNanos(batch, s.receive_offset_nanos(k));
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
  std::string line;
  AppendRowHead(&line, row.node_id, row.epoch, row.seq, row.unix_nanos, /*json=*/false);
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
  std::string line;
  AppendRowHead(&line, row.node_id, row.epoch, row.seq, row.unix_nanos, /*json=*/true);
  line.append(",\"source\":");
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

namespace record_format_internal {

absl::Status AppendStatsdLines(const v1::Batch& batch, bool json, std::vector<std::string>* lines) {
  absl::StatusOr<StatsdView> view = StatsdView::Create(batch);
  if (!view.ok()) {
    return view.status();
  }
  for (size_t i = 0; i < view->size(); ++i) {
    const StatsdRow row = view->Row(i);
    lines->push_back(json ? FormatJsonLine(row) : FormatTextLine(row));
  }
  return absl::OkStatus();
}

}  // namespace record_format_internal
}  // namespace firehose::ctl
