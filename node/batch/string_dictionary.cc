// Open-addressing string dictionary with generation-stamped slots; see the header.
#include "node/batch/string_dictionary.h"

#include <bit>
#include <cstring>

namespace firehose::batch {
namespace {

// FNV-1a over the bytes, then a murmur-style finaliser so nearby strings spread out.
// Names and tags are short, so a simple byte loop beats a vectorised hash here.
uint32_t HashBytes(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<uint32_t>(h);
}

}  // namespace

StringDictionary::StringDictionary(uint32_t max_strings, uint32_t max_bytes)
    : max_strings_(max_strings < 1 ? 1 : max_strings),
      max_bytes_(max_bytes),
      // At most half full keeps probe sequences short.
      slot_mask_(std::bit_ceil(2 * max_strings_) - 1),
      arena_(std::make_unique<char[]>(max_bytes_ + 1)),
      offsets_(std::make_unique<uint32_t[]>(max_strings_)),
      lengths_(std::make_unique<uint32_t[]>(max_strings_)),
      slots_(std::make_unique<Slot[]>(slot_mask_ + 1)) {
  std::memset(slots_.get(), 0, sizeof(Slot) * (slot_mask_ + 1));
  Clear();
}

void StringDictionary::Clear() {
  ++generation_;
  if (generation_ == 0) {  // wrapped: stale stamps could collide, so wipe once
    std::memset(slots_.get(), 0, sizeof(Slot) * (slot_mask_ + 1));
    generation_ = 1;
  }
  size_ = 1;  // index 0 is the empty string, never hashed
  offsets_[0] = 0;
  lengths_[0] = 0;
  bytes_used_ = 0;
}

uint32_t StringDictionary::Intern(std::string_view s) {
  if (s.empty()) return 0;
  const uint32_t hash = HashBytes(s);
  for (uint32_t pos = hash & slot_mask_;; pos = (pos + 1) & slot_mask_) {
    Slot& slot = slots_[pos];
    if (slot.generation != generation_) {
      if (!HasRoomFor(static_cast<uint32_t>(s.size()))) return kNotAdded;
      const uint32_t index = size_++;
      offsets_[index] = bytes_used_;
      lengths_[index] = static_cast<uint32_t>(s.size());
      std::memcpy(arena_.get() + bytes_used_, s.data(), s.size());
      bytes_used_ += static_cast<uint32_t>(s.size());
      slot = Slot{generation_, hash, index};
      return index;
    }
    if (slot.hash == hash && lengths_[slot.index] == s.size() &&
        std::memcmp(arena_.get() + offsets_[slot.index], s.data(), s.size()) == 0) {
      return slot.index;
    }
  }
}

}  // namespace firehose::batch
