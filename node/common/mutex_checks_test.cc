// DisableMutexDeadlockGraph: Debian's abseil really does check lock order (so the call
// changes something), and after the call it no longer does.
#include "node/common/mutex_checks.h"

#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace firehose {
namespace {

// Takes a then b, then b then a: an inverted lock order, which abseil's deadlock graph
// reports (and by default aborts on) when it is live. One thread, so nothing can hang.
void LockInBothOrders() {
  absl::Mutex a;
  absl::Mutex b;
  {
    absl::MutexLock first(&a);
    absl::MutexLock second(&b);
  }
  {
    absl::MutexLock first(&b);
    absl::MutexLock second(&a);
  }
}

TEST(MutexChecksDeathTest, DebianAbseilChecksLockOrderByDefault) {
  // If this fails, the abseil in use was built with NDEBUG and the graph is already off:
  // DisableMutexDeadlockGraph is then harmless but no longer needed.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kAbort);
  EXPECT_DEATH(LockInBothOrders(), "Potential Mutex deadlock");
}

TEST(MutexChecksDeathTest, DisabledGraphNoLongerChecks) {
  EXPECT_EXIT(
      {
        absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kAbort);
        DisableMutexDeadlockGraph();
        LockInBothOrders();
        std::exit(0);
      },
      testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace firehose
