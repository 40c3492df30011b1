// libFuzzer entry point for InfluxDecoder: any byte string is a payload, decoded with
// nanosecond and second precision. Aborts (a finding) if the accounting invariant
// breaks — every line that is neither empty nor a comment becomes exactly one point or
// exactly one error — or a point breaks the grammar's guarantees (non-empty measurement,
// tag keys and values and field keys, 1..kMaxLineFields fields, known field types).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "node/common/packet_meta.h"
#include "node/decode/influx_decoder.h"
#include "node/decode/record_sink.h"

namespace {

using firehose::PacketMeta;
using firehose::decode::FieldType;
using firehose::decode::InfluxDecoder;
using firehose::decode::InfluxPrecision;
using firehose::decode::LinePoint;
using firehose::decode::RecordSink;
using firehose::decode::StatsdRecord;

uint64_t Units(std::string_view payload) {
  uint64_t n = 0;
  while (!payload.empty()) {
    const size_t nl = payload.find('\n');
    std::string_view line = payload.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line[0] != '#') ++n;
    if (nl == std::string_view::npos) break;
    payload.remove_prefix(nl + 1);
  }
  return n;
}

class CheckingSink : public RecordSink {
 public:
  void AddStatsd(const StatsdRecord&, const PacketMeta&) override { std::abort(); }
  void AddLinePoint(const LinePoint& p, const PacketMeta&) override {
    ++points_;
    if (p.measurement.empty()) std::abort();
    if (p.tag_count < 0 || p.tag_count > firehose::decode::kMaxLineTags) std::abort();
    if (p.field_count < 1 || p.field_count > firehose::decode::kMaxLineFields) std::abort();
    for (int i = 0; i < p.tag_count; ++i) {
      if (p.tags[i].key.empty() || p.tags[i].value.empty()) std::abort();
    }
    for (int i = 0; i < p.field_count; ++i) {
      if (p.fields[i].key.empty()) std::abort();
      if (p.fields[i].type < FieldType::kFloat || p.fields[i].type > FieldType::kBoolean) {
        std::abort();
      }
    }
  }
  uint64_t points() const { return points_; }

 private:
  uint64_t points_ = 0;
};

void Check(InfluxDecoder& d, std::string_view payload) {
  const uint64_t records = d.records();
  const uint64_t errors = d.total_errors();
  CheckingSink sink;
  d.Decode(payload, PacketMeta(), sink);
  if (d.records() - records != sink.points()) std::abort();
  if (d.records() - records + d.total_errors() - errors != Units(payload)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static InfluxDecoder nanos(InfluxPrecision::kNanoseconds);
  static InfluxDecoder seconds(InfluxPrecision::kSeconds);
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  Check(nanos, payload);
  Check(seconds, payload);
  return 0;
}
