// Open-addressing string dictionary with generation-stamped slots; see the header.
#include "node/batch/string_dictionary.h"

#include <nmmintrin.h>  // SSE4.2 crc32: the build targets corei7 (see .bazelrc)

#include <algorithm>
#include <bit>
#include <cstring>

namespace firehose::batch {
namespace {

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

}  // namespace

ProbeTable::ProbeTable(uint32_t max_strings)
    // At most half full keeps probe sequences short.
    : slot_mask_(std::bit_ceil(2 * std::clamp<uint32_t>(max_strings, 1,
                                                        StringDictionary::kMaxStrings)) -
                 1),
      slots_(std::make_unique<Slot[]>(slot_mask_ + 1)) {
  std::memset(slots_.get(), 0, sizeof(Slot) * (slot_mask_ + 1));
}

uint16_t ProbeTable::NextGeneration() {
  ++generation_;
  if (generation_ == 0) {  // 16-bit stamps wrap every 65536 batches: wipe once
    std::memset(slots_.get(), 0, sizeof(Slot) * (slot_mask_ + 1));
    generation_ = 1;
  }
  return generation_;
}

StringDictionary::StringDictionary(uint32_t max_strings, uint32_t max_bytes,
                                   ProbeTable* table)
    : max_strings_(std::clamp<uint32_t>(max_strings, 1, kMaxStrings)),
      max_bytes_(max_bytes),
      owned_table_(table == nullptr ? std::make_unique<ProbeTable>(max_strings_) : nullptr),
      table_(table == nullptr ? owned_table_.get() : table),
      arena_(std::make_unique<char[]>(max_bytes_ + 1)),
      entries_(std::make_unique<Entry[]>(max_strings_)) {
  Clear();
}

void StringDictionary::Clear() {
  generation_ = table_->NextGeneration();
  size_ = 1;  // index 0 is the empty string, never hashed
  entries_[0] = Entry{0, 0};
  bytes_used_ = 0;
}

// The hit in the home slot, which is nearly every lookup in a sparse table, is
// decided here; everything else (a slot taken by another string, an empty slot) goes
// to Probe(). Keeping this path short lets it run without saving registers.
uint32_t StringDictionary::InternNonEmpty(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  const Head head = LoadHead(p, n);
  const uint32_t hash = HashKey(head, p, n);
  const uint64_t want = hash | uint64_t{generation_} << 32;
  const uint32_t pos = hash & table_->slot_mask_;
  const ProbeTable::Slot& slot = table_->slots_[pos];
  if (SameHashAndStamp(slot.tag, want) && slot.length == n &&
      slot.head[0] == head.w0 && slot.head[1] == head.w1 &&
      (n <= 16 || TailEqual(arena_.get() + slot.offset, p, n))) {
    return static_cast<uint32_t>(slot.tag >> 48);
  }
  return Probe(pos, want, s);
}

// Out of line (see above); its memcpy call alone would make every lookup save and
// restore six registers (callgrind: 20 of 68 instructions). Restarts at the home slot
// `pos` and reloads the head, so its arguments fit in registers.
uint32_t StringDictionary::Probe(uint32_t pos, uint64_t want, std::string_view s) {
  const char* p = s.data();
  const uint32_t n = static_cast<uint32_t>(s.size());
  const Head head = LoadHead(p, n);
  const uint32_t mask = table_->slot_mask_;
  for (;; pos = (pos + 1) & mask) {
    ProbeTable::Slot& slot = table_->slots_[pos];
    if (SameHashAndStamp(slot.tag, want)) {
      if (slot.length == n && slot.head[0] == head.w0 && slot.head[1] == head.w1 &&
          (n <= 16 || TailEqual(arena_.get() + slot.offset, p, n))) {
        return static_cast<uint32_t>(slot.tag >> 48);
      }
    } else if (static_cast<uint16_t>(slot.tag >> 32) != generation_) {
      // An empty slot (stamped by an earlier batch): `s` is new.
      if (!HasRoomFor(n)) return kNotAdded;
      const uint32_t index = size_++;
      entries_[index] = Entry{bytes_used_, n};
      std::memcpy(arena_.get() + bytes_used_, p, n);
      slot.head[0] = head.w0;
      slot.head[1] = head.w1;
      slot.tag = want | uint64_t{index} << 48;
      slot.length = n;
      slot.offset = bytes_used_;
      bytes_used_ += n;
      return index;
    }
  }
}

uint32_t StringDictionary::ProbeLength(std::string_view s) const {
  if (s.empty()) return 0;
  const Head head = LoadHead(s.data(), s.size());
  const uint32_t hash = HashKey(head, s.data(), s.size());
  const uint32_t mask = table_->slot_mask_;
  uint32_t probes = 1;
  for (uint32_t pos = hash & mask;; pos = (pos + 1) & mask, ++probes) {
    const ProbeTable::Slot& slot = table_->slots_[pos];
    const uint16_t stamp = static_cast<uint16_t>(slot.tag >> 32);
    if (stamp != generation_) return probes;
    if (static_cast<uint32_t>(slot.tag) == hash && Get(slot.tag >> 48) == s) return probes;
  }
}

}  // namespace firehose::batch
