// A bounded single-producer/single-consumer ring of pointers: the lock-free hand-off
// between a worker lcore (producer) and the export thread (consumer).
//
// Modelled on folly's ProducerConsumerQueue: the producer owns `tail_`, the consumer
// owns `head_`; each publishes its index with a release store and reads the other's
// with an acquire load, so an element is fully written before the consumer can see it.
// The indices sit on separate cache lines so the two threads never share a line they
// write. Capacity is a power of two; indices run freely and are masked on use.
#ifndef FIREHOSE_NODE_BATCH_SPSC_RING_H_
#define FIREHOSE_NODE_BATCH_SPSC_RING_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace firehose::batch {

inline constexpr size_t kCacheLine = 64;

template <typename T>
class SpscRing {
 public:
  // `capacity` must be a power of two >= 2.
  explicit SpscRing(uint32_t capacity)
      : mask_(capacity - 1), slots_(std::make_unique<T*[]>(capacity)) {}

  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  static bool ValidCapacity(uint32_t capacity) {
    return capacity >= 2 && (capacity & (capacity - 1)) == 0;
  }

  // Producer only. Returns false, leaving the ring unchanged, when it is full.
  bool TryPush(T* item) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - cached_head_ > mask_) {
      cached_head_ = head_.load(std::memory_order_acquire);
      if (tail - cached_head_ > mask_) return false;
    }
    slots_[tail & mask_] = item;
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer only. Returns nullptr when the ring is empty.
  T* TryPop() {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head == cached_tail_) {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (head == cached_tail_) return nullptr;
    }
    T* item = slots_[head & mask_];
    head_.store(head + 1, std::memory_order_release);
    return item;
  }

  // Any thread; a snapshot that may be stale by the time it is used.
  uint32_t SizeApprox() const {
    return static_cast<uint32_t>(tail_.load(std::memory_order_acquire) -
                                 head_.load(std::memory_order_acquire));
  }
  uint32_t capacity() const { return mask_ + 1; }

 private:
  const uint64_t mask_;
  const std::unique_ptr<T*[]> slots_;
  // Consumer's line: its index and its cached view of the producer's.
  alignas(kCacheLine) std::atomic<uint64_t> head_{0};
  uint64_t cached_tail_ = 0;
  // Producer's line.
  alignas(kCacheLine) std::atomic<uint64_t> tail_{0};
  uint64_t cached_head_ = 0;
  char padding_[kCacheLine - sizeof(uint64_t) * 2];
};

}  // namespace firehose::batch

#endif  // FIREHOSE_NODE_BATCH_SPSC_RING_H_
