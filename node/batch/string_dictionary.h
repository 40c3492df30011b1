// A per-batch string dictionary: maps each distinct string to a small index, storing its
// bytes once in a fixed arena. Everything is allocated up front; Clear() is O(1) (a
// generation bump), so a batch can be reused millions of times without touching the
// allocator. Index 0 is always the empty string, matching Batch.strings[0] == "".
#ifndef FIREHOSE_NODE_BATCH_STRING_DICTIONARY_H_
#define FIREHOSE_NODE_BATCH_STRING_DICTIONARY_H_

#include <cstdint>
#include <memory>
#include <string_view>

namespace firehose::batch {

class StringDictionary {
 public:
  static constexpr uint32_t kNotAdded = UINT32_MAX;

  // Holds up to `max_strings` strings (including the empty one) of `max_bytes` total.
  StringDictionary(uint32_t max_strings, uint32_t max_bytes);

  StringDictionary(const StringDictionary&) = delete;
  StringDictionary& operator=(const StringDictionary&) = delete;

  // Returns the index of `s`, adding it if new; kNotAdded when it is new and does not
  // fit (the caller then flushes the batch and retries on an empty one).
  uint32_t Intern(std::string_view s);

  // Bytes a new string of length `len` would take (for callers that pre-check room).
  bool HasRoomFor(uint32_t len) const {
    return size_ < max_strings_ && bytes_used_ + len <= max_bytes_;
  }

  std::string_view Get(uint32_t index) const {
    return std::string_view(arena_.get() + offsets_[index], lengths_[index]);
  }
  uint32_t size() const { return size_; }
  uint32_t bytes_used() const { return bytes_used_; }
  uint32_t max_bytes() const { return max_bytes_; }

  void Clear();

 private:
  struct Slot {
    uint32_t generation;
    uint32_t hash;
    uint32_t index;
  };

  const uint32_t max_strings_;
  const uint32_t max_bytes_;
  const uint32_t slot_mask_;
  std::unique_ptr<char[]> arena_;
  std::unique_ptr<uint32_t[]> offsets_;
  std::unique_ptr<uint32_t[]> lengths_;
  std::unique_ptr<Slot[]> slots_;
  uint32_t generation_ = 1;
  uint32_t size_ = 0;
  uint32_t bytes_used_ = 0;
};

}  // namespace firehose::batch

#endif  // FIREHOSE_NODE_BATCH_STRING_DICTIONARY_H_
