// SeparatorIndex: where the statsd separators ('\n', '|', ':', ',') sit in one packet,
// as one bitmap per separator, built with AVX-512BW or AVX2 where the CPU has them.
//
// The statsd parser used to call memchr for every field boundary (about 25 calls for a
// packet of three tagged lines) and to re-scan each line for UTF-8; on the worker lcore
// those calls cost more than the parsing itself. Building the bitmaps is one pass over
// the payload, a find is then a bit scan, and the same pass notes whether the packet
// is pure ASCII, in which case no line needs UTF-8 validation.
//
// The build flags stop at x86-64-v2 (SSE4.2) so the binary runs on any server since
// Nehalem; the AVX2 and AVX-512BW builders are compiled with per-function target
// attributes and chosen once per process from CPUID, SSE2 being the fallback. With
// AVX-512BW a compare yields a bit mask directly (no movemask), and a masked load reads
// the tail without touching bytes past the span.
#ifndef FIREHOSE_NODE_DECODE_SEPARATOR_INDEX_H_
#define FIREHOSE_NODE_DECODE_SEPARATOR_INDEX_H_

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace firehose::decode {

enum class Separator : uint8_t { kNewline, kPipe, kColon, kComma };

// The builders; each produces the same index. Named so tests and benchmarks can run
// every one this CPU supports, not only the one the dispatch picks. kAvx512Vl uses
// AVX-512BW mask compares on 256-bit registers, kAvx512 on 512-bit ones.
enum class SeparatorIndexImpl : uint8_t { kSse2, kAvx2, kAvx512Vl, kAvx512 };

const char* SeparatorIndexImplName(SeparatorIndexImpl impl);

class SeparatorIndex {
 public:
  // Whether this CPU (and OS) can run `impl`; kSse2 always.
  static bool Supported(SeparatorIndexImpl impl);
  // Environment variable naming a builder ("sse2", "avx2", "avx512vl", "avx512bw") to
  // use instead of the preferred one: for A/B measurements in one binary, or to try
  // the 512-bit builder on a CPU whose clock does not drop for it. Read once.
  static constexpr char kImplEnv[] = "FIREHOSE_SEPARATOR_INDEX";
  // The builder named by `requested` if known and supported, else the preferred
  // supported one: kAvx512Vl, then kAvx2, then kSse2. kAvx512 is never preferred: on
  // Skylake-SP/Cascade Lake its 512-bit compares lower the core's clock for the whole
  // worker path (measured on a Cascade Lake-class host: +70-90 ns per packet of decode
  // and batch, though Build() alone is faster).
  static SeparatorIndexImpl Choose(const char* requested);
  // Choose(getenv(kImplEnv)), decided on the first call, then a load.
  static SeparatorIndexImpl Best();

  SeparatorIndex() : impl_(Best()) {}
  // Uses `impl` if Supported(impl), else kSse2 (never an illegal instruction); impl()
  // says which.
  explicit SeparatorIndex(SeparatorIndexImpl impl)
      : impl_(Supported(impl) ? impl : SeparatorIndexImpl::kSse2) {}

  SeparatorIndexImpl impl() const { return impl_; }

  // Largest span one Build() covers: more than any UDP payload (65,507 bytes).
  static constexpr size_t kMaxBytes = 64 * 1024;

  // Indexes [data, data + size); size must be at most kMaxBytes. Reads no byte outside
  // the span. Finds are valid until the next Build().
  void Build(const char* data, size_t size);

  // Whether every indexed byte is below 0x80.
  bool ascii() const { return ascii_; }

  // Word `word` of `which`'s bitmap (bit i: byte 64 * word + i is `which`); for tests.
  uint64_t Word(Separator which, size_t word) const {
    return bits_[kWords * static_cast<size_t>(which) + word];
  }

  // First `which` in [first, last), or nullptr; both must lie in the indexed span.
  //
  // Most finds end in the word `first` lies in (statsd fields are short), so that case
  // is one load, one shift and one bit scan: the word shifted down to `first` holds
  // exactly the separators at or after it. A hit at or past `last` is no hit, which
  // also covers first >= last; the word read then may be one no Build() covered (only
  // when first is the span's end), whose bits are stale but always land at or past
  // `last`. The guard word keeps that read inside the array.
  const char* Find(const char* first, const char* last, Separator which) const {
    const size_t begin = static_cast<size_t>(first - base_);
    const size_t end = static_cast<size_t>(last - base_);
    const uint64_t* bits = bits_.data() + kWords * static_cast<size_t>(which);
    const uint64_t word = bits[begin >> 6] >> (begin & 63);
    if (word != 0) [[likely]] {
      const size_t position = begin + static_cast<size_t>(std::countr_zero(word));
      return position < end ? base_ + position : nullptr;
    }
    return FindInLaterWords(bits, begin, end);
  }

 private:
  static constexpr size_t kWords = kMaxBytes / 64;
  static constexpr int kSeparators = 4;

  SeparatorIndexImpl impl_;
  const char* base_ = nullptr;
  bool ascii_ = true;
  // Bitmap of separator s is words [kWords * s, kWords * (s + 1)): bit i of its word w
  // says byte 64 * w + i is that separator. Only the words a Build() covered are
  // meaningful; bits past its end are zero. One flat array, so a builder takes one
  // pointer and stores at constant offsets from it.
  // The last word is a guard that Find() may read but no result depends on. Zeroed once
  // so no read ever sees indeterminate memory.
  std::array<uint64_t, kSeparators * kWords + 1> bits_{};

  // Find() past the word holding `begin`: the words after it, up to the one holding
  // end - 1.
  const char* FindInLaterWords(const uint64_t* bits, size_t begin, size_t end) const {
    for (size_t word_index = (begin >> 6) + 1; word_index << 6 < end; ++word_index) {
      const uint64_t word = bits[word_index];
      if (word != 0) {
        const size_t position = (word_index << 6) + static_cast<size_t>(std::countr_zero(word));
        return position < end ? base_ + position : nullptr;
      }
    }
    return nullptr;
  }
};

}  // namespace firehose::decode

#endif  // FIREHOSE_NODE_DECODE_SEPARATOR_INDEX_H_
