// The daemons' abseil Mutex setting; see the header.
#include "node/common/mutex_checks.h"

#include "absl/synchronization/mutex.h"

namespace firehose {

void DisableMutexDeadlockGraph() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace firehose
