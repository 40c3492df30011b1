// glibc heap settings for exporting processes; see the header.
#include "node/export/heap_tuning.h"

#include <malloc.h>

namespace firehose::exporter {

bool TuneHeapForExport() {
  return mallopt(M_TRIM_THRESHOLD, static_cast<int>(kTrimThresholdBytes)) == 1;
}

}  // namespace firehose::exporter
