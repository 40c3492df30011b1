// libFuzzer entry point for StatsdDecoder: any byte string is a payload. Aborts (a
// finding) if the accounting invariant breaks — every non-empty line becomes exactly
// one record or exactly one error — or if a record violates the grammar's guarantees
// (views inside the payload, name length, rate range, finite values, tag count).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "node/common/packet_meta.h"
#include "node/decode/record_sink.h"
#include "node/decode/statsd_decoder.h"

namespace {

using firehose::PacketMeta;
using firehose::decode::MetricType;
using firehose::decode::RecordSink;
using firehose::decode::StatsdRecord;

// Independent count of the lines the decoder must account for: split on '\n', drop
// one trailing '\r', skip empty lines.
uint64_t CountNonEmptyLines(std::string_view payload) {
  uint64_t lines = 0;
  while (!payload.empty()) {
    size_t newline = payload.find('\n');
    std::string_view line = payload.substr(0, newline);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) ++lines;
    if (newline == std::string_view::npos) break;
    payload.remove_prefix(newline + 1);
  }
  return lines;
}

class CheckingSink : public RecordSink {
 public:
  explicit CheckingSink(std::string_view payload) : payload_(payload) {}

  void AddStatsd(const StatsdRecord& r, const PacketMeta& /*meta*/) override {
    ++records_;
    CheckView(r.name);
    if (r.name.empty() || r.name.size() > firehose::decode::kStatsdMaxNameLen) {
      std::abort();
    }
    if (r.name.find_first_of(":|\n") != std::string_view::npos) std::abort();
    if (!std::isfinite(r.value)) std::abort();
    if (!(r.sample_rate > 0.0f) || r.sample_rate > 1.0f) std::abort();
    if (r.type < MetricType::kCounter || r.type > MetricType::kDistribution) std::abort();
    if (r.type == MetricType::kSet) {
      if (r.text.empty() || r.value != 0) std::abort();
      CheckView(r.text);
    } else if (!r.text.empty()) {
      std::abort();
    }
    if (r.tag_count < 0 || r.tag_count > firehose::decode::kMaxStatsdTags) std::abort();
    for (int i = 0; i < r.tag_count; ++i) {
      CheckView(r.tags[i]);
      if (r.tags[i].empty()) std::abort();
    }
  }

  uint64_t records() const { return records_; }

 private:
  void CheckView(std::string_view view) const {
    if (view.data() < payload_.data() ||
        view.data() + view.size() > payload_.data() + payload_.size()) {
      std::abort();
    }
  }

  std::string_view payload_;
  uint64_t records_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One decoder for the whole run, as a worker keeps one: state must not leak between
  // packets, and the counters are checked as deltas.
  static firehose::decode::StatsdDecoder decoder;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  const uint64_t records_before = decoder.records();
  const uint64_t errors_before = decoder.total_errors();

  CheckingSink sink(payload);
  decoder.Decode(payload, PacketMeta(), sink);

  const uint64_t records = decoder.records() - records_before;
  const uint64_t errors = decoder.total_errors() - errors_before;
  if (records != sink.records()) std::abort();
  if (records + errors != CountNonEmptyLines(payload)) std::abort();
  return 0;
}
