// Turns the columnar batches of the Ingest wire contract back into rows and prints
// them for people (one statsd-looking line per record) and for programs (NDJSON).
//
// A Batch stores each record as element i of parallel columns, with strings in a
// per-batch dictionary and tags as one concatenated column sliced by tag_count. A node
// or relay with a bug could send columns of different lengths or indices past the
// dictionary, so StatsdView checks all of that once per batch and rows are only ever
// built from a checked view: a bad batch becomes an error message, never a crash.
#ifndef FIREHOSE_CONTROLPLANE_INGESTCTL_RECORD_FORMAT_H_
#define FIREHOSE_CONTROLPLANE_INGESTCTL_RECORD_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::ctl {

// One statsd record in row form. The string_views point into the Batch the row was
// taken from, which must outlive the row.
struct StatsdRow {
  std::string_view node_id;
  uint64_t epoch = 0;
  uint64_t seq = 0;
  // Receive time: Batch.first_receive_unix_nanos + receive_offset_nanos[i].
  int64_t unix_nanos = 0;
  // The sender as "10.0.0.5:40000" or "[2001:db8::1]:40000" (see FormatEndpoint).
  std::string source;
  std::string_view name;
  double value = 0;
  v1::MetricType type = v1::METRIC_TYPE_UNSPECIFIED;
  float sample_rate = 1;
  // A gauge sent with an explicit sign: add `value` rather than set it.
  bool gauge_delta = false;
  // As sent: "key:value" or a bare "key".
  std::vector<std::string_view> tags;
  // The member of a set; empty for other types.
  std::string_view member;
};

// The statsd section of one batch, checked: every dense column has one entry per
// record, every string and source index is inside its table, and tag_count adds up
// to the tags column. Holds a pointer to the batch, which must outlive the view.
class StatsdView {
 public:
  // Fails with InvalidArgument naming the first column that is wrong, e.g.
  // "statsd.value has 2 entries for 3 records".
  static absl::StatusOr<StatsdView> Create(const v1::Batch& batch);

  size_t size() const { return tag_start_.size() - 1; }

  // Record i, 0 <= i < size(). Cheap enough to call only for records one prints.
  StatsdRow Row(size_t i) const;

 private:
  explicit StatsdView(const v1::Batch* batch) : batch_(batch) {}

  const v1::Batch* batch_;
  // Record i's tags are tags[tag_start_[i] .. tag_start_[i + 1]).
  std::vector<size_t> tag_start_;
};

// Every statsd record of `batch` as a row.
absl::StatusOr<std::vector<StatsdRow>> StatsdRows(const v1::Batch& batch);

// One line for a person, without a trailing newline, e.g.
//   2026-11-22T10:15:03.123456Z node-a #42 10.0.0.5:40000 web.requests:1|c @0.5
//   #env:prod,svc:api
// Time is UTC to the microsecond, "#42" the batch seq; " @rate" appears when the rate
// is not 1 and " #tags" when there are tags. Sets print their member as the value,
// gauge deltas an explicit sign ("+3", "-3"). Control characters and backslashes in
// strings are escaped (\xNN, \\) so that one record is always one line.
std::string FormatTextLine(const StatsdRow& row);

// One NDJSON object, without a trailing newline:
//   {"node_id":"node-a","epoch":1,"seq":42,"time":"2026-11-22T10:15:03.123456789Z",
//    "source":"10.0.0.5:40000","name":"web.requests","value":1,"type":"c",
//    "sample_rate":0.5,"tags":["env:prod","svc:api"]}
// plus "member":"..." for sets and "delta":true for gauge deltas. time is RFC 3339 in
// UTC with nanoseconds; type is the statsd suffix (c g ms h s d, "unknown" otherwise);
// a value that is not finite is null.
std::string FormatJsonLine(const StatsdRow& row);

// Every record of `batch`: statsd records formatted by FormatTextLine / FormatJsonLine,
// then flows, then line-protocol points (each section checked like StatsdView first).
// A flow reads, in text,
//   TIME node #seq 192.0.2.1:2055 flow v9 10.0.0.1:1234 > 10.0.0.2:80 proto 6 3 pkts
//   180 B if 1>2 as 0>0 tos 0 flags 0x1b [sampled 1/N]
// and a point in line-protocol shape (escapes removed, control bytes escaped),
//   TIME node #seq cpu,host=a usage=0.5,count=3i,ok=true,note="x" 1700000000000000000
// In NDJSON they are objects with "kind":"flow" (every FlowColumns field by name) and
// "kind":"line" ("measurement", "tags" and "fields" objects, "timestamp_unix_nanos").
absl::StatusOr<std::vector<std::string>> TextLines(const v1::Batch& batch);
absl::StatusOr<std::vector<std::string>> JsonLines(const v1::Batch& batch);

// A line for stderr describing `notice`, or "" for notices not worth a line
// (heartbeats). A gap reads
//   gap: missed 120 records (3 batches) seq 7..9: subscriber queue full
std::string FormatNotice(const v1::Notice& notice);

// `text` as a JSON string literal, quotes included. Escapes quotes, backslashes and
// control characters, and replaces bytes that are not valid UTF-8 with U+FFFD so the
// output is always valid JSON.
std::string JsonQuote(std::string_view text);

// RFC 3339 UTC time with `fraction_digits` (0..9) digits of second fraction.
std::string FormatTimestamp(int64_t unix_nanos, int fraction_digits);

// "a.b.c.d:port", "[v6]:port", or "?:port" when the address is neither 4 nor 16 bytes.
std::string FormatEndpoint(const v1::Endpoint& endpoint);

// The statsd suffix of `type` ("c", "g", "ms", "h", "s", "d"), or "" if unknown.
std::string_view MetricTypeSuffix(v1::MetricType type);

}  // namespace firehose::ctl

#endif  // FIREHOSE_CONTROLPLANE_INGESTCTL_RECORD_FORMAT_H_
