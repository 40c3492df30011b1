// Wall-clock time from the CPU's time-stamp counter, for receive timestamps.
//
// Reading the clock once per burst must cost nanoseconds and never enter the kernel, so
// the clock is calibrated once at start-up (CLOCK_REALTIME and the TSC read together)
// and afterwards only the TSC is read.
#ifndef FIREHOSE_NODE_DATAPLANE_TSC_CLOCK_H_
#define FIREHOSE_NODE_DATAPLANE_TSC_CLOCK_H_

#include <rte_cycles.h>

#include <cstdint>
#include <ctime>

namespace firehose::dataplane {

class TscClock {
 public:
  // Call after rte_eal_init(), which measures the TSC frequency.
  TscClock() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    base_tsc_ = rte_get_tsc_cycles();
    base_unix_nanos_ = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    nanos_per_cycle_ = 1e9 / static_cast<double>(rte_get_tsc_hz());
  }

  int64_t NowUnixNanos() const {
    const uint64_t cycles = rte_get_tsc_cycles() - base_tsc_;
    return base_unix_nanos_ + static_cast<int64_t>(static_cast<double>(cycles) * nanos_per_cycle_);
  }

 private:
  uint64_t base_tsc_;
  int64_t base_unix_nanos_;
  double nanos_per_cycle_;
};

}  // namespace firehose::dataplane

#endif  // FIREHOSE_NODE_DATAPLANE_TSC_CLOCK_H_
