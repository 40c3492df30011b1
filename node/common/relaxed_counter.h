// A counter written by exactly one thread and read by any: the data path's way of
// counting without locks or atomic read-modify-write instructions.
//
// The owning thread bumps it with a relaxed load + store (no LOCK prefix on x86), and
// readers (the metrics scrape, tests) see a value that is at most a few increments
// stale. Never bump one counter from two threads.
#ifndef FIREHOSE_NODE_COMMON_RELAXED_COUNTER_H_
#define FIREHOSE_NODE_COMMON_RELAXED_COUNTER_H_

#include <atomic>
#include <cstdint>

namespace firehose {

class RelaxedCounter {
 public:
  RelaxedCounter() = default;
  RelaxedCounter(const RelaxedCounter&) = delete;
  RelaxedCounter& operator=(const RelaxedCounter&) = delete;

  // Only the owning thread may call Add/Increment.
  void Add(uint64_t n) {
    value_.store(value_.load(std::memory_order_relaxed) + n,
                 std::memory_order_relaxed);
  }
  void Increment() { Add(1); }

  // Any thread may read.
  uint64_t Get() const { return value_.load(std::memory_order_relaxed); }

  // A gauge-style overwrite, also owner-only.
  void Set(uint64_t v) { value_.store(v, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace firehose

#endif  // FIREHOSE_NODE_COMMON_RELAXED_COUNTER_H_
