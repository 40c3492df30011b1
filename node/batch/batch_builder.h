// Builds one columnar batch of records in preallocated memory.
//
// A worker appends decoded records; every column is a fixed array sized from the batch
// limits at start-up, strings go through the per-batch dictionary, and Clear() makes
// the builder reusable without freeing anything. The export thread turns a finished
// builder into a firehose.v1.Batch with ToProto(), which copies whole columns.
#ifndef FIREHOSE_NODE_BATCH_BATCH_BUILDER_H_
#define FIREHOSE_NODE_BATCH_BATCH_BUILDER_H_

#include <cstdint>
#include <memory>

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

 private:
  uint32_t InternSource(const PacketMeta& meta);

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

  uint32_t records_ = 0;
  uint32_t tags_used_ = 0;
  int64_t first_receive_ = 0;
  int64_t last_receive_ = 0;
  uint16_t queue_id_ = 0;
};

}  // namespace firehose::batch

#endif  // FIREHOSE_NODE_BATCH_BATCH_BUILDER_H_
