// The relay's stamps on a forwarded batch, as wire bytes to append to the node's
// serialized SubscribeResponse. Protobuf parses concatenated messages as one merged
// message: the batch submessages merge and a scalar present in both takes the later
// value. So node bytes + stamps parse as the node's batch with the relay's node_id,
// epoch and seq and the origin fields set, and the relay never parses or re-serialises
// the columns.
#ifndef FIREHOSE_RELAY_RELAY_STAMPS_H_
#define FIREHOSE_RELAY_RELAY_STAMPS_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace firehose::relay {

struct RelayStamps {
  std::string_view node_id;  // the relay's id
  uint64_t epoch = 0;        // the relay's epoch
  uint64_t seq = 0;          // the relay's dense seq
  std::string_view origin_pair;
  std::string_view origin_node_id;  // the node's node_id, epoch and seq
  uint64_t origin_epoch = 0;
  uint64_t origin_seq = 0;
};

// SubscribeResponse{batch: Batch{node_id, epoch, seq, origin_*}} with every field
// written, zeros and empty strings included: an explicitly present field replaces what
// the node's bytes carry, where proto3's usual omission of defaults would leave it.
std::string EncodeRelayStamps(const RelayStamps& stamps);

}  // namespace firehose::relay

#endif  // FIREHOSE_RELAY_RELAY_STAMPS_H_
