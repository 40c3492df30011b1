// BlockBuffer: the wire bytes of one published batch, held in fixed-size blocks taken from
// a process-wide pool, so that the replay ring's churn (a new batch allocated, the oldest
// freed, ~580 of them alive in a 64 MiB ring) never hands glibc a buffer of a new size.
//
// Why: each encoded batch used to be one std::string of its own size (~116 KB for a
// 4096-record statsd batch, a few KB more or less every time). Freed oldest first while
// new ones of other sizes were allocated, they fragmented glibc's heap: the 60 s memory
// soak showed RSS +550 and +750 KiB, and -63 KiB with a 2.4 MiB min-max wobble on another
// day, -1.3..+2.9 MiB with up to 5 MiB of wobble in three more. Tried and not kept:
// size-class rounding, powers of two, a best-fit buffer pool, and a 64 KiB mmap
// threshold (flat, but +50..90 us per batch of page faults and zeroing on the export
// thread). Blocks of one size make every freed block fit the next batch: the soak now
// grows 0..+18 KiB with under 20 KiB of wobble, and the export thread's CPU per batch
// is unchanged once the ring is full (docs/benchmarks.md, "Export: encoded batches in
// fixed-size blocks").
//
// One block size, 4 KiB, one pool. A full statsd batch (116-160 KB) is 29-40 blocks and
// holds on average half a block (~1.5 %) more than its bytes; a tiny batch (a quiet
// node flushing a few records every millisecond) holds 4 KiB, so a 64 MiB ring still
// keeps 16,384 of them. Two sizes (16 KiB blocks with 1 KiB blocks for the tail) were
// tried and not kept: as batch sizes drifted, memory moved from one pool to the other
// while each kept its idle blocks, and the soak grew ~1 MiB (the pools' gauges showed
// it). With one size the blocks in use are the ring's budget, within one batch.
//
// Threads: blocks are taken on the export thread and given back on whichever thread
// drops the last holder of the batch (export thread at eviction, gRPC threads when a
// slice is released); the pool's free list is behind a mutex, never touched by the
// worker lcores.
#ifndef FIREHOSE_NODE_EXPORT_BLOCK_BUFFER_H_
#define FIREHOSE_NODE_EXPORT_BLOCK_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "google/protobuf/io/zero_copy_stream.h"

namespace firehose::exporter {

inline constexpr size_t kBlockBytes = 4 << 10;

struct BlockPoolStats {
  size_t block_bytes = 0;
  uint64_t in_use = 0;     // blocks held by buffers now
  uint64_t idle = 0;       // blocks on the free list
  uint64_t allocated = 0;  // blocks ever allocated (a steady node stops counting up)
  uint64_t freed = 0;      // blocks given back beyond the idle bound and freed
};

// Blocks of one size with a bounded free list. A block given back is kept for the next
// Take unless `max_idle` are already idle, in which case it is freed: after a burst (a
// new epoch empties the ring, a slow subscriber's queue is dropped) the pool keeps at
// most max_idle * block_bytes, not the burst's peak.
class BlockPool {
 public:
  BlockPool(size_t block_bytes, size_t max_idle);
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  // The process's kBlockBytes blocks, at most 1024 idle (4 MiB). Never destroyed, so
  // gRPC threads may release slices during exit.
  static BlockPool& Default();

  size_t block_bytes() const { return block_bytes_; }
  char* Take() ABSL_LOCKS_EXCLUDED(mu_);
  void Give(char* block) ABSL_LOCKS_EXCLUDED(mu_);
  // `count` blocks at once, under one lock (a full batch is ~30 blocks).
  void Take(size_t count, char** out) ABSL_LOCKS_EXCLUDED(mu_);
  void Give(char* const* blocks, size_t count) ABSL_LOCKS_EXCLUDED(mu_);
  BlockPoolStats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const size_t block_bytes_;
  const size_t max_idle_;
  mutable absl::Mutex mu_;
  std::vector<char*> idle_ ABSL_GUARDED_BY(mu_);  // capacity max_idle_ from the start
  uint64_t in_use_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t allocated_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t freed_ ABSL_GUARDED_BY(mu_) = 0;
};

// Bytes in a sequence of pool blocks, each full but the last. Move-only; the blocks go
// back to their pool when it is destroyed.
class BlockBuffer {
 public:
  BlockBuffer() = default;
  ~BlockBuffer();
  BlockBuffer(BlockBuffer&& other) noexcept;
  BlockBuffer& operator=(BlockBuffer&& other) noexcept;
  BlockBuffer(const BlockBuffer&) = delete;
  BlockBuffer& operator=(const BlockBuffer&) = delete;

  // A copy of `bytes` in blocks from `pool`.
  static BlockBuffer CopyOf(std::string_view bytes, BlockPool& pool = BlockPool::Default());
  // A copy of `pieces`, one after the other, as one byte sequence (a forwarded batch's
  // received slices followed by the forwarder's own fields).
  static BlockBuffer CopyOfPieces(absl::Span<const std::string_view> pieces,
                                  BlockPool& pool = BlockPool::Default());

  size_t size() const { return size_; }
  size_t block_count() const { return blocks_.size(); }
  // The bytes of block `i`, in order (what a gRPC slice or a parser reads).
  std::string_view block(size_t i) const {
    const size_t block_bytes = pool_->block_bytes();
    return {blocks_[i], i + 1 < blocks_.size() ? block_bytes : size_ - i * block_bytes};
  }
  // The memory the blocks take: what the replay ring charges.
  size_t held_bytes() const { return blocks_.empty() ? 0 : blocks_.size() * pool_->block_bytes(); }
  // All the bytes in one string (tests, and anything that wants them contiguous).
  std::string Flatten() const;
  // The same into `out`, replacing its contents and keeping its allocation.
  void FlattenInto(std::string* out) const;

 private:
  void Release();

  BlockPool* pool_ = nullptr;
  // Batches up to the default batch.max_bytes (256 KiB) list their blocks without an
  // allocation of their own.
  absl::InlinedVector<char*, 64> blocks_;
  size_t size_ = 0;
};

// Protobuf's view of a BlockBuffer: each block in turn, no copy (ParseFromZeroCopyStream).
class BlockInputStream final : public google::protobuf::io::ZeroCopyInputStream {
 public:
  explicit BlockInputStream(const BlockBuffer& buffer) : buffer_(buffer) {}
  bool Next(const void** data, int* size) override;
  void BackUp(int count) override;
  bool Skip(int count) override;
  int64_t ByteCount() const override { return position_; }

 private:
  const BlockBuffer& buffer_;
  size_t block_ = 0;   // the block being read
  size_t offset_ = 0;  // bytes of it consumed (handed out and not backed up)
  int64_t position_ = 0;
};

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_BLOCK_BUFFER_H_
