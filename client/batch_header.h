// ReadBatchHeader: the few fields of a SubscribeResponse's batch that following a stream
// needs (node, epoch, seq, record count), read from its wire bytes without parsing the
// columns. A forwarder (the relay) de-duplicates and republishes a batch on these
// alone and passes its bytes on as they are, instead of parsing ~4096 records into a
// message and serialising them again.
#ifndef FIREHOSE_CLIENT_BATCH_HEADER_H_
#define FIREHOSE_CLIENT_BATCH_HEADER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/io/zero_copy_stream.h"

namespace firehose::client {

// The Batch fields of the same names (see ingest.proto).
struct BatchHeader {
  std::string node_id;
  uint64_t epoch = 0;
  uint64_t seq = 0;
  uint32_t record_count = 0;
};

// Reads a serialized firehose.v1.SubscribeResponse from `input` to its end. Returns the
// batch's header when the response holds a batch, nullopt when it holds anything else
// (a notice), and an error when the bytes are not a well-formed message. Like a parse,
// a field that occurs more than once takes its last value and batch submessages merge,
// so bytes with fields appended (the relay's stamps) read as the message they parse to.
absl::StatusOr<std::optional<BatchHeader>> ReadBatchHeader(
    google::protobuf::io::ZeroCopyInputStream* input);

}  // namespace firehose::client

#endif  // FIREHOSE_CLIENT_BATCH_HEADER_H_
