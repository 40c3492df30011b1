// EncodeRelayStamps: the relay's fields of a batch, every one written; see the header.
#include "relay/relay_stamps.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::relay {
namespace {

using google::protobuf::internal::WireFormatLite;

// Field numbers from the generated code, so they follow ingest.proto.
constexpr int kResponseBatch = v1::SubscribeResponse::kBatchFieldNumber;
constexpr int kNodeId = v1::Batch::kNodeIdFieldNumber;
constexpr int kEpoch = v1::Batch::kEpochFieldNumber;
constexpr int kSeq = v1::Batch::kSeqFieldNumber;
constexpr int kOriginPair = v1::Batch::kOriginPairFieldNumber;
constexpr int kOriginNodeId = v1::Batch::kOriginNodeIdFieldNumber;
constexpr int kOriginEpoch = v1::Batch::kOriginEpochFieldNumber;
constexpr int kOriginSeq = v1::Batch::kOriginSeqFieldNumber;

void WriteString(int field, std::string_view value, google::protobuf::io::CodedOutputStream* out) {
  WireFormatLite::WriteTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, out);
  out->WriteVarint32(static_cast<uint32_t>(value.size()));
  // An empty view's data() may be null, which WriteRaw's memcpy must not get.
  if (!value.empty()) out->WriteRaw(value.data(), static_cast<int>(value.size()));
}

}  // namespace

std::string EncodeRelayStamps(const RelayStamps& stamps) {
  std::string batch;
  {
    google::protobuf::io::StringOutputStream stream(&batch);
    google::protobuf::io::CodedOutputStream out(&stream);
    WriteString(kNodeId, stamps.node_id, &out);
    WireFormatLite::WriteUInt64(kEpoch, stamps.epoch, &out);
    WireFormatLite::WriteUInt64(kSeq, stamps.seq, &out);
    WriteString(kOriginPair, stamps.origin_pair, &out);
    WriteString(kOriginNodeId, stamps.origin_node_id, &out);
    WireFormatLite::WriteUInt64(kOriginEpoch, stamps.origin_epoch, &out);
    WireFormatLite::WriteUInt64(kOriginSeq, stamps.origin_seq, &out);
  }
  std::string response;
  {
    google::protobuf::io::StringOutputStream stream(&response);
    google::protobuf::io::CodedOutputStream out(&stream);
    WriteString(kResponseBatch, batch, &out);
  }
  return response;
}

}  // namespace firehose::relay
