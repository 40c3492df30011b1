// Open-addressing string dictionary with generation-stamped slots; see the header.
#include "node/batch/string_dictionary.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace firehose::batch {
namespace {

// 64x64->128-bit multiply folded to 64 bits: one multiply mixes all input bits.
inline uint64_t Fold(uint64_t a, uint64_t b) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

// Hashes eight bytes per step (names and tags are 10-60 bytes, so a byte-at-a-time
// hash spent most of the worker's time here). Not cryptographic: a dictionary lives for
// one batch, and a pathological batch only costs longer probes, never correctness.
uint32_t HashBytes(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    h = Fold(h ^ word, 0xbf58476d1ce4e5b9ull);
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t word = 0;
    if (s.size() >= 8) {
      // Re-read the last 8 bytes (overlapping the previous word) rather than copying
      // 1-7 bytes, which compiles to a byte loop.
      std::memcpy(&word, s.data() + s.size() - 8, 8);
    } else {
      std::memcpy(&word, p, n);
    }
    h = Fold(h ^ word, 0x94d049bb133111ebull);
  }
  return static_cast<uint32_t>(h ^ (h >> 32));
}

// Equality of two n-byte strings (n > 0), 8 bytes a step, inline: the strings are short
// and almost always equal once their hashes match, so memcmp's call and dispatch cost
// more than the compare.
inline bool BytesEqual(const char* a, const char* b, size_t n) {
  if (n >= 8) {
    uint64_t x, y;
    for (size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      if (x != y) return false;
    }
    // The last 8 bytes, overlapping the loop's last word when n is not a multiple of 8.
    std::memcpy(&x, a + n - 8, 8);
    std::memcpy(&y, b + n - 8, 8);
    return x == y;
  }
  if (n >= 4) {
    uint32_t x0, y0, x1, y1;
    std::memcpy(&x0, a, 4);
    std::memcpy(&y0, b, 4);
    std::memcpy(&x1, a + n - 4, 4);
    std::memcpy(&y1, b + n - 4, 4);
    return x0 == y0 && x1 == y1;
  }
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
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

uint32_t StringDictionary::Intern(std::string_view s) {
  if (s.empty()) return 0;
  const uint32_t hash = HashBytes(s);
  const uint32_t mask = table_->slot_mask_;
  for (uint32_t pos = hash & mask;; pos = (pos + 1) & mask) {
    ProbeTable::Slot& slot = table_->slots_[pos];
    if (slot.generation != generation_) {
      if (!HasRoomFor(static_cast<uint32_t>(s.size()))) return kNotAdded;
      const uint32_t index = size_++;
      entries_[index] = Entry{bytes_used_, static_cast<uint32_t>(s.size())};
      std::memcpy(arena_.get() + bytes_used_, s.data(), s.size());
      bytes_used_ += static_cast<uint32_t>(s.size());
      slot = ProbeTable::Slot{hash, static_cast<uint16_t>(index), generation_};
      return index;
    }
    if (slot.hash == hash) {
      const Entry entry = entries_[slot.index];
      if (entry.length == s.size() && BytesEqual(arena_.get() + entry.offset, s.data(), s.size())) {
        return slot.index;
      }
    }
  }
}

}  // namespace firehose::batch
