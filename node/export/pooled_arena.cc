// Protobuf arena blocks from a fixed-size block pool; see the header.
#include "node/export/pooled_arena.h"

#include <new>

namespace firehose::exporter {
namespace {

// Protobuf asks for blocks of kArenaBlockBytes (start and maximum size alike), or for
// one larger block when a single allocation needs it; it passes the same size back.
void* AllocateBlock(size_t size) {
  if (size == kArenaBlockBytes) return ArenaBlockPool().Take();
  return ::operator new(size);
}

void DeallocateBlock(void* block, size_t size) {
  if (size == kArenaBlockBytes) {
    ArenaBlockPool().Give(static_cast<char*>(block));
    return;
  }
  ::operator delete(block);
}

}  // namespace

BlockPool& ArenaBlockPool() {
  static BlockPool* const pool = new BlockPool(kArenaBlockBytes, 128);
  return *pool;
}

google::protobuf::ArenaOptions PooledArenaOptions() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = kArenaBlockBytes;
  options.max_block_size = kArenaBlockBytes;
  options.block_alloc = &AllocateBlock;
  options.block_dealloc = &DeallocateBlock;
  return options;
}

}  // namespace firehose::exporter
