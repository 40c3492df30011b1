// Where decoders put records, and the record structs they hand over. The data path's
// sink is the worker's Batcher, which appends to a columnar batch and hands full
// batches to the export side; tests use sinks that collect records into vectors.
//
// Records are plain fixed-size structs whose string_views point into the packet (or
// into the decoder's scratch buffer) and die when the sink call returns: decoders fill
// one reused struct per record, so nothing allocates per record.
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
  // DogStatsD "|T<seconds>" client timestamp, seconds since the Unix epoch; 0 if absent.
  uint64_t timestamp_unix_seconds = 0;
  // DogStatsD "|c:<id>" origin (container id) without the "c:"; empty if absent.
  std::string_view container_id;
  int tag_count = 0;
  std::string_view tags[kMaxStatsdTags];
};

// Most enterprise-specific (IPFIX) fields kept raw per flow record; further ones are
// skipped and the record is marked with kFlowFlagEnterpriseTruncated.
inline constexpr int kMaxFlowEnterpriseFields = 8;

// Bits of FlowRecord::flags; numerically equal to firehose.v1.FlowFlag.
inline constexpr uint32_t kFlowFlagEnterpriseTruncated = 1;
// Start/end times came from a sysUpTime-relative field converted with the header's
// clock (v5, v9), so they inherit the exporter's clock skew.
inline constexpr uint32_t kFlowFlagUptimeRelative = 2;

// One enterprise-specific information element, value kept as sent.
struct FlowEnterpriseField {
  uint32_t enterprise = 0;  // IANA private enterprise number
  uint16_t element = 0;     // element id without the enterprise bit
  std::string_view value;   // raw bytes, network order, points into the packet
};

// One decoded NetFlow v5 / v9 / IPFIX flow record. Addresses are 16 bytes in network
// order: IPv6 as is, IPv4 as an IPv4-mapped IPv6 address (::ffff:a.b.c.d), all zero
// when the record does not carry that address.
struct FlowRecord {
  uint8_t version = 0;      // 5, 9 or 10 (IPFIX)
  uint8_t ip_version = 0;   // 4 or 6; 0 when the record carries no address
  uint8_t protocol = 0;     // IP protocol number
  uint8_t tcp_flags = 0;    // OR of the TCP flags seen
  uint8_t tos = 0;          // IPv4 ToS / IPv6 traffic class
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t observation_domain = 0;  // IPFIX domain id, v9 source id, v5 engine type/id
  uint32_t input_interface = 0;
  uint32_t output_interface = 0;
  uint32_t src_as = 0;
  uint32_t dst_as = 0;
  uint32_t sampling_interval = 0;  // 1 in N packets sampled; 0 when unknown
  uint32_t flags = 0;              // kFlowFlag* bits
  uint64_t bytes = 0;
  uint64_t packets = 0;
  uint64_t start_unix_millis = 0;  // 0 when unknown
  uint64_t end_unix_millis = 0;
  uint8_t src_address[16] = {};
  uint8_t dst_address[16] = {};
  uint8_t next_hop[16] = {};
  int enterprise_count = 0;
  FlowEnterpriseField enterprise[kMaxFlowEnterpriseFields];
};

// InfluxDB line protocol field value types; numerically equal to firehose.v1.FieldType.
enum class FieldType : uint8_t {
  kFloat = 1,
  kInteger = 2,
  kUnsigned = 3,
  kString = 4,
  kBoolean = 5,
};

// Most tags and fields one line-protocol point may carry; lines with more are errors.
inline constexpr int kMaxLineTags = 64;
inline constexpr int kMaxLineFields = 64;

struct LineTag {
  std::string_view key;
  std::string_view value;
};

struct LineField {
  std::string_view key;
  FieldType type = FieldType::kFloat;
  double float_value = 0;      // kFloat
  int64_t int_value = 0;       // kInteger
  uint64_t uint_value = 0;     // kUnsigned
  std::string_view string_value;  // kString
  bool bool_value = false;     // kBoolean
};

// One InfluxDB line-protocol point, with escapes already removed (views may point into
// the decoder's scratch buffer rather than the packet).
struct LinePoint {
  std::string_view measurement;
  // Nanoseconds since the Unix epoch, converted from the line's precision; when the line
  // has no timestamp, the packet's receive time (what InfluxDB itself would use).
  int64_t timestamp_unix_nanos = 0;
  bool has_timestamp = false;
  int tag_count = 0;
  LineTag tags[kMaxLineTags];
  int field_count = 0;
  LineField fields[kMaxLineFields];
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Takes one record. Must copy what it keeps: the views die when this returns.
  virtual void AddStatsd(const StatsdRecord& record, const PacketMeta& meta) = 0;
  // Flow and line-protocol records. The defaults discard them, so a sink written for
  // statsd only (a test collector) need not implement them; the Batcher does.
  virtual void AddFlow(const FlowRecord& /*record*/, const PacketMeta& /*meta*/) {}
  virtual void AddLinePoint(const LinePoint& /*point*/, const PacketMeta& /*meta*/) {}
};

}  // namespace firehose::decode

#endif  // FIREHOSE_NODE_DECODE_RECORD_SINK_H_
