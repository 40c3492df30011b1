// Per-subscriber record selection: what a SubscribeRequest (and the caller's token)
// lets through of a published batch — record kinds, metric-name prefixes, sender
// networks (CIDR, IPv4 and IPv6) and consumer-group shards.
//
// Every record-level filter applies to every section (statsd, flows, line protocol):
//   - "sender" is the UDP sender of the record's packet: the statsd/line-protocol
//     `source` column and the flow's `exporter` column. Source networks and the
//     consumer-group hash look at that address. A flow's own src/dst addresses are
//     content, not the sender, and are not filtered on (no request field asks for it).
//   - "name" is the statsd metric name and the line-protocol measurement. Flows have no
//     name, so a name-prefix filter (AND with the others) leaves every flow out.
// Kept records keep all their columns, concatenated ones (tags, fields, enterprise
// fields) included. When records are filtered out, the dictionary and sender list carry
// only the entries the kept records refer to, in their original order, and the index
// columns are renumbered to match (entry 0 stays the empty string): a subscriber that
// keeps a few records of a batch is not sent the whole batch's names and tags. A
// kind-only filter sends sections, dictionary and senders as they are.
//
// Filters run on the subscriber's own stream thread, never on the export thread or a
// worker, so any number of filtered subscribers costs the data path nothing. A
// subscriber without filters gets the published message itself (shared, serialised
// once); only filtered ones pay for a copy of what they keep.
#ifndef FIREHOSE_NODE_EXPORT_RECORD_FILTER_H_
#define FIREHOSE_NODE_EXPORT_RECORD_FILTER_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/repeated_field.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::exporter {

// The consumer-group hash: FNV-1a, 64 bits, over the sender address bytes (4 for IPv4,
// 16 for IPv6, network order). Documented in ingest.proto (ConsumerGroup) so that any
// client can predict which shard a sender lands in.
uint64_t SourceShardHash(std::string_view address_bytes);

// An IPv4 or IPv6 network, parsed from "a.b.c.d/n" or "x:y::/n" (a bare address means
// a single host).
class Cidr {
 public:
  static absl::StatusOr<Cidr> Parse(std::string_view text);
  // `address` as in Endpoint.address: 4 or 16 bytes. An IPv4 network never matches an
  // IPv6 address and vice versa.
  bool Contains(std::string_view address) const;

 private:
  std::array<uint8_t, 16> bytes_{};
  size_t length_ = 0;  // 4 or 16
  int prefix_bits_ = 0;
};

// A bit per RecordKind value, so "allowed kinds" sets are cheap to intersect.
using KindMask = uint32_t;
constexpr KindMask kAllKinds = ~KindMask{0};
constexpr KindMask KindBit(v1::RecordKind kind) { return KindMask{1} << static_cast<int>(kind); }

class RecordFilter {
 public:
  // Compiles the filters of `request`. `allowed` is what the caller's token may read:
  // asking for a kind outside it is PERMISSION_DENIED; asking for no kind means every
  // allowed one. Malformed filters are INVALID_ARGUMENT.
  static absl::StatusOr<RecordFilter> Create(const v1::SubscribeRequest& request,
                                             KindMask allowed = kAllKinds);

  // True when every record passes: the published message can be sent as it is.
  bool PassesEverything() const { return passes_everything_; }
  bool WantsKind(v1::RecordKind kind) const { return (kinds_ & KindBit(kind)) != 0; }

  // Writes the header of `in` (node_id, epoch, seq, times, queue) and its matching
  // records into `out`, with the dictionary and sender entries they refer to (see the
  // file comment); returns out->record_count().
  uint32_t Apply(const v1::Batch& in, v1::Batch* out) const;

 private:
  RecordFilter() = default;
  bool HasRecordFilters() const {
    return !name_prefixes_.empty() || !cidrs_.empty() || shard_count_ != 0;
  }
  bool SourceMatches(const v1::Endpoint& source) const;
  bool NameMatches(std::string_view name) const;
  // Indexes of the `n` records of a section that pass the sender and name filters.
  // `names` is null for a section without names (flows).
  using Column = google::protobuf::RepeatedField<uint32_t>;
  std::vector<int> Select(const v1::Batch& in, int n, const Column& senders,
                          const Column* names) const;
  void ApplyStatsd(const v1::Batch& in, v1::Batch* out) const;
  void ApplyFlows(const v1::Batch& in, v1::Batch* out) const;
  void ApplyLineProtocol(const v1::Batch& in, v1::Batch* out) const;

  bool passes_everything_ = true;
  KindMask kinds_ = kAllKinds;
  std::vector<std::string> name_prefixes_;
  std::vector<Cidr> cidrs_;
  uint32_t shard_index_ = 0;
  uint32_t shard_count_ = 0;
};

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_RECORD_FILTER_H_
