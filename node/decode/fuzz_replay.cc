// Corpus replay and deterministic mutation for the *_fuzz_test targets; see the header.
#include "node/decode/fuzz_replay.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "gtest/gtest.h"

namespace firehose::decode::testing {

std::vector<std::string> LoadCorpus(const char* dir) {
  std::vector<std::string> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return seeds;
}

void RunOne(FuzzTarget target, const std::string& input) {
  std::vector<uint8_t> buffer(input.begin(), input.end());
  ASSERT_EQ(target(buffer.data(), buffer.size()), 0);
}

void RunSeedsAndPrefixes(FuzzTarget target, const std::vector<std::string>& seeds) {
  for (const std::string& seed : seeds) {
    for (size_t len = 0; len <= seed.size(); ++len) RunOne(target, seed.substr(0, len));
  }
}

void RunMutations(FuzzTarget target, const std::vector<std::string>& seeds,
                  std::string_view interesting, int iterations) {
  ASSERT_FALSE(seeds.empty());
  std::mt19937 rng(12345);
  for (int i = 0; i < iterations; ++i) {
    std::string input = seeds[rng() % seeds.size()];
    const int mutations = 1 + rng() % 4;
    for (int m = 0; m < mutations && !input.empty(); ++m) {
      const size_t pos = rng() % input.size();
      const char c = (rng() % 4 == 0 || interesting.empty())
                         ? static_cast<char>(rng())
                         : interesting[rng() % interesting.size()];
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
    RunOne(target, input);
  }
}

}  // namespace firehose::decode::testing
