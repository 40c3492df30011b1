// Small helpers the benchmark tools share for timing samples: a clock read in
// nanoseconds and the nearest-rank percentile of a set of samples.
#ifndef FIREHOSE_TOOLS_BENCH_SAMPLE_STATS_H_
#define FIREHOSE_TOOLS_BENCH_SAMPLE_STATS_H_

#include <time.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace firehose::bench {

// `clock` (CLOCK_REALTIME, CLOCK_MONOTONIC, ...) in nanoseconds.
inline int64_t ClockNanos(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The sample at rank p (0..1) of `values`, 0 for none; reorders `values`.
inline double Percentile(std::vector<int64_t>& values, double p) {
  if (values.empty()) return 0;
  const size_t k =
      std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return static_cast<double>(values[k]);
}

}  // namespace firehose::bench

#endif  // FIREHOSE_TOOLS_BENCH_SAMPLE_STATS_H_
