// Where decoders put records. The data path's sink is the worker's Batcher, which
// appends to a columnar batch and hands full batches to the export side; tests use a
// sink that collects records into vectors.
#ifndef FIREHOSE_NODE_DECODE_RECORD_SINK_H_
#define FIREHOSE_NODE_DECODE_RECORD_SINK_H_

#include <cstdint>
#include <string_view>

#include "node/common/packet_meta.h"

namespace firehose::decode {

// statsd metric types; numerically equal to firehose.v1.MetricType.
enum class MetricType : uint8_t {
  kCounter = 1,
  kGauge = 2,
  kTimer = 3,
  kHistogram = 4,
  kSet = 5,
  kDistribution = 6,
};

// Bits of StatsdRecord::flags; numerically equal to firehose.v1.StatsdFlag.
inline constexpr uint32_t kStatsdFlagGaugeDelta = 1;

// Most tags one statsd line may carry; lines with more are counted as errors.
inline constexpr int kMaxStatsdTags = 64;

// One decoded statsd line. Every string_view points into the packet payload, which
// stays valid only for the duration of the RecordSink call.
struct StatsdRecord {
  std::string_view name;
  double value = 0;
  MetricType type = MetricType::kCounter;
  float sample_rate = 1.0f;
  uint32_t flags = 0;
  std::string_view text;  // set member for kSet, else empty
  int tag_count = 0;
  std::string_view tags[kMaxStatsdTags];
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Takes one record. Must copy what it keeps: the views die when this returns.
  virtual void AddStatsd(const StatsdRecord& record, const PacketMeta& meta) = 0;
};

}  // namespace firehose::decode

#endif  // FIREHOSE_NODE_DECODE_RECORD_SINK_H_
