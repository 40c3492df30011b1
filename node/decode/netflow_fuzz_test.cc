// Runs the NetFlow/IPFIX fuzz target (netflow_fuzz.cc) as a regression test under plain
// `bazel test`: seeds (synthetic and captured from softflowd), their prefixes, and
// deterministic mutations biased towards the bytes that steer the parser (versions,
// set ids, lengths). Crashes found by tools/fuzz.sh are added to the corpus, so they
// replay here forever.
#include "gtest/gtest.h"
#include "node/decode/fuzz_replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace firehose::decode {
namespace {

constexpr char kCorpusDir[] = "tests/fuzz/corpus/netflow";

TEST(NetflowFuzzTest, CorpusAndPrefixes) {
  const auto seeds = testing::LoadCorpus(kCorpusDir);
  ASSERT_GE(seeds.size(), 4u) << "seed corpus missing from runfiles";
  testing::RunSeedsAndPrefixes(LLVMFuzzerTestOneInput, seeds);
}

TEST(NetflowFuzzTest, Mutations) {
  static constexpr char kInteresting[] = {0, 1, 2, 3, 4, 5, 9, 10, 0x7f, char(0x80),
                                          char(0xff), char(0xfe)};
  testing::RunMutations(LLVMFuzzerTestOneInput, testing::LoadCorpus(kCorpusDir),
                        std::string_view(kInteresting, sizeof(kInteresting)), 30000);
}

}  // namespace
}  // namespace firehose::decode
