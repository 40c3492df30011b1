// Runs the statsd fuzz target (statsd_fuzz.cc) as a regression test under plain
// `bazel test`: the seed corpus, every prefix of each seed, and a few thousand
// deterministic mutations biased towards the grammar's delimiters. The target aborts
// on any broken invariant, which fails this test.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace firehose::decode {
namespace {

constexpr char kCorpusDir[] = "tests/fuzz/corpus/statsd";

// Calls the target on a heap buffer of exactly the input's size, so ASan catches
// reads past the end.
void RunOne(const std::string& input) {
  std::vector<uint8_t> buffer(input.begin(), input.end());
  ASSERT_EQ(LLVMFuzzerTestOneInput(buffer.data(), buffer.size()), 0);
}

std::vector<std::string> LoadCorpus() {
  std::vector<std::string> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(kCorpusDir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return seeds;
}

TEST(StatsdFuzzTest, CorpusAndPrefixes) {
  std::vector<std::string> seeds = LoadCorpus();
  ASSERT_GE(seeds.size(), 3u) << "seed corpus missing from runfiles";
  for (const std::string& seed : seeds) {
    for (size_t len = 0; len <= seed.size(); ++len) RunOne(seed.substr(0, len));
  }
}

TEST(StatsdFuzzTest, Mutations) {
  std::vector<std::string> seeds = LoadCorpus();
  ASSERT_FALSE(seeds.empty());
  static constexpr char kInteresting[] = ":|@#,\n\r+-.e0_{}c T";
  std::mt19937 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    std::string input = seeds[rng() % seeds.size()];
    const int mutations = 1 + rng() % 4;
    for (int m = 0; m < mutations && !input.empty(); ++m) {
      const size_t pos = rng() % input.size();
      const char c = (rng() % 4 == 0) ? static_cast<char>(rng())
                                      : kInteresting[rng() % (sizeof(kInteresting) - 1)];
      switch (rng() % 3) {
        case 0:
          input[pos] = c;
          break;
        case 1:
          input.insert(input.begin() + pos, c);
          break;
        default:
          input.erase(pos, 1 + rng() % 8);
          break;
      }
    }
    RunOne(input);
  }
}

}  // namespace
}  // namespace firehose::decode
