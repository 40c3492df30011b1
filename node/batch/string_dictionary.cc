// Open-addressing string dictionary with generation-stamped slots; see the header.
#include "node/batch/string_dictionary.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace firehose::batch {

using dictionary_internal::HashKey;
using dictionary_internal::Head;
using dictionary_internal::LoadHead;
using dictionary_internal::SameHashAndStamp;
using dictionary_internal::TailEqual;

ProbeTable::ProbeTable(uint32_t max_strings)
    // At most half full keeps probe sequences short.
    : slot_mask_(
          std::bit_ceil(2 * std::clamp<uint32_t>(max_strings, 1, StringDictionary::kMaxStrings)) -
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

StringDictionary::StringDictionary(uint32_t max_strings, uint32_t max_bytes, ProbeTable* table)
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

// Out of line (see InternNonEmpty); its memcpy call alone would make every lookup save and
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
