// Heap settings for a process that exports batches: glibc keeps freed memory at the top
// of its heap instead of handing it back to the kernel after every batch.
//
// Why: a filtered subscriber parses each batch into a message on its own protobuf
// arena (~400 KB in 4-64 KiB blocks), and the arena is freed when the batch leaves the
// replay ring or the last stream. With glibc's default trim threshold (128 KiB) each
// such free at the heap's top shrank the heap (brk) and the next parse grew it again,
// page fault by page fault. A filtered parse alone (block_buffer_benchmark) took 376 us
// with the default and 174 us with the top kept; in the real export path the slowest of
// 4 filtered subscribers went from 1.64 M records/s (1.59-1.66 M) to 1.78 M
// (1.77-1.79 M), and the export thread from 118 to 113 us per batch
// (subscribe_benchmark --filtered --subscribers=4 --batches=600, 3 interleaved runs).
// The memory kept is bounded by kTrimThresholdBytes per malloc arena, so the number of
// arenas is capped too: glibc gives each new thread its own arena (up to 8 per core),
// every gRPC stream is a thread, and with 8 filtered subscribers each arena kept its
// own share of freed memory: RSS rose by ~3 MiB a minute even with the parsed batches'
// blocks pooled (node/export/pooled_arena.h), and stayed flat with two arenas. What
// still mallocs per batch off the workers (gRPC's frames, filter scratch that has
// reached its size) is a few calls per stream, too few to contend on two arenas; the
// worker lcores do not allocate at all.
#ifndef FIREHOSE_NODE_EXPORT_HEAP_TUNING_H_
#define FIREHOSE_NODE_EXPORT_HEAP_TUNING_H_

#include <cstddef>

namespace firehose::exporter {

// Free memory at the top of the heap that glibc may keep rather than give back. Setting
// it also fixes glibc's mmap threshold at its 128 KiB default, which this code's large
// buffers (scratch, columns) are allocated once and do not mind.
inline constexpr size_t kTrimThresholdBytes = 16 << 20;

// malloc arenas for the whole process (glibc's M_ARENA_MAX); the main one included.
inline constexpr int kMallocArenas = 2;

// Applies the settings above; call once, first thing in main(), before any thread
// starts. False if glibc refused either (the process then runs with the defaults:
// slower for filtered subscribers, and its RSS may creep while they are connected).
bool TuneHeapForExport();

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_HEAP_TUNING_H_
