// SeparatorIndex against a plain byte search, once per builder this CPU runs (SSE2,
// AVX2, AVX-512BW on 256- and on 512-bit registers): every separator, every (first,
// last) range of buffers around the 16-, 32- and 64-byte edges, long spans up to
// kMaxBytes, the ASCII verdict with a non-ASCII byte at every position, zero bits past
// the end, and spans that end (or start) at an unmapped page, so any read outside the
// span faults even where ASan cannot see it (masked loads). A dispatch test reads
// /proc/cpuinfo on its own, runs each builder the CPU has and fails if one the CPU has
// was not run; the environment override is checked through Choose().
#include "node/decode/separator_index.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace firehose::decode {
namespace {

constexpr char kBytes[] = {'\n', '|', ':', ','};
constexpr SeparatorIndexImpl kImpls[] = {SeparatorIndexImpl::kSse2, SeparatorIndexImpl::kAvx2,
                                         SeparatorIndexImpl::kAvx512Vl,
                                         SeparatorIndexImpl::kAvx512};

const char* NaiveFind(const char* first, const char* last, char c) {
  for (const char* p = first; p < last; ++p) {
    if (*p == c) return p;
  }
  return nullptr;
}

std::string RandomText(std::mt19937& rng, size_t size) {
  // Mostly filler, separators sparse as in statsd, so long separator-free runs occur;
  // the alphabet also holds each separator with its high bit set, which must not match.
  static constexpr char kAlphabet[] = "abcdefgh.0123456789\n|:,\x8a\xfc\xba\xac";
  std::string text(size, 'a');
  for (char& c : text) {
    c = rng() % 4 == 0 ? kAlphabet[rng() % (sizeof(kAlphabet) - 1)] : 'x';
  }
  return text;
}

// Checks every (first, last) range of [base, base + size) for every separator.
void ExpectAllRangesMatch(const SeparatorIndex& index, const char* base, size_t size) {
  for (size_t first = 0; first <= size; ++first) {
    for (size_t last = first; last <= size; ++last) {
      for (int s = 0; s < 4; ++s) {
        ASSERT_EQ(index.Find(base + first, base + last, static_cast<Separator>(s)),
                  NaiveFind(base + first, base + last, kBytes[s]))
            << "size " << size << " range [" << first << ", " << last << ") sep " << s;
      }
    }
  }
}

// For spans too long for every range: each first with the span's end, with every last
// up to 130 bytes on, and with one random last; the naive answer comes from a table of
// the next occurrence at or after each position.
void ExpectSampledRangesMatch(const SeparatorIndex& index, const char* base, size_t size,
                              std::mt19937& rng) {
  for (int s = 0; s < 4; ++s) {
    std::vector<size_t> next(size + 1, size);
    for (size_t i = size; i-- > 0;) next[i] = base[i] == kBytes[s] ? i : next[i + 1];
    const auto expected = [&](size_t first, size_t last) -> const char* {
      return next[first] < last ? base + next[first] : nullptr;
    };
    const auto which = static_cast<Separator>(s);
    for (size_t first = 0; first <= size; ++first) {
      ASSERT_EQ(index.Find(base + first, base + size, which), expected(first, size))
          << "size " << size << " first " << first << " sep " << s;
      for (size_t last = first; last <= std::min(size, first + 130); ++last) {
        ASSERT_EQ(index.Find(base + first, base + last, which), expected(first, last))
            << "size " << size << " range [" << first << ", " << last << ") sep " << s;
      }
      const size_t last = first + rng() % (size - first + 1);
      ASSERT_EQ(index.Find(base + first, base + last, which), expected(first, last))
          << "size " << size << " range [" << first << ", " << last << ") sep " << s;
    }
  }
}

// Bits of the last word past the span's end must be zero, even after a longer packet
// full of separators filled those words.
void ExpectNoBitsPastTheEnd(const SeparatorIndex& index, size_t size) {
  if (size % 64 == 0) return;
  for (int s = 0; s < 4; ++s) {
    EXPECT_EQ(index.Word(static_cast<Separator>(s), size / 64) >> (size % 64), 0u)
        << "size " << size << " sep " << s;
  }
}

class SeparatorIndexImplTest : public testing::TestWithParam<SeparatorIndexImpl> {
 protected:
  void SetUp() override {
    if (!SeparatorIndex::Supported(GetParam())) {
      GTEST_SKIP() << "this CPU lacks " << SeparatorIndexImplName(GetParam());
    }
    index_ = std::make_unique<SeparatorIndex>(GetParam());
    ASSERT_EQ(index_->impl(), GetParam());
  }

  std::unique_ptr<SeparatorIndex> index_;
};

TEST_P(SeparatorIndexImplTest, FindMatchesNaiveSearchForEveryRange) {
  std::mt19937 rng(7);
  for (size_t size : {0,  1,  2,  15, 16, 17,  31,  32,  33,  47,  48,  63,
                      64, 65, 95, 96, 97, 127, 128, 129, 191, 192, 193, 200}) {
    const std::string text = RandomText(rng, size);
    index_->Build(text.data(), text.size());
    ExpectAllRangesMatch(*index_, text.data(), size);
  }
}

TEST_P(SeparatorIndexImplTest, FindMatchesNaiveSearchOnLongSpans) {
  std::mt19937 rng(11);
  for (size_t size : {255, 256, 257, 1000, 1023, 1024, 1025, 1472, 4095, 4096, 4097}) {
    const std::string text = RandomText(rng, size);
    index_->Build(text.data(), text.size());
    ExpectSampledRangesMatch(*index_, text.data(), size, rng);
  }
}

TEST_P(SeparatorIndexImplTest, FindsAcrossLongRunsAndAtTheLastByte) {
  std::string text(SeparatorIndex::kMaxBytes, 'x');
  text.back() = '\n';
  index_->Build(text.data(), text.size());
  EXPECT_TRUE(index_->ascii());
  EXPECT_EQ(index_->Find(text.data(), text.data() + text.size(), Separator::kNewline),
            text.data() + text.size() - 1);
  EXPECT_EQ(index_->Find(text.data(), text.data() + text.size() - 1, Separator::kNewline), nullptr);
  EXPECT_EQ(index_->Find(text.data(), text.data() + text.size(), Separator::kPipe), nullptr);
}

TEST_P(SeparatorIndexImplTest, ReportsNonAsciiBytesWhereverTheyAre) {
  static constexpr unsigned char kHighBytes[] = {0x80, 0xC3, 0xFF, 0x8A};
  for (size_t size : {1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 70, 127, 128, 129, 130, 1000, 4129}) {
    std::string text(size, '\x7f');  // the highest ASCII byte
    index_->Build(text.data(), text.size());
    EXPECT_TRUE(index_->ascii()) << "size " << size;
    for (size_t at = 0; at < size; ++at) {
      text[at] = static_cast<char>(kHighBytes[at % 4]);
      index_->Build(text.data(), text.size());
      ASSERT_FALSE(index_->ascii()) << "size " << size << " at " << at;
      text[at] = '\x7f';
    }
  }
}

TEST_P(SeparatorIndexImplTest, LeavesNoBitsPastTheEnd) {
  const std::string separators(4096, '|');
  const std::string all = std::string(1024, '\n') + std::string(1024, '|') +
                          std::string(1024, ':') + std::string(1024, ',');
  // Past each span's end sit separators and non-ASCII bytes: any read or bit beyond
  // the span would show.
  std::string pipes(400, '|');
  std::string ascii_then_high = std::string(300, 'a') + std::string(100, '\xff');
  for (size_t size = 0; size <= 300; ++size) {
    for (const std::string* filler : {&separators, &all}) {
      index_->Build(filler->data(), filler->size());
      index_->Build(pipes.data(), size);
      ExpectNoBitsPastTheEnd(*index_, size);
      ASSERT_EQ(index_->Find(pipes.data(), pipes.data() + size, Separator::kColon), nullptr);
    }
    index_->Build(ascii_then_high.data() + 300 - size, size);
    ASSERT_TRUE(index_->ascii()) << "size " << size;
  }
}

TEST_P(SeparatorIndexImplTest, RebuildForgetsTheEarlierPacket) {
  std::string first(100, '|');
  index_->Build(first.data(), first.size());
  std::string second = "abc";
  index_->Build(second.data(), second.size());
  EXPECT_EQ(index_->Find(second.data(), second.data() + 3, Separator::kPipe), nullptr);
}

// A mapped page between two unmapped ones: a span that ends at the page's end or
// starts at its beginning makes any read past the span fault, whatever instruction
// did it (ASan does not see masked vector loads).
class GuardedPage {
 public:
  GuardedPage() : page_(static_cast<size_t>(sysconf(_SC_PAGESIZE))) {
    void* map = mmap(nullptr, 3 * page_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) return;
    base_ = static_cast<char*>(map);
    if (mprotect(base_ + page_, page_, PROT_READ | PROT_WRITE) != 0) {
      munmap(base_, 3 * page_);
      base_ = nullptr;
    }
  }
  ~GuardedPage() {
    if (base_ != nullptr) munmap(base_, 3 * page_);
  }
  bool ok() const { return base_ != nullptr; }
  size_t size() const { return page_; }
  char* begin() const { return base_ + page_; }
  char* end() const { return base_ + 2 * page_; }

 private:
  size_t page_;
  char* base_ = nullptr;
};

TEST_P(SeparatorIndexImplTest, ReadsNothingOutsideTheSpan) {
  GuardedPage page;
  ASSERT_TRUE(page.ok()) << "mmap/mprotect failed";
  std::mt19937 rng(3);
  const std::string text = RandomText(rng, page.size());
  std::memcpy(page.begin(), text.data(), text.size());
  std::vector<size_t> sizes;
  for (size_t size = 0; size <= 200; ++size) sizes.push_back(size);
  for (size_t size : {255, 256, 257, 1023, 1024, 1025}) sizes.push_back(size);
  sizes.push_back(page.size());
  for (size_t size : sizes) {
    // Ending at the unmapped page, then starting right after the unmapped page.
    const char* const starts[] = {page.end() - size, page.begin()};
    for (const char* data : starts) {
      index_->Build(data, size);
      for (int s = 0; s < 4; ++s) {
        ASSERT_EQ(index_->Find(data, data + size, static_cast<Separator>(s)),
                  NaiveFind(data, data + size, kBytes[s]))
            << "size " << size << " sep " << s;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Impls, SeparatorIndexImplTest, testing::ValuesIn(kImpls),
                         [](const testing::TestParamInfo<SeparatorIndexImpl>& info) {
                           return std::string(SeparatorIndexImplName(info.param));
                         });

// The CPU's flags as the kernel reports them, independent of the code under test.
std::string CpuFlags() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) == 0) return line + " ";
  }
  return "";
}

bool HasFlag(const std::string& flags, const char* flag) {
  return flags.find(std::string(" ") + flag + " ") != std::string::npos;
}

// Fails, rather than skips, when the CPU has a wide unit whose builder did not run.
TEST(SeparatorIndexDispatchTest, RunsEveryBuilderTheCpuHas) {
  const std::string flags = CpuFlags();
  ASSERT_FALSE(flags.empty()) << "no flags line in /proc/cpuinfo";
  const bool cpu_avx2 = HasFlag(flags, "avx2");
  const bool cpu_avx512 = HasFlag(flags, "avx512bw") && HasFlag(flags, "avx512f");
  const bool cpu_avx512vl = cpu_avx512 && HasFlag(flags, "avx512vl");
  const bool on_cpu[] = {true, cpu_avx2, cpu_avx512vl, cpu_avx512};  // kImpls' order

  std::mt19937 rng(5);
  const std::string text = RandomText(rng, 300);
  std::string ran;
  for (size_t i = 0; i < std::size(kImpls); ++i) {
    const SeparatorIndexImpl impl = kImpls[i];
    EXPECT_EQ(SeparatorIndex::Supported(impl), on_cpu[i]) << SeparatorIndexImplName(impl);
    if (!SeparatorIndex::Supported(impl)) continue;
    const auto index = std::make_unique<SeparatorIndex>(impl);
    ASSERT_EQ(index->impl(), impl);
    index->Build(text.data(), text.size());
    ExpectAllRangesMatch(*index, text.data(), text.size());
    ran += std::string(ran.empty() ? "" : " ") + SeparatorIndexImplName(impl);
  }
  std::printf("SeparatorIndex builders run on this CPU: %s; dispatch picks %s\n", ran.c_str(),
              SeparatorIndexImplName(SeparatorIndex::Best()));
  for (size_t i = 0; i < std::size(kImpls); ++i) {
    EXPECT_EQ(ran.find(SeparatorIndexImplName(kImpls[i])) != std::string::npos, on_cpu[i])
        << "ran: " << ran;
  }

  const SeparatorIndexImpl preferred = cpu_avx512vl ? SeparatorIndexImpl::kAvx512Vl
                                       : cpu_avx2   ? SeparatorIndexImpl::kAvx2
                                                    : SeparatorIndexImpl::kSse2;
  EXPECT_EQ(SeparatorIndex::Choose(nullptr), preferred);
  if (std::getenv(SeparatorIndex::kImplEnv) == nullptr) {
    EXPECT_EQ(SeparatorIndex::Best(), preferred);
    EXPECT_EQ(std::make_unique<SeparatorIndex>()->impl(), preferred);
  }
}

TEST(SeparatorIndexDispatchTest, ChoosesARequestedBuilderOnlyIfTheCpuHasIt) {
  const SeparatorIndexImpl preferred = SeparatorIndex::Choose(nullptr);
  for (SeparatorIndexImpl impl : kImpls) {
    EXPECT_EQ(SeparatorIndex::Choose(SeparatorIndexImplName(impl)),
              SeparatorIndex::Supported(impl) ? impl : preferred)
        << SeparatorIndexImplName(impl);
  }
  EXPECT_EQ(SeparatorIndex::Choose("neon"), preferred);
  EXPECT_EQ(SeparatorIndex::Choose(""), preferred);
}

}  // namespace
}  // namespace firehose::decode
