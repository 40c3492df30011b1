// TuneHeapForExport: freed memory at the heap's top stays with the process instead of
// going back to the kernel, which is what saves filtered subscribers' page faults.
#include "node/export/heap_tuning.h"

#include <malloc.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"

namespace firehose::exporter {
namespace {

// Allocates 4 MiB in 64 KiB chunks (below the mmap threshold, so from the heap),
// touches them, frees them all, and returns how much free memory the heap's top chunk
// then holds (mallinfo2().keepcost: what a trim could give back).
size_t KeptAfterFreeingFourMiB() {
  std::vector<char*> chunks;
  for (int i = 0; i < 64; ++i) {
    char* chunk = static_cast<char*>(malloc(64 << 10));
    std::memset(chunk, 1, 64 << 10);
    chunks.push_back(chunk);
  }
  for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) free(*it);
  return mallinfo2().keepcost;
}

TEST(HeapTuningTest, FreedTopOfHeapIsKeptOnlyAfterTuning) {
  // glibc's default trims the top back under its 128 KiB threshold on free.
  EXPECT_LT(KeptAfterFreeingFourMiB(), size_t{1} << 20);
  ASSERT_TRUE(TuneHeapForExport());
  // Not all 4 MiB: some chunks reuse free space below the top that the first round left.
  EXPECT_GE(KeptAfterFreeingFourMiB(), size_t{2} << 20);
}

}  // namespace
}  // namespace firehose::exporter
