// Builds one columnar batch of records in preallocated memory.
//
// A worker appends decoded records (statsd, flows, line-protocol points); every column
// is a fixed array sized from the batch limits at start-up, strings go through the
// per-batch dictionary, and Clear() makes the builder reusable without freeing
// anything. max_records bounds the records of all kinds together. The export thread turns a
// finished builder into a firehose.v1.Batch with ToProto(), which copies whole columns.
#ifndef FIREHOSE_NODE_BATCH_BATCH_BUILDER_H_
#define FIREHOSE_NODE_BATCH_BATCH_BUILDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "node/batch/string_dictionary.h"
#include "node/common/packet_meta.h"
#include "node/decode/record_sink.h"

namespace firehose::v1 {
class Batch;
}  // namespace firehose::v1

namespace firehose::batch {

struct BatchLimits {
  uint32_t max_records = 4096;
  // Approximate encoded size: strings + sources + a fixed cost per record and tag.
  uint32_t max_bytes = 256 * 1024;
};

// Bytes charged per record and per tag reference when sizing a batch; close to what
// the packed columns cost on the wire.
inline constexpr uint32_t kBytesPerRecord = 24;
inline constexpr uint32_t kBytesPerTag = 2;
// Room for tag references: on average this many per record.
inline constexpr uint32_t kTagSlotsPerRecord = 8;
// A flow record's fixed cost: three 16-byte addresses plus ~20 small varints.
inline constexpr uint32_t kBytesPerFlow = 80;
// Room for enterprise fields: on average this many per flow record.
inline constexpr uint32_t kEnterpriseSlotsPerRecord = 2;
// Line-protocol points: per-field cost (key, type, value) and room for fields.
inline constexpr uint32_t kBytesPerField = 12;
inline constexpr uint32_t kFieldSlotsPerRecord = 8;

enum class AddResult : uint8_t {
  kAdded,
  kFull,      // flush this batch and retry on an empty one
  kTooLarge,  // would not fit even an empty batch: drop and count
};

// The probe tables a worker shares among all its builders (see ProbeTable).
struct BatchIndexes {
  explicit BatchIndexes(const BatchLimits& limits);
  ProbeTable strings;
  ProbeTable sources;
};

// What the export thread stamps on a batch: the fields ToProto leaves to its caller.
struct BatchHeader {
  std::string_view node_id;
  uint64_t epoch = 0;
  uint64_t seq = 0;
};

class BatchBuilder {
 public:
  // Dictionary capacities for `limits`; BatchIndexes are sized from the same numbers.
  static uint32_t StringCapacity(const BatchLimits& limits);
  static uint32_t SourceCapacity(const BatchLimits& limits);

  // `indexes` (shared by one worker's builders) may be null: the builder then owns its
  // own, which is what tests want.
  explicit BatchBuilder(const BatchLimits& limits, BatchIndexes* indexes = nullptr);
  BatchBuilder(const BatchBuilder&) = delete;
  BatchBuilder& operator=(const BatchBuilder&) = delete;

  AddResult AddStatsd(const decode::StatsdRecord& record, const PacketMeta& meta);
  AddResult AddFlow(const decode::FlowRecord& record, const PacketMeta& meta);
  AddResult AddLinePoint(const decode::LinePoint& point, const PacketMeta& meta);

  bool empty() const { return records_ == 0; }
  uint32_t record_count() const { return records_; }
  bool at_record_limit() const { return records_ == limits_.max_records; }
  uint32_t approx_bytes() const;
  int64_t first_receive_unix_nanos() const { return first_receive_; }
  int64_t last_receive_unix_nanos() const { return last_receive_; }

  uint16_t queue_id() const { return queue_id_; }
  void set_queue_id(uint16_t id) { queue_id_ = id; }

  // Empties the builder. Only the worker thread may call it: it takes new generation
  // stamps from the worker's shared probe tables.
  void Clear();

  // Fills every field of `out` that the builder knows (not node_id, epoch or seq).
  void ToProto(v1::Batch* out) const;

  // Replaces *out with the serialized firehose.v1.SubscribeResponse{batch} of this batch
  // and `header`: byte for byte what ToProto + header + SerializeAsString give, written
  // straight from the columns into one buffer (no message, no per-string allocation).
  // Defined in batch_wire_encoder.cc.
  void EncodeResponse(const BatchHeader& header, std::string* out) const;

 private:
  friend class BatchWireEncoder;  // EncodeResponse's column walk (batch_wire_encoder.cc)
  // A sender's index in sources_ (0-based, as the wire column wants), or kNotAdded.
  uint32_t InternSource(const PacketMeta& meta);
  // A small direct-mapped cache of senders seen in this batch, in front of sources_: a
  // packet's records share one sender and a worker usually hears from a few senders in
  // turn, so a record usually costs one hash and one compare here, not a dictionary
  // lookup. An entry holds the whole PacketMeta sender (all 16 address bytes, length,
  // port), so two senders never share an index whatever the PacketMeta object; Clear()
  // empties it so no index survives into another batch.
  struct SourceCacheEntry {
    uint64_t address[2] = {};
    uint32_t port_len = 0;                         // source_port << 8 | source_address_len
    uint32_t index = StringDictionary::kNotAdded;  // kNotAdded: empty
  };
  static constexpr uint32_t kSourceCacheEntries = 16;
  // The dictionary lookup behind a cache miss; fills `entry`.
  [[gnu::noinline]] uint32_t InternSourceMiss(const PacketMeta& meta, SourceCacheEntry& entry);
  SourceCacheEntry source_cache_[kSourceCacheEntries];
  // Common limit checks for a record of `new_bytes` approximate bytes.
  AddResult CheckRoom(uint32_t new_bytes) const;
  // Counts a record added at `meta`'s receive time.
  void NoteReceive(const PacketMeta& meta);
  void FlowsToProto(v1::Batch* out) const;
  void LinePointsToProto(v1::Batch* out) const;

  // Flow columns, one entry per flow record (see FlowColumns in ingest.proto).
  struct FlowColumns {
    explicit FlowColumns(uint32_t max_records, uint32_t max_enterprise, uint32_t max_bytes);
    std::unique_ptr<uint8_t[]> version, ip_version, protocol, tcp_flags, tos;
    std::unique_ptr<uint16_t[]> src_port, dst_port;
    std::unique_ptr<uint32_t[]> exporter, domain, input_if, output_if, src_as, dst_as, sampling,
        flags, enterprise_count;
    std::unique_ptr<uint64_t[]> bytes, packets, start, end;
    std::unique_ptr<int64_t[]> receive;
    std::unique_ptr<uint8_t[]> src_address, dst_address, next_hop;  // 16 per record
    // Enterprise fields, concatenated over records.
    std::unique_ptr<uint32_t[]> ent_number, ent_element, ent_length;
    std::unique_ptr<char[]> ent_data;
    uint32_t count = 0;
    uint32_t ent_used = 0;
    uint32_t ent_bytes = 0;
  };

  // Line-protocol columns, one entry per point; tags and fields concatenated.
  struct LineColumns {
    LineColumns(uint32_t max_records, uint32_t max_tags, uint32_t max_fields);
    std::unique_ptr<uint32_t[]> measurement, flags, source, tag_count, field_count;
    std::unique_ptr<int64_t[]> timestamp, receive;
    std::unique_ptr<uint32_t[]> tag_key, tag_value;
    std::unique_ptr<uint32_t[]> field_key;
    std::unique_ptr<uint8_t[]> field_type;
    // The value's bits: a double, int64 or uint64 bit pattern, a string index, or 0/1.
    std::unique_ptr<uint64_t[]> field_value;
    uint32_t count = 0;
    uint32_t tags_used = 0;
    uint32_t fields_used = 0;
  };

  const BatchLimits limits_;
  const uint32_t max_tags_;
  StringDictionary strings_;
  StringDictionary sources_;  // key: address bytes followed by the port, big-endian

  std::unique_ptr<uint32_t[]> name_;
  std::unique_ptr<double[]> value_;
  std::unique_ptr<uint8_t[]> type_;
  std::unique_ptr<float[]> sample_rate_;
  std::unique_ptr<uint32_t[]> tag_count_;
  std::unique_ptr<uint32_t[]> tags_;
  std::unique_ptr<uint32_t[]> source_;
  std::unique_ptr<int64_t[]> receive_;
  std::unique_ptr<uint32_t[]> flags_;
  std::unique_ptr<uint32_t[]> text_;

  std::unique_ptr<uint64_t[]> timestamp_;
  std::unique_ptr<uint32_t[]> container_id_;

  const uint32_t max_enterprise_;
  const uint32_t max_fields_;
  FlowColumns flows_;
  LineColumns lines_;

  uint32_t records_ = 0;  // all kinds
  uint32_t statsd_records_ = 0;
  uint32_t tags_used_ = 0;
  uint32_t extra_bytes_ = 0;  // approximate bytes of flow and line-protocol columns
  int64_t first_receive_ = 0;
  int64_t last_receive_ = 0;
  uint16_t queue_id_ = 0;
};

}  // namespace firehose::batch

#endif  // FIREHOSE_NODE_BATCH_BATCH_BUILDER_H_
