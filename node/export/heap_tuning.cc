// glibc heap settings for exporting processes; see the header.
#include "node/export/heap_tuning.h"

#include <malloc.h>

namespace firehose::exporter {

bool TuneHeapForExport() {
  const bool trim = mallopt(M_TRIM_THRESHOLD, static_cast<int>(kTrimThresholdBytes)) == 1;
  const bool arenas = mallopt(M_ARENA_MAX, kMallocArenas) == 1;
  return trim && arenas;
}

}  // namespace firehose::exporter
