// TuneHeapForExport: freed memory at the heap's top stays with the process instead of
// going back to the kernel, which is what saves filtered subscribers' page faults, and
// threads share at most kMallocArenas malloc arenas, which bounds what is kept.
#include "node/export/heap_tuning.h"

#include <malloc.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/barrier.h"
#include "absl/synchronization/notification.h"
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

// How many malloc arenas glibc has made so far: malloc_info lists one <heap> each.
int MallocArenas() {
  char* text = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&text, &size);
  malloc_info(0, out);
  fclose(out);
  const std::string info(text, size);
  free(text);
  int heaps = 0;
  for (size_t at = info.find("<heap nr="); at != std::string::npos;
       at = info.find("<heap nr=", at + 1)) {
    ++heaps;
  }
  return heaps;
}

TEST(HeapTuningTest, ThreadsShareAtMostTheCappedArenas) {
  ASSERT_TRUE(TuneHeapForExport());
  // Eight threads each holding an allocation at the same moment: untuned, glibc gives
  // each new thread its own arena (up to 8 per core, so 9 here); tuned, they share
  // kMallocArenas.
  constexpr int kThreads = 8;
  absl::Barrier allocated(kThreads + 1);
  absl::Notification counted;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&allocated, &counted] {
      void* held = malloc(1024);
      std::memset(held, 1, 1024);
      allocated.Block();
      counted.WaitForNotification();
      free(held);
    });
  }
  allocated.Block();
  const int arenas = MallocArenas();
  counted.Notify();
  for (std::thread& t : threads) t.join();
  EXPECT_GE(arenas, 1);
  EXPECT_LE(arenas, kMallocArenas);
}

}  // namespace
}  // namespace firehose::exporter
