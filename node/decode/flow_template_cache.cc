// FlowTemplateCache: fixed open-addressing table of templates and the export format that
// moves it to a standby. See the header.
//
// Export format, version 1 (all integers big-endian):
//   "FHTC" u8 version=1
//   u32 template_count, then per template:
//     key: u8 exporter_len, 16 bytes exporter, u8 version, u32 domain, u16 template_id
//     u8 options, u16 scope_count, u16 field_count,
//     field_count x (u16 id, u16 length, u32 enterprise)
//   u32 state_count, then per exporter state:
//     key (as above, template_id 0), u32 sampling_interval, u64 system_init_unix_millis
#include "node/decode/flow_template_cache.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace firehose::decode {
namespace {

constexpr char kMagic[4] = {'F', 'H', 'T', 'C'};
constexpr uint8_t kFormatVersion = 1;

uint32_t RoundUpPow2(uint32_t v) {
  uint32_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

// FNV-1a over the key's fields; collisions only cost a probe.
uint32_t HashKey(const FlowTemplateKey& key) {
  uint32_t h = 2166136261u;
  auto mix = [&h](uint8_t b) { h = (h ^ b) * 16777619u; };
  for (int i = 0; i < key.exporter_len && i < 16; ++i) mix(key.exporter[i]);
  mix(key.exporter_len);
  mix(key.version);
  for (int s = 0; s < 32; s += 8) mix(static_cast<uint8_t>(key.domain >> s));
  mix(static_cast<uint8_t>(key.template_id));
  mix(static_cast<uint8_t>(key.template_id >> 8));
  return h;
}

bool SameScope(const FlowTemplateKey& a, const FlowTemplateKey& b) {
  return a.exporter_len == b.exporter_len && a.version == b.version &&
         a.domain == b.domain && std::memcmp(a.exporter, b.exporter, 16) == 0;
}

void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
void PutU16(std::string* out, uint16_t v) {
  PutU8(out, v >> 8);
  PutU8(out, v & 0xff);
}
void PutU32(std::string* out, uint32_t v) {
  PutU16(out, v >> 16);
  PutU16(out, v & 0xffff);
}
void PutU64(std::string* out, uint64_t v) {
  PutU32(out, static_cast<uint32_t>(v >> 32));
  PutU32(out, static_cast<uint32_t>(v));
}
void PutKey(std::string* out, const FlowTemplateKey& key) {
  PutU8(out, key.exporter_len);
  out->append(reinterpret_cast<const char*>(key.exporter), 16);
  PutU8(out, key.version);
  PutU32(out, key.domain);
  PutU16(out, key.template_id);
}

// Bounds-checked big-endian reader over the import bytes.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : p_(bytes.data()), end_(p_ + bytes.size()) {}
  bool U8(uint8_t* v) { return Take(1, [&](const unsigned char* b) { *v = b[0]; }); }
  bool U16(uint16_t* v) {
    return Take(2, [&](const unsigned char* b) { *v = static_cast<uint16_t>(b[0] << 8 | b[1]); });
  }
  bool U32(uint32_t* v) {
    uint16_t hi, lo;
    if (!U16(&hi) || !U16(&lo)) return false;
    *v = static_cast<uint32_t>(hi) << 16 | lo;
    return true;
  }
  bool U64(uint64_t* v) {
    uint32_t hi, lo;
    if (!U32(&hi) || !U32(&lo)) return false;
    *v = static_cast<uint64_t>(hi) << 32 | lo;
    return true;
  }
  bool Bytes(void* out, size_t n) {
    return Take(n, [&](const unsigned char* b) { std::memcpy(out, b, n); });
  }
  bool Key(FlowTemplateKey* key) {
    return U8(&key->exporter_len) && Bytes(key->exporter, 16) && U8(&key->version) &&
           U32(&key->domain) && U16(&key->template_id);
  }
  bool done() const { return p_ == end_; }

 private:
  template <typename F>
  bool Take(size_t n, F f) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    f(reinterpret_cast<const unsigned char*>(p_));
    p_ += n;
    return true;
  }
  const char* p_;
  const char* end_;
};

bool ValidKey(const FlowTemplateKey& key) {
  return (key.exporter_len == 0 || key.exporter_len == 4 || key.exporter_len == 16) &&
         (key.version == 9 || key.version == 10);
}

}  // namespace

bool FlowTemplateKey::operator==(const FlowTemplateKey& other) const {
  return SameScope(*this, other) && template_id == other.template_id;
}

FlowTemplateCache::FlowTemplateCache(uint32_t capacity)
    : capacity_(capacity == 0 ? 1 : capacity),
      mask_(RoundUpPow2(2 * capacity_) - 1),
      slots_(std::make_unique<Slot[]>(mask_ + 1)),
      states_(std::make_unique<ExporterState[]>(kExporterStates)) {}

uint32_t FlowTemplateCache::Home(const FlowTemplateKey& key) const {
  return HashKey(key) & mask_;
}

const FlowTemplate* FlowTemplateCache::Find(const FlowTemplateKey& key) const {
  // The table is at most half full, so an empty slot always ends the probe.
  for (uint32_t i = Home(key);; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (!slot.used) return nullptr;
    if (slot.tmpl.key == key) return &slot.tmpl;
  }
}

bool FlowTemplateCache::Put(const FlowTemplate& tmpl) {
  uint32_t i = Home(tmpl.key);
  for (; slots_[i].used; i = (i + 1) & mask_) {
    if (slots_[i].tmpl.key == tmpl.key) {
      slots_[i].tmpl = tmpl;
      return true;
    }
  }
  if (size_ == capacity_) return false;
  slots_[i].used = true;
  slots_[i].tmpl = tmpl;
  ++size_;
  return true;
}

void FlowTemplateCache::EraseSlot(uint32_t index) {
  // Backward-shift deletion: pull later entries of the probe run into the hole so that
  // lookups can keep stopping at the first empty slot (no tombstones to pile up).
  slots_[index].used = false;
  --size_;
  uint32_t hole = index;
  for (uint32_t j = (hole + 1) & mask_; slots_[j].used; j = (j + 1) & mask_) {
    const uint32_t home = Home(slots_[j].tmpl.key);
    // Entry j may move to the hole if its home is not within (hole, j] cyclically.
    const bool home_after_hole = ((j - home) & mask_) < ((j - hole) & mask_);
    if (home_after_hole) continue;
    slots_[hole].used = true;
    slots_[hole].tmpl = slots_[j].tmpl;
    slots_[j].used = false;
    hole = j;
  }
}

bool FlowTemplateCache::Withdraw(const FlowTemplateKey& key) {
  for (uint32_t i = Home(key); slots_[i].used; i = (i + 1) & mask_) {
    if (slots_[i].tmpl.key == key) {
      EraseSlot(i);
      return true;
    }
  }
  return false;
}

uint32_t FlowTemplateCache::WithdrawAll(const FlowTemplateKey& key, bool options) {
  uint32_t removed = 0;
  // Erasing shifts later entries back, so re-examine the same index after an erase.
  for (uint32_t i = 0; i <= mask_;) {
    Slot& slot = slots_[i];
    if (slot.used && slot.tmpl.options == options && SameScope(slot.tmpl.key, key)) {
      EraseSlot(i);
      ++removed;
    } else {
      ++i;
    }
  }
  return removed;
}

const ExporterState* FlowTemplateCache::FindState(const FlowTemplateKey& key) const {
  for (uint32_t i = 0; i < state_count_; ++i) {
    if (SameScope(states_[i].key, key)) return &states_[i];
  }
  return nullptr;
}

ExporterState& FlowTemplateCache::State(const FlowTemplateKey& key) {
  for (uint32_t i = 0; i < state_count_; ++i) {
    if (SameScope(states_[i].key, key)) return states_[i];
  }
  uint32_t index;
  if (state_count_ < kExporterStates) {
    index = state_count_++;
  } else {
    index = next_state_victim_;
    next_state_victim_ = (next_state_victim_ + 1) % kExporterStates;
  }
  states_[index] = ExporterState();
  states_[index].key = key;
  states_[index].key.template_id = 0;
  return states_[index];
}

void FlowTemplateCache::Clear() {
  for (uint32_t i = 0; i <= mask_; ++i) slots_[i].used = false;
  size_ = 0;
  state_count_ = 0;
  next_state_victim_ = 0;
}

std::string FlowTemplateCache::Export() const {
  std::string out(kMagic, sizeof(kMagic));
  PutU8(&out, kFormatVersion);
  PutU32(&out, size_);
  for (uint32_t i = 0; i <= mask_; ++i) {
    if (!slots_[i].used) continue;
    const FlowTemplate& t = slots_[i].tmpl;
    PutKey(&out, t.key);
    PutU8(&out, t.options ? 1 : 0);
    PutU16(&out, t.scope_count);
    PutU16(&out, t.field_count);
    for (int f = 0; f < t.field_count; ++f) {
      PutU16(&out, t.fields[f].id);
      PutU16(&out, t.fields[f].length);
      PutU32(&out, t.fields[f].enterprise);
    }
  }
  PutU32(&out, state_count_);
  for (uint32_t i = 0; i < state_count_; ++i) {
    PutKey(&out, states_[i].key);
    PutU32(&out, states_[i].sampling_interval);
    PutU64(&out, states_[i].system_init_unix_millis);
  }
  return out;
}

absl::Status FlowTemplateCache::Import(std::string_view bytes) {
  Clear();
  auto fail = [this](const char* what) {
    Clear();
    return absl::InvalidArgumentError(std::string("template cache import: ") + what);
  };
  if (bytes.size() < 5 || std::memcmp(bytes.data(), kMagic, 4) != 0) {
    return fail("not a template cache export (bad magic)");
  }
  if (static_cast<uint8_t>(bytes[4]) != kFormatVersion) {
    return fail("unsupported format version");
  }
  Reader in(bytes.substr(5));
  uint32_t count;
  if (!in.U32(&count)) return fail("truncated template count");
  if (count > capacity_) return fail("more templates than this cache holds");
  for (uint32_t i = 0; i < count; ++i) {
    FlowTemplate t;
    uint8_t options;
    if (!in.Key(&t.key) || !in.U8(&options) || !in.U16(&t.scope_count) ||
        !in.U16(&t.field_count)) {
      return fail("truncated template");
    }
    if (!ValidKey(t.key) || t.key.template_id < 256 || options > 1 ||
        t.field_count == 0 || t.field_count > kMaxTemplateFields ||
        t.scope_count > t.field_count) {
      return fail("invalid template");
    }
    t.options = options == 1;
    t.min_record_length = 0;
    for (int f = 0; f < t.field_count; ++f) {
      FlowFieldSpec& spec = t.fields[f];
      if (!in.U16(&spec.id) || !in.U16(&spec.length) || !in.U32(&spec.enterprise)) {
        return fail("truncated template field");
      }
      // Accept exactly what the decoder accepts: v9 has no enterprise bit (any id) and
      // no variable length (65535 is a fixed length there).
      if (spec.length == 0 || (t.key.version == 10 && spec.id >= 0x8000)) {
        return fail("invalid template field");
      }
      const bool variable = t.key.version == 10 && spec.length == kVariableFieldLength;
      t.min_record_length += variable ? 1 : spec.length;
    }
    if (Find(t.key) != nullptr) return fail("duplicate template");
    Put(t);
  }
  uint32_t states;
  if (!in.U32(&states)) return fail("truncated exporter state count");
  if (states > kExporterStates) return fail("too many exporter states");
  for (uint32_t i = 0; i < states; ++i) {
    FlowTemplateKey key;
    uint32_t sampling;
    uint64_t init;
    if (!in.Key(&key) || !in.U32(&sampling) || !in.U64(&init)) {
      return fail("truncated exporter state");
    }
    if (!ValidKey(key)) return fail("invalid exporter state");
    ExporterState& state = State(key);
    state.sampling_interval = sampling;
    state.system_init_unix_millis = init;
  }
  if (!in.done()) return fail("trailing bytes");
  return absl::OkStatus();
}

absl::StatusOr<std::string> FlowTemplateCache::MergeExports(
    std::span<const std::string> exports, uint32_t capacity) {
  FlowTemplateCache merged(capacity);
  FlowTemplateCache part(capacity);
  for (size_t e = 0; e < exports.size(); ++e) {
    if (absl::Status s = part.Import(exports[e]); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("export ", e, " of ", exports.size(), ": ", s.message()));
    }
    for (uint32_t i = 0; i <= part.mask_; ++i) {
      if (part.slots_[i].used && !merged.Put(part.slots_[i].tmpl)) {
        return absl::ResourceExhaustedError(
            absl::StrCat("merged templates exceed the cache capacity ", capacity));
      }
    }
    for (uint32_t i = 0; i < part.state_count_; ++i) {
      ExporterState& state = merged.State(part.states_[i].key);
      state = part.states_[i];
    }
  }
  return merged.Export();
}

}  // namespace firehose::decode
