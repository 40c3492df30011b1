// SeparatorIndex against a plain byte search: every separator, every (first, last)
// range of buffers around the 16- and 64-byte block edges, and the ASCII verdict.
#include "node/decode/separator_index.h"

#include <memory>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace firehose::decode {
namespace {

constexpr char kBytes[] = {'\n', '|', ':', ','};

const char* NaiveFind(const char* first, const char* last, char c) {
  for (const char* p = first; p < last; ++p) {
    if (*p == c) return p;
  }
  return nullptr;
}

std::string RandomText(std::mt19937& rng, size_t size) {
  // Mostly letters, separators sparse as in statsd, so long separator-free runs occur.
  static constexpr char kAlphabet[] = "abcdefgh.0123456789\n|:,";
  std::string text(size, 'a');
  for (char& c : text) {
    c = rng() % 4 == 0 ? kAlphabet[rng() % (sizeof(kAlphabet) - 1)] : 'x';
  }
  return text;
}

TEST(SeparatorIndexTest, FindMatchesNaiveSearchForEveryRange) {
  std::mt19937 rng(7);
  auto index = std::make_unique<SeparatorIndex>();
  for (size_t size : {0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200}) {
    const std::string text = RandomText(rng, size);
    index->Build(text.data(), text.size());
    const char* base = text.data();
    for (size_t first = 0; first <= size; ++first) {
      for (size_t last = first; last <= size; ++last) {
        for (int s = 0; s < 4; ++s) {
          ASSERT_EQ(index->Find(base + first, base + last, static_cast<Separator>(s)),
                    NaiveFind(base + first, base + last, kBytes[s]))
              << "size " << size << " range [" << first << ", " << last << ") sep " << s;
        }
      }
    }
  }
}

TEST(SeparatorIndexTest, FindsAcrossLongRunsAndAtTheLastByte) {
  auto index = std::make_unique<SeparatorIndex>();
  std::string text(SeparatorIndex::kMaxBytes, 'x');
  text.back() = '\n';
  index->Build(text.data(), text.size());
  EXPECT_EQ(index->Find(text.data(), text.data() + text.size(), Separator::kNewline),
            text.data() + text.size() - 1);
  EXPECT_EQ(index->Find(text.data(), text.data() + text.size() - 1, Separator::kNewline),
            nullptr);
  EXPECT_EQ(index->Find(text.data(), text.data() + text.size(), Separator::kPipe), nullptr);
}

TEST(SeparatorIndexTest, ReportsNonAsciiBytesWhereverTheyAre) {
  auto index = std::make_unique<SeparatorIndex>();
  for (size_t size : {1, 16, 64, 70, 130}) {
    for (size_t at = 0; at < size; ++at) {
      std::string text(size, 'a');
      index->Build(text.data(), text.size());
      EXPECT_TRUE(index->ascii());
      text[at] = static_cast<char>(0xC3);
      index->Build(text.data(), text.size());
      EXPECT_FALSE(index->ascii()) << "size " << size << " at " << at;
    }
  }
}

TEST(SeparatorIndexTest, RebuildForgetsTheEarlierPacket) {
  auto index = std::make_unique<SeparatorIndex>();
  std::string first(100, '|');
  index->Build(first.data(), first.size());
  std::string second = "abc";
  index->Build(second.data(), second.size());
  EXPECT_EQ(index->Find(second.data(), second.data() + 3, Separator::kPipe), nullptr);
}

}  // namespace
}  // namespace firehose::decode
