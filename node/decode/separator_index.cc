// Builds the separator bitmaps of a SeparatorIndex; see the header.
#include "node/decode/separator_index.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace firehose::decode {
namespace {

constexpr char kSeparatorBytes[] = {'\n', '|', ':', ','};

// Masks of one 16-byte chunk: one bit per byte for each separator, and the bytes'
// high bits (non-ASCII).
struct ChunkMasks {
  uint32_t separators[4];
  uint32_t high;

  ChunkMasks ShiftedRight(int bits) const {
    return ChunkMasks{{separators[0] >> bits, separators[1] >> bits, separators[2] >> bits,
                       separators[3] >> bits},
                      high >> bits};
  }
};

inline ChunkMasks ScanChunk(const char* chunk) {
  ChunkMasks masks{};
#if defined(__SSE2__)
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(chunk));
  for (int s = 0; s < 4; ++s) {
    masks.separators[s] = static_cast<uint32_t>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(kSeparatorBytes[s]))));
  }
  masks.high = static_cast<uint32_t>(_mm_movemask_epi8(bytes));
#else
  for (int i = 0; i < 16; ++i) {
    const unsigned char byte = static_cast<unsigned char>(chunk[i]);
    for (int s = 0; s < 4; ++s) {
      if (byte == static_cast<unsigned char>(kSeparatorBytes[s])) masks.separators[s] |= 1u << i;
    }
    if (byte >= 0x80) masks.high |= 1u << i;
  }
#endif
  return masks;
}

// Masks of the `rest` (1-15) bytes at data + offset, the end of a span of `size` bytes:
// re-read the span's last 16 bytes and shift, or, for spans under 16 bytes, scan a
// zero-padded copy (zero matches no separator). Never reads outside the span.
inline ChunkMasks ScanLastChunk(const char* data, size_t size, size_t offset, size_t rest) {
  if (size >= 16) return ScanChunk(data + size - 16).ShiftedRight(static_cast<int>(16 - rest));
  char padded[16] = {};
  for (size_t i = 0; i < rest; ++i) padded[i] = data[offset + i];
  return ScanChunk(padded);
}

}  // namespace

void SeparatorIndex::Build(const char* data, size_t size) {
  static_assert(sizeof(kSeparatorBytes) == kSeparators);
  base_ = data;
  uint32_t high = 0;
  const size_t words = (size + 63) / 64;
  for (size_t word = 0; word < words; ++word) {
    uint64_t separators[kSeparators] = {};
    for (size_t chunk = 0; chunk < 4; ++chunk) {
      const size_t offset = 64 * word + 16 * chunk;
      if (offset >= size) break;
      const ChunkMasks masks = offset + 16 <= size
                                   ? ScanChunk(data + offset)
                                   : ScanLastChunk(data, size, offset, size - offset);
      for (int s = 0; s < kSeparators; ++s) {
        separators[s] |= static_cast<uint64_t>(masks.separators[s]) << (16 * chunk);
      }
      high |= masks.high;
    }
    for (int s = 0; s < kSeparators; ++s) bits_[s][word] = separators[s];
  }
  ascii_ = high == 0;
}

}  // namespace firehose::decode
