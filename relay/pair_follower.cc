// Epoch following and (epoch, seq) de-duplication for one pair; see the header.
#include "relay/pair_follower.h"

#include <utility>

namespace firehose::relay {

PairFollower::PairFollower(std::string name, size_t node_count)
    : name_(std::move(name)), nodes_(node_count) {}

void PairFollower::Advance(uint64_t epoch, bool seq_known) {
  // A relay that was following an epoch and moves on knows the new one starts at seq
  // 1, so anything it does not see of it from there is a hole; the very first epoch it
  // meets is joined wherever the stream happens to be.
  const bool had_epoch = epoch_ != 0;
  if (had_epoch) ++counters_.epoch_changes;
  epoch_ = epoch;
  last_seq_ = 0;
  positioned_ = seq_known || had_epoch;
}

Verdict PairFollower::OnBatch(size_t node, uint64_t epoch, uint64_t seq, uint64_t records) {
  NodeState& state = nodes_[node];
  state.connected = true;
  ++counters_.received_batches;
  counters_.received_records += records;
  if (epoch < epoch_) {
    ++counters_.stale_batches;
    counters_.stale_records += records;
    return Verdict::kStaleEpoch;
  }
  // Only the active node publishes: a batch says its node is active in that epoch.
  if (epoch > state.active_epoch) state.active_epoch = epoch;
  if (epoch > epoch_) Advance(epoch, /*seq_known=*/false);
  if (positioned_ && seq <= last_seq_) {
    ++counters_.duplicate_batches;
    counters_.duplicate_records += records;
    return Verdict::kDuplicate;
  }
  if (positioned_ && seq > last_seq_ + 1) {
    counters_.gap_batches += seq - last_seq_ - 1;
  }
  last_seq_ = seq;
  positioned_ = true;
  ++counters_.forwarded_batches;
  counters_.forwarded_records += records;
  return Verdict::kForward;
}

void PairFollower::OnNotice(size_t node, const v1::Notice& notice) {
  NodeState& state = nodes_[node];
  state.connected = true;
  if (notice.has_epoch_change()) {
    const v1::EpochChange& change = notice.epoch_change();
    if (change.role() == v1::EpochChange::ROLE_STANDBY) {
      state.active_epoch = 0;
      return;
    }
    // Nodes only change epoch when they become active in it.
    if (change.epoch() > state.active_epoch) state.active_epoch = change.epoch();
    if (change.epoch() > epoch_) Advance(change.epoch(), /*seq_known=*/true);
  } else if (notice.has_heartbeat()) {
    const v1::Heartbeat& heartbeat = notice.heartbeat();
    switch (heartbeat.role()) {
      case v1::EpochChange::ROLE_ACTIVE:
        state.active_epoch = heartbeat.epoch();
        // A quiet active node in a newer term than any batch shows: follow it. Its
        // last_published_seq may be ahead of the batches still on their way, so the
        // position is left to the first batch.
        if (heartbeat.epoch() > epoch_) Advance(heartbeat.epoch(), /*seq_known=*/false);
        break;
      case v1::EpochChange::ROLE_STANDBY:
        state.active_epoch = 0;
        break;
      default:
        // A node that does not say its role: what its batches showed still holds.
        break;
    }
  } else if (notice.has_gap()) {
    ++counters_.upstream_gap_notices;
    counters_.upstream_gap_records += notice.gap().records();
  }
}

void PairFollower::OnDisconnect(size_t node) { nodes_[node] = NodeState{}; }

int PairFollower::ActiveNode() const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (NodeActive(i)) return static_cast<int>(i);
  }
  return -1;
}

bool PairFollower::Ready() const { return ActiveNode() >= 0; }

}  // namespace firehose::relay
