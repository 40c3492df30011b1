// The standalone node's epoch, persisted across restarts.
//
// Without election a node is its own authority for the epoch. Each start takes the
// stored value plus one and stores it back before serving, so the batches of a
// restarted node never reuse an (epoch, seq) pair of its previous run: a subscriber
// resuming "after (epoch, seq)" from the old run is recognised as such and continues
// with the new epoch from its first batch (ingest.proto, StartPosition FROM_AFTER).
#ifndef FIREHOSE_NODE_EXPORT_EPOCH_FILE_H_
#define FIREHOSE_NODE_EXPORT_EPOCH_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace firehose::exporter {

// Reads the epoch stored at `path` (a missing file counts as 0), stores the next one
// (write to a temporary file, fsync, rename: never a torn value) and returns it.
absl::StatusOr<uint64_t> AdvanceEpochFile(const std::string& path);

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_EPOCH_FILE_H_
