// ReadBatchHeader: a walk over a SubscribeResponse's fields that skips the columns;
// see the header.
#include "client/batch_header.h"

#include "absl/status/status.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::client {
namespace {

using google::protobuf::internal::WireFormatLite;

// Field numbers from the generated code, so they follow ingest.proto.
constexpr int kResponseBatch = v1::SubscribeResponse::kBatchFieldNumber;
constexpr int kResponseNotice = v1::SubscribeResponse::kNoticeFieldNumber;
constexpr int kBatchNodeId = v1::Batch::kNodeIdFieldNumber;
constexpr int kBatchEpoch = v1::Batch::kEpochFieldNumber;
constexpr int kBatchSeq = v1::Batch::kSeqFieldNumber;
constexpr int kBatchRecordCount = v1::Batch::kRecordCountFieldNumber;

// Reads the fields of one occurrence of the batch submessage (within a pushed limit).
bool ReadBatchFields(google::protobuf::io::CodedInputStream& in, BatchHeader* header) {
  while (const uint32_t tag = in.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const WireFormatLite::WireType type = WireFormatLite::GetTagWireType(tag);
    bool ok;
    if (field == kBatchNodeId && type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      ok = WireFormatLite::ReadString(&in, &header->node_id);
    } else if (field == kBatchEpoch && type == WireFormatLite::WIRETYPE_VARINT) {
      ok = in.ReadVarint64(&header->epoch);
    } else if (field == kBatchSeq && type == WireFormatLite::WIRETYPE_VARINT) {
      ok = in.ReadVarint64(&header->seq);
    } else if (field == kBatchRecordCount && type == WireFormatLite::WIRETYPE_VARINT) {
      ok = in.ReadVarint32(&header->record_count);
    } else {
      ok = WireFormatLite::SkipField(&in, tag);  // columns: skipped, never copied
    }
    if (!ok) return false;
  }
  // ReadTag returns 0 at the limit (a legitimate end) and on a malformed tag (not).
  return in.ConsumedEntireMessage();
}

}  // namespace

absl::StatusOr<std::optional<BatchHeader>> ReadBatchHeader(
    google::protobuf::io::ZeroCopyInputStream* input) {
  google::protobuf::io::CodedInputStream in(input);
  std::optional<BatchHeader> header;
  const auto malformed = [] {
    return absl::DataLossError("the response is not a well-formed SubscribeResponse");
  };
  while (const uint32_t tag = in.ReadTag()) {
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    const WireFormatLite::WireType type = WireFormatLite::GetTagWireType(tag);
    if (field == kResponseBatch && type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length;
      if (!in.ReadVarint32(&length)) return malformed();
      // A oneof: a batch after a notice replaces it, and batch occurrences merge.
      if (!header.has_value()) header.emplace();
      const auto limit = in.PushLimit(static_cast<int>(length));
      if (!ReadBatchFields(in, &*header)) return malformed();
      in.PopLimit(limit);
    } else if (field == kResponseNotice && type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      header.reset();
      if (!WireFormatLite::SkipField(&in, tag)) return malformed();
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return malformed();
    }
  }
  if (!in.ConsumedEntireMessage()) return malformed();
  return header;
}

}  // namespace firehose::client
