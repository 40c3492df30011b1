// Builds the separator bitmaps of a SeparatorIndex with SSE2, AVX2 or AVX-512BW (on
// 256- or 512-bit registers); see the header. Each builder writes the words the span
// covers, zero bits past its end, and returns whether no byte had its high bit set.
#include "node/decode/separator_index.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#define FIREHOSE_SEPARATOR_INDEX_WIDE 1
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace firehose::decode {
namespace {

constexpr char kSeparatorBytes[] = {'\n', '|', ':', ','};
constexpr int kSeparators = sizeof(kSeparatorBytes);

// A builder writes word w of separator s's bitmap at bits[kWords * s + w].
constexpr size_t kWords = SeparatorIndex::kMaxBytes / 64;

// ---- SSE2 (and scalar without SSE2): 16 bytes per step, four steps per word. ----

// Masks of one 16-byte chunk: one bit per byte for each separator, and the bytes'
// high bits (non-ASCII).
struct ChunkMasks {
  uint32_t separators[kSeparators];
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
  for (int s = 0; s < kSeparators; ++s) {
    masks.separators[s] = static_cast<uint32_t>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(kSeparatorBytes[s]))));
  }
  masks.high = static_cast<uint32_t>(_mm_movemask_epi8(bytes));
#else
  for (int i = 0; i < 16; ++i) {
    const unsigned char byte = static_cast<unsigned char>(chunk[i]);
    for (int s = 0; s < kSeparators; ++s) {
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

// Not inlined into Build(), so the wide paths' call does not pay for its frame.
__attribute__((noinline)) bool BuildSse2(const char* data, size_t size, uint64_t* bits) {
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
    for (int s = 0; s < kSeparators; ++s) bits[kWords * s + word] = separators[s];
  }
  return high == 0;
}

#if defined(FIREHOSE_SEPARATOR_INDEX_WIDE)

// ---- AVX2: a word is two 32-byte halves, each compare gives 32 bits. ----
// Helpers carry the same target attribute (and always_inline) so they inline into the
// builder; a lambda would not inherit the attribute.
// tune=haswell: the corei7 tuning of the build flags would split each unaligned 32-byte
// load into two 16-byte halves, costing an instruction per load.
#define FIREHOSE_AVX2 __attribute__((target("avx2,tune=haswell")))
#define FIREHOSE_AVX2_INLINE __attribute__((target("avx2,tune=haswell"), always_inline)) inline

// One separator's bits from two 32-byte halves: `low` gives bits 0-31, `high` the 32
// bits from `high_shift` on (32 for a whole word; less where the halves overlap, whose
// common bytes give the same bits in both).
FIREHOSE_AVX2_INLINE uint64_t WordMaskAvx2(__m256i low, __m256i high, __m256i separator,
                                           size_t high_shift = 32) {
  const auto low_bits =
      static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(low, separator)));
  const auto high_bits =
      static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(high, separator)));
  return uint64_t{high_bits} << high_shift | low_bits;
}

FIREHOSE_AVX2_INLINE __m256i Load32(const char* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// Spans under 32 bytes: scan a zero-padded copy (zero matches no separator, is
// ASCII). Its own function so the stack buffer's frame and guard stay off the common
// path.
FIREHOSE_AVX2 __attribute__((noinline)) bool BuildAvx2Short(const char* data, size_t size,
                                                            uint64_t* bits) {
  alignas(32) char padded[32] = {};
  std::memcpy(padded, data, size);
  const __m256i bytes = Load32(padded);
  for (int s = 0; s < kSeparators; ++s) {
    const __m256i separator = _mm256_set1_epi8(kSeparatorBytes[s]);
    bits[kWords * s] =
        static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes, separator)));
  }
  return _mm256_movemask_epi8(bytes) == 0;
}

FIREHOSE_AVX2 bool BuildAvx2(const char* data, size_t size, uint64_t* bits) {
  const __m256i separators[kSeparators] = {
      _mm256_set1_epi8(kSeparatorBytes[0]), _mm256_set1_epi8(kSeparatorBytes[1]),
      _mm256_set1_epi8(kSeparatorBytes[2]), _mm256_set1_epi8(kSeparatorBytes[3])};
  __m256i any_high = _mm256_setzero_si256();  // OR of every byte read; sign bits = non-ASCII
  const size_t full_words = size / 64;
  for (size_t word = 0; word < full_words; ++word) {
    const __m256i low = Load32(data + 64 * word);
    const __m256i high = Load32(data + 64 * word + 32);
    any_high = _mm256_or_si256(any_high, _mm256_or_si256(low, high));
    for (int s = 0; s < kSeparators; ++s) {
      bits[kWords * s + word] = WordMaskAvx2(low, high, separators[s]);
    }
  }
  const size_t rest = size % 64;
  if (rest == 0) return _mm256_movemask_epi8(any_high) == 0;
  if (size >= 64) {
    // Re-read the span's last 64 bytes: its low 64 - rest bytes were in the previous word.
    const __m256i low = Load32(data + size - 64);
    const __m256i high = Load32(data + size - 32);
    any_high = _mm256_or_si256(any_high, _mm256_or_si256(low, high));
    for (int s = 0; s < kSeparators; ++s) {
      bits[kWords * s + full_words] = WordMaskAvx2(low, high, separators[s]) >> (64 - rest);
    }
  } else if (size >= 32) {
    // Two overlapping halves.
    const __m256i low = Load32(data);
    const __m256i high = Load32(data + size - 32);
    any_high = _mm256_or_si256(any_high, _mm256_or_si256(low, high));
    for (int s = 0; s < kSeparators; ++s) {
      bits[kWords * s] = WordMaskAvx2(low, high, separators[s], size - 32);
    }
  } else {
    return BuildAvx2Short(data, size, bits);
  }
  return _mm256_movemask_epi8(any_high) == 0;
}

// ---- AVX-512BW: one compare per separator gives the whole 64-bit word. ----
#define FIREHOSE_AVX512 __attribute__((target("avx512bw,avx512f")))
#define FIREHOSE_AVX512_INLINE __attribute__((target("avx512bw,avx512f"), always_inline)) inline

FIREHOSE_AVX512_INLINE void StoreWordAvx512(__m512i bytes, const __m512i* separators,
                                            uint64_t* bits, size_t word) {
  for (int s = 0; s < kSeparators; ++s) {
    bits[kWords * s + word] = _mm512_cmpeq_epi8_mask(bytes, separators[s]);
  }
}

FIREHOSE_AVX512 bool BuildAvx512(const char* data, size_t size, uint64_t* bits) {
  const __m512i separators[kSeparators] = {
      _mm512_set1_epi8(kSeparatorBytes[0]), _mm512_set1_epi8(kSeparatorBytes[1]),
      _mm512_set1_epi8(kSeparatorBytes[2]), _mm512_set1_epi8(kSeparatorBytes[3])};
  __m512i any_high = _mm512_setzero_si512();  // OR of every byte read; sign bits = non-ASCII
  const size_t full_words = size / 64;
  for (size_t word = 0; word < full_words; ++word) {
    const __m512i bytes = _mm512_loadu_si512(data + 64 * word);
    any_high = _mm512_or_si512(any_high, bytes);
    StoreWordAvx512(bytes, separators, bits, word);
  }
  const size_t rest = size % 64;
  if (rest != 0) {
    // Masked load: lanes past the span are not read (no fault, no access) and are zero,
    // which matches no separator and is ASCII.
    const __mmask64 in_span = ~uint64_t{0} >> (64 - rest);
    const __m512i bytes = _mm512_maskz_loadu_epi8(in_span, data + 64 * full_words);
    any_high = _mm512_or_si512(any_high, bytes);
    StoreWordAvx512(bytes, separators, bits, full_words);
  }
  return _mm512_movepi8_mask(any_high) == 0;
}

// ---- AVX-512BW+VL on 256-bit registers: the mask compares of AVX-512 (a 32-bit mask
// per compare, two joined in a mask register) without 512-bit instructions, which on
// Skylake-SP/Cascade Lake lower the core's clock for everything that runs after. ----
#define FIREHOSE_AVX512VL __attribute__((target("avx512bw,avx512vl,avx512f,tune=skylake-avx512")))
#define FIREHOSE_AVX512VL_INLINE \
  __attribute__((target("avx512bw,avx512vl,avx512f,tune=skylake-avx512"), always_inline)) inline

FIREHOSE_AVX512VL_INLINE void StoreWordAvx512Vl(__m256i low, __m256i high,
                                                const __m256i* separators, uint64_t* bits,
                                                size_t word) {
  for (int s = 0; s < kSeparators; ++s) {
    const __mmask64 low_bits = _mm256_cmpeq_epi8_mask(low, separators[s]);
    const __mmask64 high_bits = _mm256_cmpeq_epi8_mask(high, separators[s]);
    bits[kWords * s + word] = _mm512_kunpackd(high_bits, low_bits);
  }
}

FIREHOSE_AVX512VL bool BuildAvx512Vl(const char* data, size_t size, uint64_t* bits) {
  const __m256i separators[kSeparators] = {
      _mm256_set1_epi8(kSeparatorBytes[0]), _mm256_set1_epi8(kSeparatorBytes[1]),
      _mm256_set1_epi8(kSeparatorBytes[2]), _mm256_set1_epi8(kSeparatorBytes[3])};
  __m256i any_high = _mm256_setzero_si256();  // OR of every byte read; sign bits = non-ASCII
  const size_t full_words = size / 64;
  for (size_t word = 0; word < full_words; ++word) {
    const __m256i low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + 64 * word));
    const __m256i high =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + 64 * word + 32));
    any_high = _mm256_or_si256(any_high, _mm256_or_si256(low, high));
    StoreWordAvx512Vl(low, high, separators, bits, word);
  }
  const size_t rest = size % 64;
  if (rest != 0) {
    // Masked loads: lanes past the span are not read (no fault, no access) and are
    // zero, which matches no separator and is ASCII.
    const uint64_t in_span = ~uint64_t{0} >> (64 - rest);
    const char* word_start = data + 64 * full_words;
    const __m256i low = _mm256_maskz_loadu_epi8(static_cast<__mmask32>(in_span), word_start);
    const __m256i high =
        _mm256_maskz_loadu_epi8(static_cast<__mmask32>(in_span >> 32), word_start + 32);
    any_high = _mm256_or_si256(any_high, _mm256_or_si256(low, high));
    StoreWordAvx512Vl(low, high, separators, bits, full_words);
  }
  return _mm256_movemask_epi8(any_high) == 0;
}

#endif  // FIREHOSE_SEPARATOR_INDEX_WIDE

}  // namespace

const char* SeparatorIndexImplName(SeparatorIndexImpl impl) {
  switch (impl) {
    case SeparatorIndexImpl::kSse2:
      return "sse2";
    case SeparatorIndexImpl::kAvx2:
      return "avx2";
    case SeparatorIndexImpl::kAvx512Vl:
      return "avx512vl";
    case SeparatorIndexImpl::kAvx512:
      return "avx512bw";
  }
  return "unknown";
}

bool SeparatorIndex::Supported(SeparatorIndexImpl impl) {
#if defined(FIREHOSE_SEPARATOR_INDEX_WIDE)
  // libgcc's CPU model also checks that the OS saves the AVX/AVX-512 registers (XCR0).
  __builtin_cpu_init();  // idempotent; needed if called before libgcc's constructor ran
  switch (impl) {
    case SeparatorIndexImpl::kSse2:
      return true;
    case SeparatorIndexImpl::kAvx2:
      return __builtin_cpu_supports("avx2");
    case SeparatorIndexImpl::kAvx512Vl:
      return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512f");
    case SeparatorIndexImpl::kAvx512:
      return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f");
  }
  return false;
#else
  return impl == SeparatorIndexImpl::kSse2;
#endif
}

SeparatorIndexImpl SeparatorIndex::Choose(const char* requested) {
  constexpr SeparatorIndexImpl kAll[] = {SeparatorIndexImpl::kSse2, SeparatorIndexImpl::kAvx2,
                                         SeparatorIndexImpl::kAvx512Vl,
                                         SeparatorIndexImpl::kAvx512};
  if (requested != nullptr) {
    for (SeparatorIndexImpl impl : kAll) {
      if (std::strcmp(requested, SeparatorIndexImplName(impl)) == 0 && Supported(impl)) {
        return impl;
      }
    }
  }
  constexpr SeparatorIndexImpl kPreferred[] = {
      SeparatorIndexImpl::kAvx512Vl, SeparatorIndexImpl::kAvx2, SeparatorIndexImpl::kSse2};
  for (SeparatorIndexImpl impl : kPreferred) {
    if (Supported(impl)) return impl;
  }
  return SeparatorIndexImpl::kSse2;
}

SeparatorIndexImpl SeparatorIndex::Best() {
  static const SeparatorIndexImpl best = Choose(std::getenv(kImplEnv));
  return best;
}

void SeparatorIndex::Build(const char* data, size_t size) {
  static_assert(kSeparators == SeparatorIndex::kSeparators);
  base_ = data;
  uint64_t* const bits = bits_.data();
  switch (impl_) {
#if defined(FIREHOSE_SEPARATOR_INDEX_WIDE)
    case SeparatorIndexImpl::kAvx512:
      ascii_ = BuildAvx512(data, size, bits);
      return;
    case SeparatorIndexImpl::kAvx512Vl:
      ascii_ = BuildAvx512Vl(data, size, bits);
      return;
    case SeparatorIndexImpl::kAvx2:
      ascii_ = BuildAvx2(data, size, bits);
      return;
#endif
    default:
      ascii_ = BuildSse2(data, size, bits);
      return;
  }
}

}  // namespace firehose::decode
