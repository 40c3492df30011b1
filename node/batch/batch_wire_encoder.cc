// BatchBuilder::EncodeResponse: the protobuf wire bytes of a finished batch, written
// straight from the builder's columns.
//
// Why not ToProto + SerializeToString: building the message costs the export thread a
// std::string per dictionary entry (malloc and, at eviction, free: ~40 % of its CPU)
// and the message held in the replay ring is 3-4x its encoded size. Here the bytes are
// computed in two passes over one description of the message (BatchWireEncoder::Walk):
// a Sizer pass that learns every length-delimited field's length, then a Writer pass
// into a string resized once. Fields go in field-number order, proto3 defaults (0,
// empty) are omitted, repeated scalars are packed: that is exactly protobuf's own
// serialisation of the same message, which batch_wire_encoder_test checks byte for byte.
#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "node/batch/batch_builder.h"

namespace firehose::batch {
namespace {

static_assert(std::endian::native == std::endian::little,
              "double and float columns are copied as is into fixed64/fixed32 fields");

// Packed columns of any element type are length-delimited on the wire.
enum WireType : uint32_t { kVarint = 0, kLengthDelimited = 2 };

constexpr uint32_t Tag(uint32_t field, WireType type) { return field << 3 | type; }

inline size_t VarintSize(uint64_t v) {
  const int bits = 64 - std::countl_zero(v | 1);
  return static_cast<size_t>((bits * 9 + 64) / 64);  // ceil(bits / 7)
}

// The same for one element, as comparisons in the element's own width (the line
// protocol's per-type value columns, which are sized element by element).
template <typename T>
inline uint32_t ElementSize(T v) {
  static_assert(std::is_unsigned_v<T>);
  uint32_t size = 1;
  for (int shift = 7; shift < 8 * static_cast<int>(sizeof(T)); shift += 7) {
    size += v >= (T{1} << shift) ? 1 : 0;
  }
  return size;
}

inline uint8_t* WriteVarint(uint64_t v, uint8_t* p) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v) | 0x80;
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

// Length-delimited fields a batch can have whose length needs a pass over a column or
// a submessage: the response, the batch, its three sections and their packed varint
// columns (10 + 24 + 15), 54 in all. Fixed-width columns and endpoints have lengths
// known up front and take none.
constexpr size_t kMaxLengths = 64;

// A length-delimited field's length, and for a packed varint column the OR of its
// elements, whose width picks the Writer's loop.
struct Length {
  size_t bytes = 0;
  uint64_t any = ~uint64_t{0};
};

// Varint bytes of a column's elements in passes cheap to vectorise: an OR of all of
// them, whose width bounds how many 7-bit groups any element needs (one: every element
// is one byte, the common case for small enums, flags and empty columns), then per
// extra group a count of the elements that reach it.
template <typename Value>
Length ColumnLength(uint32_t n, Value value) {
  using T = std::decay_t<decltype(value(0))>;
  T any = 0;
  for (uint32_t i = 0; i < n; ++i) any |= value(i);
  const int groups = (std::bit_width(any) + 6) / 7;
  size_t bytes = n;
  for (int g = 1; g < groups; ++g) {
    const T threshold = T{1} << (7 * g);
    uint32_t reaching = 0;
    for (uint32_t i = 0; i < n; ++i) reaching += value(i) >= threshold ? 1 : 0;
    bytes += reaching;
  }
  return Length{bytes, any};
}

// Writes a varint of at most kGroups 7-bit groups (v < 2^(7 * kGroups) <= 2^32) without
// a branch: the groups are spread into one word, continuation bits set on all but the
// last byte used, and the word stored whole. Stores 8 bytes at p whatever the varint's
// length, so the buffer needs kSlack bytes past its end (later fields overwrite the rest).
// Fewer groups, fewer operations: most columns are indexes below 2^14 (two bytes).
template <int kGroups>
inline uint8_t* WriteVarintUpTo(uint32_t v, uint8_t* p) {
  static_assert(kGroups >= 2 && kGroups <= 5);
  const uint64_t w = v;
  uint64_t x = w & 0x7f;
  uint32_t size = 1;
  uint64_t more = 0;  // continuation bits
  for (int g = 1; g < kGroups; ++g) {
    x |= (w & (uint64_t{0x7f} << (7 * g))) << g;
    const bool longer = w >= (uint64_t{1} << (7 * g));
    size += longer ? 1 : 0;
    more |= longer ? uint64_t{0x80} << (8 * (g - 1)) : 0;
  }
  x |= more;
  std::memcpy(p, &x, 8);
  return p + size;
}
constexpr size_t kSlack = 8;

// First pass: total size, and the length of each length-delimited field in the order
// the Writer will meet them.
class Sizer {
 public:
  struct Open {
    size_t slot;
    size_t start;
  };

  void Varint(uint32_t field, uint64_t v) {
    if (v != 0) size_ += VarintSize(Tag(field, kVarint)) + VarintSize(v);
  }
  void Bytes(uint32_t field, std::string_view b) {
    if (!b.empty()) RepeatedBytes(field, b);
  }
  void RepeatedBytes(uint32_t field, std::string_view b) {
    size_ += VarintSize(Tag(field, kLengthDelimited)) + VarintSize(b.size()) + b.size();
  }
  // A submessage of known length `len`; its fields follow.
  void Submessage(uint32_t field, size_t len) {
    size_ += VarintSize(Tag(field, kLengthDelimited)) + VarintSize(len);
  }
  Open Begin(uint32_t field) {
    size_ += VarintSize(Tag(field, kLengthDelimited));
    return Open{Claim(), size_};
  }
  void End(const Open& open) {
    const size_t len = size_ - open.start;
    lengths_[open.slot] = Length{len};
    size_ += VarintSize(len);
  }
  template <typename Value>
  void PackedVarint(uint32_t field, uint32_t n, Value value) {
    if (n == 0) return;
    Packed(field, ColumnLength(n, value));
  }
  template <typename Keep, typename Value>
  void PackedVarintWhere(uint32_t field, uint32_t n, Keep keep, Value value) {
    size_t len = 0;
    bool any = false;
    for (uint32_t i = 0; i < n; ++i) {
      if (!keep(i)) continue;
      any = true;
      len += ElementSize(value(i));
    }
    if (any) Packed(field, Length{len});
  }
  // n values of `width` bytes each, little-endian in memory as on the wire.
  void PackedFixed(uint32_t field, uint32_t n, size_t width, const void* /*data*/) {
    if (n == 0) return;
    const size_t len = n * width;
    size_ += VarintSize(Tag(field, kLengthDelimited)) + VarintSize(len) + len;
  }
  template <typename Keep>
  void PackedFixed64Where(uint32_t field, uint32_t n, Keep keep, const uint64_t* /*bits*/) {
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; ++i) count += keep(i) ? 1 : 0;
    if (count == 0) return;
    const size_t len = size_t{count} * 8;
    size_ += VarintSize(Tag(field, kLengthDelimited)) + VarintSize(len) + len;
  }

  size_t size() const { return size_; }
  const Length* lengths() const { return lengths_.data(); }

 private:
  void Packed(uint32_t field, Length length) {
    lengths_[Claim()] = length;
    size_ += VarintSize(Tag(field, kLengthDelimited)) + VarintSize(length.bytes) + length.bytes;
  }
  size_t Claim() {
    if (used_ == kMaxLengths) std::abort();  // the message layout grew: raise kMaxLengths
    return used_++;
  }
  size_t size_ = 0;
  size_t used_ = 0;
  std::array<Length, kMaxLengths> lengths_{};
};

// Second pass: the bytes, with the lengths the Sizer found.
class Writer {
 public:
  using Open = int;

  Writer(uint8_t* out, const Length* lengths) : p_(out), lengths_(lengths) {}

  void Varint(uint32_t field, uint64_t v) {
    if (v == 0) return;
    p_ = WriteVarint(Tag(field, kVarint), p_);
    p_ = WriteVarint(v, p_);
  }
  void Bytes(uint32_t field, std::string_view b) {
    if (!b.empty()) RepeatedBytes(field, b);
  }
  void RepeatedBytes(uint32_t field, std::string_view b) {
    Delimit(field, b.size());
    if (b.empty()) return;  // an empty view's data() may be null
    std::memcpy(p_, b.data(), b.size());
    p_ += b.size();
  }
  void Submessage(uint32_t field, size_t len) { Delimit(field, len); }
  Open Begin(uint32_t field) {
    Delimit(field, lengths_[next_++].bytes);
    return 0;
  }
  void End(Open) {}
  template <typename Value>
  void PackedVarint(uint32_t field, uint32_t n, Value value) {
    if (n == 0) return;
    const Length length = lengths_[next_++];
    Delimit(field, length.bytes);
    const int groups = (static_cast<int>(std::bit_width(length.any)) + 6) / 7;
    if (groups <= 1) {
      // Every element takes one byte (types, flags, zeros, small counts): a plain
      // narrowing copy, which vectorises.
      for (uint32_t i = 0; i < n; ++i) p_[i] = static_cast<uint8_t>(value(i));
      p_ += n;
    } else if (groups == 2) {
      for (uint32_t i = 0; i < n; ++i) p_ = WriteVarintUpTo<2>(static_cast<uint32_t>(value(i)), p_);
    } else if (groups == 3) {
      for (uint32_t i = 0; i < n; ++i) p_ = WriteVarintUpTo<3>(static_cast<uint32_t>(value(i)), p_);
    } else if (length.any <= UINT32_MAX) {
      for (uint32_t i = 0; i < n; ++i) p_ = WriteVarintUpTo<5>(static_cast<uint32_t>(value(i)), p_);
    } else {
      for (uint32_t i = 0; i < n; ++i) p_ = WriteVarint(value(i), p_);
    }
  }
  template <typename Keep, typename Value>
  void PackedVarintWhere(uint32_t field, uint32_t n, Keep keep, Value value) {
    uint32_t first = 0;
    while (first < n && !keep(first)) ++first;
    if (first == n) return;
    Delimit(field, lengths_[next_++].bytes);
    for (uint32_t i = first; i < n; ++i) {
      if (keep(i)) p_ = WriteVarint(value(i), p_);
    }
  }
  void PackedFixed(uint32_t field, uint32_t n, size_t width, const void* data) {
    if (n == 0) return;
    Delimit(field, n * width);
    std::memcpy(p_, data, n * width);
    p_ += n * width;
  }
  template <typename Keep>
  void PackedFixed64Where(uint32_t field, uint32_t n, Keep keep, const uint64_t* bits) {
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; ++i) count += keep(i) ? 1 : 0;
    if (count == 0) return;
    Delimit(field, size_t{count} * 8);
    for (uint32_t i = 0; i < n; ++i) {
      if (!keep(i)) continue;
      std::memcpy(p_, &bits[i], 8);
      p_ += 8;
    }
  }

  uint8_t* end() const { return p_; }

 private:
  void Delimit(uint32_t field, size_t len) {
    p_ = WriteVarint(Tag(field, kLengthDelimited), p_);
    p_ = WriteVarint(len, p_);
  }
  uint8_t* p_;
  const Length* lengths_;
  size_t next_ = 0;
};

}  // namespace

// Walks the message once for a Sink (Sizer or Writer), field numbers ascending, with
// the same values ToProto puts in the message (see ingest.proto for the numbers).
class BatchWireEncoder {
 public:
  template <typename Sink>
  static void Walk(const BatchBuilder& b, const BatchHeader& header, Sink& s) {
    const auto response = s.Begin(1);  // SubscribeResponse.batch
    s.Bytes(1, header.node_id);
    s.Varint(2, header.epoch);
    s.Varint(3, header.seq);
    s.Varint(4, static_cast<uint64_t>(b.first_receive_));
    s.Varint(5, static_cast<uint64_t>(b.last_receive_));
    s.Varint(6, b.records_);
    for (uint32_t i = 0; i < b.strings_.size(); ++i) s.RepeatedBytes(7, b.strings_.Get(i));
    // Source index 0 is the dictionary's empty key; keys are address bytes + port.
    for (uint32_t i = 1; i < b.sources_.size(); ++i) {
      const std::string_view key = b.sources_.Get(i);
      const std::string_view address = key.substr(0, key.size() - 2);
      const uint32_t port = (static_cast<uint8_t>(key[key.size() - 2]) << 8) |
                            static_cast<uint8_t>(key[key.size() - 1]);
      size_t len = 0;
      if (!address.empty()) len += 1 + VarintSize(address.size()) + address.size();
      if (port != 0) len += 1 + VarintSize(port);
      s.Submessage(8, len);  // Endpoint
      s.Bytes(1, address);
      s.Varint(2, port);
    }
    s.Varint(9, b.queue_id_);
    if (b.statsd_records_ > 0) Statsd(b, s);
    if (b.flows_.count > 0) Flows(b, s);
    if (b.lines_.count > 0) Lines(b, s);
    s.End(response);
  }

 private:
  template <typename T>
  static auto Of(const std::unique_ptr<T[]>& column) {
    // The element as the unsigned integer of its own width the wire carries (an int64
    // as its two's complement, as protobuf encodes int64).
    return [p = column.get()](uint32_t i) { return static_cast<std::make_unsigned_t<T>>(p[i]); };
  }
  static auto Offsets(const std::unique_ptr<int64_t[]>& receive, int64_t first) {
    return [p = receive.get(), first](uint32_t i) { return static_cast<uint64_t>(p[i] - first); };
  }

  template <typename Sink>
  static void Statsd(const BatchBuilder& b, Sink& s) {
    const uint32_t n = b.statsd_records_;
    const auto open = s.Begin(10);
    s.PackedVarint(1, n, Of(b.name_));
    s.PackedFixed(2, n, 8, b.value_.get());
    s.PackedVarint(3, n, Of(b.type_));
    s.PackedFixed(4, n, 4, b.sample_rate_.get());
    s.PackedVarint(5, n, Of(b.tag_count_));
    s.PackedVarint(6, b.tags_used_, Of(b.tags_));
    s.PackedVarint(7, n, Of(b.source_));
    s.PackedVarint(8, n, Offsets(b.receive_, b.first_receive_));
    s.PackedVarint(9, n, Of(b.flags_));
    s.PackedVarint(10, n, Of(b.text_));
    s.PackedVarint(11, n, Of(b.timestamp_));
    s.PackedVarint(12, n, Of(b.container_id_));
    s.End(open);
  }

  template <typename Sink>
  static void Flows(const BatchBuilder& b, Sink& s) {
    const BatchBuilder::FlowColumns& c = b.flows_;
    const uint32_t n = c.count;
    const auto open = s.Begin(11);
    s.PackedVarint(1, n, Of(c.version));
    s.PackedVarint(2, n, Of(c.exporter));
    s.PackedVarint(3, n, Of(c.domain));
    s.PackedVarint(4, n, Of(c.ip_version));
    s.Bytes(5, Address(c.src_address, n));
    s.Bytes(6, Address(c.dst_address, n));
    s.Bytes(7, Address(c.next_hop, n));
    s.PackedVarint(8, n, Of(c.src_port));
    s.PackedVarint(9, n, Of(c.dst_port));
    s.PackedVarint(10, n, Of(c.protocol));
    s.PackedVarint(11, n, Of(c.tcp_flags));
    s.PackedVarint(12, n, Of(c.tos));
    s.PackedVarint(13, n, Of(c.bytes));
    s.PackedVarint(14, n, Of(c.packets));
    s.PackedVarint(15, n, Of(c.start));
    s.PackedVarint(16, n, Of(c.end));
    s.PackedVarint(17, n, Of(c.input_if));
    s.PackedVarint(18, n, Of(c.output_if));
    s.PackedVarint(19, n, Of(c.src_as));
    s.PackedVarint(20, n, Of(c.dst_as));
    s.PackedVarint(21, n, Of(c.sampling));
    s.PackedVarint(22, n, Of(c.flags));
    s.PackedVarint(23, n, Offsets(c.receive, b.first_receive_));
    s.PackedVarint(24, n, Of(c.enterprise_count));
    s.PackedVarint(25, c.ent_used, Of(c.ent_number));
    s.PackedVarint(26, c.ent_used, Of(c.ent_element));
    s.PackedVarint(27, c.ent_used, Of(c.ent_length));
    s.Bytes(28, std::string_view(c.ent_data.get(), c.ent_bytes));
    s.End(open);
  }

  static std::string_view Address(const std::unique_ptr<uint8_t[]>& column, uint32_t n) {
    return std::string_view(reinterpret_cast<const char*>(column.get()), size_t{n} * 16);
  }

  template <typename Sink>
  static void Lines(const BatchBuilder& b, Sink& s) {
    const BatchBuilder::LineColumns& c = b.lines_;
    const uint32_t n = c.count;
    const uint32_t fields = c.fields_used;
    const auto open = s.Begin(12);
    s.PackedVarint(1, n, Of(c.measurement));
    s.PackedVarint(2, n, Of(c.timestamp));
    s.PackedVarint(3, n, Of(c.flags));
    s.PackedVarint(4, n, Of(c.source));
    s.PackedVarint(5, n, Offsets(c.receive, b.first_receive_));
    s.PackedVarint(6, n, Of(c.tag_count));
    s.PackedVarint(7, c.tags_used, Of(c.tag_key));
    s.PackedVarint(8, c.tags_used, Of(c.tag_value));
    s.PackedVarint(9, n, Of(c.field_count));
    s.PackedVarint(10, fields, Of(c.field_key));
    s.PackedVarint(11, fields, Of(c.field_type));
    // One value column per type, each holding that type's values in field order; the
    // float bits are the double's, as ToProto's memcpy leaves them.
    const auto is = [types = c.field_type.get()](decode::FieldType type) {
      return [types, type](uint32_t i) { return types[i] == static_cast<uint8_t>(type); };
    };
    const auto bits = [values = c.field_value.get()](uint32_t i) { return values[i]; };
    s.PackedFixed64Where(12, fields, is(decode::FieldType::kFloat), c.field_value.get());
    s.PackedVarintWhere(13, fields, is(decode::FieldType::kInteger), bits);
    s.PackedVarintWhere(14, fields, is(decode::FieldType::kUnsigned), bits);
    s.PackedVarintWhere(15, fields, is(decode::FieldType::kString),
                        [&bits](uint32_t i) { return static_cast<uint32_t>(bits(i)); });
    s.PackedVarintWhere(16, fields, is(decode::FieldType::kBoolean),
                        [&bits](uint32_t i) { return uint8_t{bits(i) != 0}; });
    s.End(open);
  }
};

void BatchBuilder::EncodeResponse(const BatchHeader& header, std::string* out) const {
  Sizer sizer;
  BatchWireEncoder::Walk(*this, header, sizer);
  out->clear();
  out->resize(sizer.size() + kSlack);  // WriteVarint32's whole-word stores may pass the end
  uint8_t* begin = reinterpret_cast<uint8_t*>(out->data());
  Writer writer(begin, sizer.lengths());
  BatchWireEncoder::Walk(*this, header, writer);
  out->resize(sizer.size());  // keeps the allocation
  // The two passes walk the same description, so they cannot disagree unless that
  // description is broken; sending a corrupt batch would be worse than stopping.
  if (writer.end() != begin + sizer.size()) std::abort();
}

}  // namespace firehose::batch
