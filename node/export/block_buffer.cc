// Fixed-size block pools and the buffers made of their blocks; see the header.
#include "node/export/block_buffer.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace firehose::exporter {

BlockPool::BlockPool(size_t block_bytes, size_t max_idle)
    : block_bytes_(block_bytes), max_idle_(max_idle) {
  // Reserved whole so that Give never allocates (and never under the lock).
  idle_.reserve(max_idle_);
}

BlockPool::~BlockPool() {
  for (char* block : idle_) delete[] block;
}

BlockPool& BlockPool::Default() {
  static BlockPool* const pool = new BlockPool(kBlockBytes, 1024);
  return *pool;
}

char* BlockPool::Take() {
  char* block;
  Take(1, &block);
  return block;
}

void BlockPool::Give(char* block) { Give(&block, 1); }

void BlockPool::Take(size_t count, char** out) {
  size_t taken = 0;
  {
    absl::MutexLock lock(&mu_);
    in_use_ += count;
    while (taken < count && !idle_.empty()) {
      out[taken++] = idle_.back();
      idle_.pop_back();
    }
    allocated_ += count - taken;
  }
  for (; taken < count; ++taken) out[taken] = new char[block_bytes_];
}

void BlockPool::Give(char* const* blocks, size_t count) {
  size_t kept = 0;
  {
    absl::MutexLock lock(&mu_);
    in_use_ -= count;
    while (kept < count && idle_.size() < max_idle_) idle_.push_back(blocks[kept++]);
    freed_ += count - kept;
  }
  for (; kept < count; ++kept) delete[] blocks[kept];
}

BlockPoolStats BlockPool::stats() const {
  absl::MutexLock lock(&mu_);
  BlockPoolStats s;
  s.block_bytes = block_bytes_;
  s.in_use = in_use_;
  s.idle = idle_.size();
  s.allocated = allocated_;
  s.freed = freed_;
  return s;
}

BlockBuffer::~BlockBuffer() { Release(); }

BlockBuffer::BlockBuffer(BlockBuffer&& other) noexcept
    : pool_(other.pool_), blocks_(std::move(other.blocks_)), size_(other.size_) {
  other.blocks_.clear();
  other.size_ = 0;
}

BlockBuffer& BlockBuffer::operator=(BlockBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = other.pool_;
    blocks_ = std::move(other.blocks_);
    size_ = other.size_;
    other.blocks_.clear();
    other.size_ = 0;
  }
  return *this;
}

void BlockBuffer::Release() {
  if (!blocks_.empty()) pool_->Give(blocks_.data(), blocks_.size());
  blocks_.clear();
  size_ = 0;
}

BlockBuffer BlockBuffer::CopyOf(std::string_view bytes, BlockPool& pool) {
  return CopyOfPieces({bytes}, pool);
}

BlockBuffer BlockBuffer::CopyOfPieces(absl::Span<const std::string_view> pieces, BlockPool& pool) {
  BlockBuffer buffer;
  buffer.pool_ = &pool;
  for (std::string_view piece : pieces) buffer.size_ += piece.size();
  const size_t block_bytes = pool.block_bytes();
  buffer.blocks_.resize((buffer.size_ + block_bytes - 1) / block_bytes);
  pool.Take(buffer.blocks_.size(), buffer.blocks_.data());
  size_t filled = 0;  // bytes written so far; block filled / block_bytes is next
  for (std::string_view piece : pieces) {
    while (!piece.empty()) {
      const size_t offset = filled % block_bytes;
      const size_t n = std::min(piece.size(), block_bytes - offset);
      std::memcpy(buffer.blocks_[filled / block_bytes] + offset, piece.data(), n);
      piece.remove_prefix(n);
      filled += n;
    }
  }
  return buffer;
}

std::string BlockBuffer::Flatten() const {
  std::string out;
  FlattenInto(&out);
  return out;
}

void BlockBuffer::FlattenInto(std::string* out) const {
  out->clear();
  out->reserve(size_);
  for (size_t i = 0; i < blocks_.size(); ++i) out->append(block(i));
}

bool BlockInputStream::Next(const void** data, int* size) {
  while (block_ < buffer_.block_count() && offset_ == buffer_.block(block_).size()) {
    ++block_;
    offset_ = 0;
  }
  if (block_ == buffer_.block_count()) return false;
  const std::string_view block = buffer_.block(block_);
  *data = block.data() + offset_;
  *size = static_cast<int>(block.size() - offset_);
  position_ += *size;
  offset_ = block.size();
  return true;
}

void BlockInputStream::BackUp(int count) {
  // Protobuf backs up only into what the last Next returned, i.e. within this block.
  offset_ -= static_cast<size_t>(count);
  position_ -= count;
}

bool BlockInputStream::Skip(int count) {
  while (count > 0) {
    const void* data;
    int size;
    if (!Next(&data, &size)) return false;
    if (size > count) {
      BackUp(size - count);
      return true;
    }
    count -= size;
  }
  return true;
}

}  // namespace firehose::exporter
