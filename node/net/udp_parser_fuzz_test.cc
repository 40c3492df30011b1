// Runs the UDP parser fuzz target (udp_parser_fuzz.cc) as a regression test under
// plain `bazel test`: the seed corpus, every prefix of each seed, and deterministic
// byte mutations of the seeds and of builder frames. The target aborts on any broken
// contract, which fails this test.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "tools/pcapgen/frame_builder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace firehose::net {
namespace {

constexpr char kCorpusDir[] = "tests/fuzz/corpus/udp";

// Calls the target on a heap buffer of exactly the input's size, so ASan catches
// reads past the end.
void RunOne(const std::vector<uint8_t>& input) {
  std::vector<uint8_t> buffer(input);
  ASSERT_EQ(LLVMFuzzerTestOneInput(buffer.data(), buffer.size()), 0);
}

std::vector<std::vector<uint8_t>> LoadSeeds() {
  std::vector<std::vector<uint8_t>> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(kCorpusDir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return seeds;
}

TEST(UdpParserFuzzTest, CorpusAndPrefixes) {
  std::vector<std::vector<uint8_t>> seeds = LoadSeeds();
  ASSERT_GE(seeds.size(), 5u) << "seed corpus missing from runfiles";
  for (const auto& seed : seeds) {
    for (size_t len = 0; len <= seed.size(); ++len) {
      RunOne(std::vector<uint8_t>(seed.begin(), seed.begin() + len));
    }
  }
}

TEST(UdpParserFuzzTest, Mutations) {
  std::vector<std::vector<uint8_t>> seeds = LoadSeeds();
  seeds.push_back(pcapgen::FrameBuilder().Vlan(1).Vlan(2).Payload("a:1|c").Build());
  seeds.push_back(pcapgen::FrameBuilder().Ipv6({1}, {2}).Payload("a:1|c").Build());
  // Header bytes that steer the parser: ethertypes, version/IHL, protocols, lengths.
  static constexpr uint8_t kInteresting[] = {0x00, 0x08, 0x81, 0x88, 0xa8, 0x86, 0xdd,
                                             0x45, 0x46, 0x4f, 0x60, 0x11, 0x2c, 0xff,
                                             0x20, 0x3f, 0x07, 0x08};
  std::mt19937 rng(54321);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> input = seeds[rng() % seeds.size()];
    const int mutations = 1 + rng() % 3;
    for (int m = 0; m < mutations && !input.empty(); ++m) {
      const size_t pos = rng() % std::min<size_t>(input.size(), 64);  // headers
      input[pos] = (rng() % 3 == 0) ? static_cast<uint8_t>(rng())
                                    : kInteresting[rng() % sizeof(kInteresting)];
    }
    if (rng() % 4 == 0) input.resize(rng() % (input.size() + 1));
    RunOne(input);
  }
}

}  // namespace
}  // namespace firehose::net
