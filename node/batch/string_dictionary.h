// A per-batch string dictionary: maps each distinct string to a small index, storing its
// bytes once in a fixed arena. Everything is allocated up front; Clear() is O(1) (a
// generation bump), so a batch can be reused millions of times without touching the
// allocator. Index 0 is always the empty string, matching Batch.strings[0] == "".
#ifndef FIREHOSE_NODE_BATCH_STRING_DICTIONARY_H_
#define FIREHOSE_NODE_BATCH_STRING_DICTIONARY_H_

#include <nmmintrin.h>  // SSE4.2 crc32: the build targets corei7 (see .bazelrc)

#ifndef __SSE4_2__
#error "string_dictionary.h hashes with SSE4.2 crc32: build with -march=corei7 (see .bazelrc)"
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace firehose::batch {

// The open-addressing index a worker's dictionaries share. A worker cycles through a
// pool of batch builders; if each had its own index, every batch would start on a
// table that had gone cold in cache while the other builders were in use. One table per
// worker stays warm, and generation stamps keep the batches apart: a slot stamped by
// an earlier batch reads as empty. Only the worker thread may touch it.
class ProbeTable {
 public:
  // Sized for dictionaries of up to `max_strings` strings.
  explicit ProbeTable(uint32_t max_strings);
  ProbeTable(const ProbeTable&) = delete;
  ProbeTable& operator=(const ProbeTable&) = delete;

 private:
  friend class StringDictionary;
  // 32 bytes, aligned, so a slot never straddles a cache line. A slot carries the
  // string's first 16 bytes and where the rest lies, so a hit reads this one line for a
  // key of up to 16 bytes (most tags) and this line plus the arena for a longer one,
  // never the entry array. The table is sparse (at most half full, a few percent in a
  // typical batch), so each live slot costs one line whatever the slot size.
  struct alignas(32) Slot {
    uint64_t head[2];  // the first 16 bytes, zero-padded
    // hash | generation << 32 | index << 48: hash and stamp compare in one step.
    uint64_t tag;
    uint32_t length;
    uint32_t offset;  // of the bytes in the dictionary's arena
  };
  // A stamp no slot of this table carries yet; wipes the table when stamps wrap.
  uint16_t NextGeneration();

  const uint32_t slot_mask_;
  std::unique_ptr<Slot[]> slots_;
  uint16_t generation_ = 0;
};

class StringDictionary {
 public:
  static constexpr uint32_t kNotAdded = UINT32_MAX;
  // Indexes are 16 bits in the probe table.
  static constexpr uint32_t kMaxStrings = UINT16_MAX;

  // Holds up to `max_strings` strings (including the empty one; at most kMaxStrings)
  // of `max_bytes` total. `table` is the worker's shared index (sized for at least
  // `max_strings`); when null the dictionary owns one.
  StringDictionary(uint32_t max_strings, uint32_t max_bytes, ProbeTable* table = nullptr);

  StringDictionary(const StringDictionary&) = delete;
  StringDictionary& operator=(const StringDictionary&) = delete;

  // Returns the index of `s`, adding it if new; kNotAdded when it is new and does not
  // fit (the caller then flushes the batch and retries on an empty one). Reads no byte
  // outside `s`. The empty-string test is here so the statsd path's many empty fields
  // (set member, container id) cost no call.
  uint32_t Intern(std::string_view s) { return s.empty() ? 0 : InternNonEmpty(s); }

  // Bytes a new string of length `len` would take (for callers that pre-check room).
  bool HasRoomFor(uint32_t len) const {
    return size_ < max_strings_ && bytes_used_ + len <= max_bytes_;
  }

  std::string_view Get(uint32_t index) const {
    return std::string_view(arena_.get() + entries_[index].offset, entries_[index].length);
  }
  uint32_t size() const { return size_; }
  uint32_t bytes_used() const { return bytes_used_; }
  uint32_t max_bytes() const { return max_bytes_; }

  // Empties the dictionary. Only the thread that interns may call it (it takes a new
  // stamp from the shared table).
  void Clear();

  // For tests and benchmarks: how many slots a lookup of `s` examines before it finds
  // `s` or an empty slot (1 = its home slot). Shows whether the hash spreads a name
  // population well enough for linear probing.
  uint32_t ProbeLength(std::string_view s) const;

 private:
  uint32_t InternNonEmpty(std::string_view s);
  // The rest of a lookup after a miss in the home slot `pos`, adding `s` if new; `want`
  // is its hash and stamp as Slot::tag holds them.
  [[gnu::noinline]] uint32_t Probe(uint32_t pos, uint64_t want, std::string_view s);

  const uint32_t max_strings_;
  const uint32_t max_bytes_;
  std::unique_ptr<ProbeTable> owned_table_;
  ProbeTable* const table_;
  std::unique_ptr<char[]> arena_;
  // Where each string's bytes sit in arena_, for Get() (the export thread); interning
  // reads the probe table only.
  struct Entry {
    uint32_t offset;
    uint32_t length;
  };
  std::unique_ptr<Entry[]> entries_;
  uint16_t generation_ = 0;
  uint32_t size_ = 0;
  uint32_t bytes_used_ = 0;
};

// Inline below: the worker calls Intern about ten times per statsd packet, and a call
// costs a tenth of a lookup (callgrind, worker_path_benchmark).
namespace dictionary_internal {

// Whether a slot's tag carries this hash and stamp: its index (top 16 bits) shifted out,
// which needs no 64-bit mask constant in a register.
inline bool SameHashAndStamp(uint64_t tag, uint64_t want) { return ((tag ^ want) << 16) == 0; }

inline uint64_t Load8(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

inline uint64_t Load4(const char* p) {
  uint32_t word;
  std::memcpy(&word, p, 4);
  return word;
}

// A key's first 16 bytes, zero-padded, read without touching a byte past its end (a
// string may end at the end of a receive buffer): short keys are read as two
// overlapping words and the overlap shifted out, so there is no byte loop.
struct Head {
  uint64_t w0;
  uint64_t w1;
};

inline Head LoadHead(const char* p, size_t n) {
  if (n >= 16) return {Load8(p), Load8(p + 8)};
  if (n > 8) return {Load8(p), Load8(p + n - 8) >> (8 * (16 - n))};
  if (n >= 4) {
    const uint64_t low = Load4(p);
    const uint64_t high = Load4(p + n - 4);  // overlaps low by 8 - n bytes (equal ones)
    return {low | (high << (8 * (n - 4))), 0};
  }
  // 1 to 3 bytes: first, middle and last cover them all.
  const uint64_t b0 = static_cast<uint8_t>(p[0]);
  const uint64_t b1 = static_cast<uint8_t>(p[n >> 1]);
  const uint64_t b2 = static_cast<uint8_t>(p[n - 1]);
  return {b0 | (b1 << (8 * (n >> 1))) | (b2 << (8 * (n - 1))), 0};
}

// CRC32-C of the key, eight bytes a step (one instruction each; the multiply-fold hash
// it replaces took four). The length seeds it, so zero padding cannot make "a" and
// "a\0" collide. Beyond 16 bytes the last word overlaps the one before rather than being
// copied byte by byte. Not cryptographic: a dictionary lives for one batch and a
// pathological batch costs longer probes, never correctness.
inline uint32_t HashKey(const Head& head, const char* p, size_t n) {
  uint64_t h = _mm_crc32_u64(n, head.w0);
  h = _mm_crc32_u64(h, head.w1);
  if (n > 16) {
    for (size_t i = 16; i + 8 < n; i += 8) h = _mm_crc32_u64(h, Load8(p + i));
    h = _mm_crc32_u64(h, Load8(p + n - 8));
  }
  return static_cast<uint32_t>(h);
}

// Bytes 16.. of two n-byte strings (n > 16) whose first 16 bytes are known equal: whole
// words, the last one overlapping, all within both strings.
inline bool TailEqual(const char* a, const char* b, size_t n) {
  for (size_t i = 16; i + 8 < n; i += 8) {
    if (Load8(a + i) != Load8(b + i)) return false;
  }
  return Load8(a + n - 8) == Load8(b + n - 8);
}

}  // namespace dictionary_internal

// The hit in the home slot, which is nearly every lookup in a sparse table, is
// decided here; everything else (a slot taken by another string, an empty slot) goes
// to Probe(), out of line, so the code inlined at each call site stays small and
// needs no callee-saved registers.
inline uint32_t StringDictionary::InternNonEmpty(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  const dictionary_internal::Head head = dictionary_internal::LoadHead(p, n);
  const uint32_t hash = dictionary_internal::HashKey(head, p, n);
  const uint64_t want = hash | uint64_t{generation_} << 32;
  const uint32_t pos = hash & table_->slot_mask_;
  const ProbeTable::Slot& slot = table_->slots_[pos];
  if (dictionary_internal::SameHashAndStamp(slot.tag, want) && slot.length == n &&
      slot.head[0] == head.w0 && slot.head[1] == head.w1 &&
      (n <= 16 || dictionary_internal::TailEqual(arena_.get() + slot.offset, p, n))) {
    return static_cast<uint32_t>(slot.tag >> 48);
  }
  return Probe(pos, want, s);
}

}  // namespace firehose::batch

#endif  // FIREHOSE_NODE_BATCH_STRING_DICTIONARY_H_
