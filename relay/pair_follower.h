// Follows one active/standby pair through the streams of all its nodes: which epoch is
// current (the highest seen: a promotion always brings a higher one), which batches to
// pass on (the current epoch's, each (epoch, seq) once), and which to drop and why
// (already passed on: duplicate; of an older epoch than the current: stale). Counts
// every batch it is shown under exactly one of forwarded / duplicate / stale, and the
// holes it sees in the current epoch's seq.
//
// Also tracks, per node, whether it is connected and active in the current epoch —
// what the relay's readiness reports.
//
// Not thread-safe: the relay calls it under its own lock, from every node's stream.
#ifndef FIREHOSE_RELAY_PAIR_FOLLOWER_H_
#define FIREHOSE_RELAY_PAIR_FOLLOWER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::relay {

enum class Verdict {
  kForward,
  // (epoch, seq) already passed on (a resumed stream, or the same batch by two paths).
  kDuplicate,
  // Of an epoch older than the one followed: a deposed node's late batch.
  kStaleEpoch,
};

struct PairCounters {
  // Every batch shown = forwarded + duplicate + stale (batches and records alike).
  uint64_t received_batches = 0;
  uint64_t received_records = 0;
  uint64_t forwarded_batches = 0;
  uint64_t forwarded_records = 0;
  uint64_t duplicate_batches = 0;
  uint64_t duplicate_records = 0;
  uint64_t stale_batches = 0;
  uint64_t stale_records = 0;
  // Batches of the followed epoch never seen: holes in seq (after the first batch the
  // relay saw of the epoch, or from seq 1 of an epoch that followed one it had).
  uint64_t gap_batches = 0;
  // Gap notices the nodes sent (their own queue overflowed, or a resume went past
  // their replay ring) and the records they say were lost.
  uint64_t upstream_gap_notices = 0;
  uint64_t upstream_gap_records = 0;
  // Times the followed epoch moved up after the first (failovers seen).
  uint64_t epoch_changes = 0;
};

class PairFollower {
 public:
  PairFollower(std::string name, size_t node_count);

  const std::string& name() const { return name_; }

  // A batch from node `node`, by its header: what to do with it. Counts it.
  Verdict OnBatch(size_t node, uint64_t epoch, uint64_t seq, uint64_t records);
  Verdict OnBatch(size_t node, const v1::Batch& batch) {
    return OnBatch(node, batch.epoch(), batch.seq(), batch.record_count());
  }
  // A notice from node `node` (epoch change, heartbeat, gap).
  void OnNotice(size_t node, const v1::Notice& notice);
  // Node `node`'s stream ended or could not be opened.
  void OnDisconnect(size_t node);

  // Connected to a node known to be active in the followed epoch.
  bool Ready() const;
  // The node that is active in the followed epoch and connected, or -1.
  int ActiveNode() const;
  size_t node_count() const { return nodes_.size(); }
  bool NodeConnected(size_t node) const { return nodes_[node].connected; }
  // Connected and active in the followed epoch.
  bool NodeActive(size_t node) const {
    return epoch_ != 0 && nodes_[node].connected && nodes_[node].active_epoch == epoch_;
  }
  uint64_t epoch() const { return epoch_; }
  uint64_t last_seq() const { return last_seq_; }
  const PairCounters& counters() const { return counters_; }

 private:
  struct NodeState {
    bool connected = false;
    // Epoch in which the node last showed itself active (a batch, an EpochChange, a
    // heartbeat saying so); 0 when it is standby, unknown or disconnected.
    uint64_t active_epoch = 0;
  };
  // Moves to `epoch` (higher than the current). `seq_known`: its seq starts at 1 and
  // nothing of it has been seen (an EpochChange); otherwise the first batch seen sets
  // the position without counting a hole before it.
  void Advance(uint64_t epoch, bool seq_known);

  const std::string name_;
  std::vector<NodeState> nodes_;
  uint64_t epoch_ = 0;
  uint64_t last_seq_ = 0;
  // Whether last_seq_ is a real position in epoch_ (holes after it count as gaps).
  bool positioned_ = false;
  PairCounters counters_;
};

}  // namespace firehose::relay

#endif  // FIREHOSE_RELAY_PAIR_FOLLOWER_H_
