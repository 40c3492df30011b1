// BlockBuffer: the wire bytes of one published batch, held in fixed-size blocks taken from
// process-wide pools, so that the replay ring's churn (a new batch allocated, the oldest
// freed, ~580 of them alive in a 64 MiB ring) never hands glibc a buffer of a new size.
//
// Why: each encoded batch used to be one std::string of its own size (~116 KB for a
// 4096-record statsd batch, a few KB more or less every time). Freed oldest first while
// new ones of other sizes were allocated, they fragmented glibc's heap: the 60 s memory
// soak showed RSS +550 and +750 KiB, and -63 KiB with a 2.4 MiB min-max wobble on another
// day. Tried and not kept: size-class rounding, powers of two, a best-fit buffer pool,
// and a 64 KiB mmap threshold (flat, but +50..90 us per batch of page faults and zeroing
// on the export thread). Blocks of one size make every freed block fit the next batch;
// docs/benchmarks.md ("Export: encoded batches in fixed-size blocks") has the figures.
//
// Two block sizes, each its own pool: kBlockBytes for the body of a batch and, for a tail
// of at most kTailBytes, kSmallBlockBytes blocks, so that a small batch (a quiet node
// flushing a few records every millisecond) holds ~1 KiB and not a whole 16 KiB block,
// which would cut how many batches the replay ring keeps by an order of magnitude.
//
// Threads: blocks are taken on the export thread and given back on whichever thread
// drops the last holder of the batch (export thread at eviction, gRPC threads when a
// slice is released); each pool's free list is behind a mutex, never touched by the
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
#include "google/protobuf/io/zero_copy_stream.h"

namespace firehose::exporter {

// 16 KiB: HTTP/2's default frame payload, so each block is about one DATA frame; a full
// statsd batch is 8 blocks (see docs/benchmarks.md for 16 vs 32 KiB).
inline constexpr size_t kBlockBytes = 16 << 10;
inline constexpr size_t kSmallBlockBytes = 1 << 10;
// A tail up to this long goes into small blocks (at most 8 of them), a longer one into a
// block of kBlockBytes: what a batch holds beyond its size is under 8 KiB either way.
inline constexpr size_t kTailBytes = 8 * kSmallBlockBytes;

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

  // kBlockBytes blocks, at most 256 idle (4 MiB); kSmallBlockBytes, at most 2048 idle
  // (2 MiB). Never destroyed, so gRPC threads may release slices during exit.
  static BlockPool& Large();
  static BlockPool& Small();

  size_t block_bytes() const { return block_bytes_; }
  char* Take() ABSL_LOCKS_EXCLUDED(mu_);
  void Give(char* block) ABSL_LOCKS_EXCLUDED(mu_);
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

// Bytes in a sequence of pool blocks, each full but the last of each size. Move-only;
// the blocks go back to their pools when it is destroyed.
class BlockBuffer {
 public:
  BlockBuffer() = default;
  ~BlockBuffer();
  BlockBuffer(BlockBuffer&& other) noexcept;
  BlockBuffer& operator=(BlockBuffer&& other) noexcept;
  BlockBuffer(const BlockBuffer&) = delete;
  BlockBuffer& operator=(const BlockBuffer&) = delete;

  // A copy of `bytes`: kBlockBytes blocks from `large` while more than kTailBytes
  // remain, then kSmallBlockBytes blocks from `small` (pools of other sizes work too).
  static BlockBuffer CopyOf(std::string_view bytes, BlockPool& large = BlockPool::Large(),
                            BlockPool& small = BlockPool::Small());

  size_t size() const { return size_; }
  size_t block_count() const { return blocks_.size(); }
  // The bytes of block `i`, in order (what a gRPC slice or a parser reads).
  std::string_view block(size_t i) const { return {blocks_[i].data, blocks_[i].used}; }
  // The memory the blocks take: what the replay ring charges.
  size_t held_bytes() const { return held_; }
  // All the bytes in one string (tests, and anything that wants them contiguous).
  std::string Flatten() const;

 private:
  struct Block {
    char* data;
    uint32_t used;
    BlockPool* pool;
  };
  void Release();

  // A full statsd batch is 8 large blocks plus a small tail: no allocation for the list.
  absl::InlinedVector<Block, 12> blocks_;
  size_t size_ = 0;
  size_t held_ = 0;
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
