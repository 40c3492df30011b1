// Protobuf arenas whose blocks come from a pool of fixed-size blocks, for the messages
// that live as long as a published batch (a filtered stream's parse, a relayed batch).
//
// Why: such a message takes ~400 KB per 4096-record batch. One is made per batch, on
// whichever gRPC stream thread parses it first, and freed by whichever thread lets go of
// the batch last (usually the one that evicts it from the replay ring). With blocks from
// malloc (4 KiB doubling to 64 KiB) every thread's malloc arena kept a share of those
// frees, and with 8 filtered subscribers ingestd's RSS rose by ~18 MiB a minute and was
// still rising after 150 s. Blocks of one size from one pool are reused exactly,
// whatever thread frees them, so that churn never reaches malloc.
#ifndef FIREHOSE_NODE_EXPORT_POOLED_ARENA_H_
#define FIREHOSE_NODE_EXPORT_POOLED_ARENA_H_

#include <cstddef>

#include "google/protobuf/arena.h"
#include "node/export/block_buffer.h"

namespace firehose::exporter {

// Every block of a pooled arena is this size, except one made for a single allocation
// that does not fit, which comes from the heap. A parsed 4096-record batch's largest
// allocation is 64 KiB (a varint column of 64-bit values, grown by doubling as it is
// read), so every block of such a batch is the pool's; columns of batches over ~8000
// records may take a heap block of their own. At this size glibc serves a new block
// with mmap, so blocks never interleave with the heap's small allocations.
inline constexpr size_t kArenaBlockBytes = 128 << 10;

// The process's pool of kArenaBlockBytes blocks: at most 128 idle (16 MiB) once the
// batches that held them are gone. Never destroyed (arenas may outlive static
// destruction on gRPC threads at exit).
BlockPool& ArenaBlockPool();

// Options for a google::protobuf::Arena drawing its blocks from ArenaBlockPool().
google::protobuf::ArenaOptions PooledArenaOptions();

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_POOLED_ARENA_H_
