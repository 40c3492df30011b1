// Runs the statsd fuzz target (statsd_fuzz.cc) as a regression test under plain
// `bazel test`: the seed corpus, every prefix of each seed, and a few thousand
// deterministic mutations biased towards the grammar's delimiters. The target aborts
// on any broken invariant, which fails this test.
#include "gtest/gtest.h"
#include "node/decode/fuzz_replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace firehose::decode {
namespace {

constexpr char kCorpusDir[] = "tests/fuzz/corpus/statsd";

TEST(StatsdFuzzTest, CorpusAndPrefixes) {
  const auto seeds = testing::LoadCorpus(kCorpusDir);
  ASSERT_GE(seeds.size(), 3u) << "seed corpus missing from runfiles";
  testing::RunSeedsAndPrefixes(LLVMFuzzerTestOneInput, seeds);
}

TEST(StatsdFuzzTest, Mutations) {
  testing::RunMutations(LLVMFuzzerTestOneInput, testing::LoadCorpus(kCorpusDir),
                        ":|@#,\n\r+-.e0_{}c T", 20000);
}

}  // namespace
}  // namespace firehose::decode
