// Runs the line-protocol fuzz target (influx_fuzz.cc) as a regression test under plain
// `bazel test`: seeds, prefixes, and deterministic mutations biased towards the
// protocol's delimiters and escapes.
#include "gtest/gtest.h"
#include "node/decode/fuzz_replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace firehose::decode {
namespace {

constexpr char kCorpusDir[] = "tests/fuzz/corpus/influx";

TEST(InfluxFuzzTest, CorpusAndPrefixes) {
  const auto seeds = testing::LoadCorpus(kCorpusDir);
  ASSERT_GE(seeds.size(), 3u) << "seed corpus missing from runfiles";
  testing::RunSeedsAndPrefixes(LLVMFuzzerTestOneInput, seeds);
}

TEST(InfluxFuzzTest, Mutations) {
  testing::RunMutations(LLVMFuzzerTestOneInput, testing::LoadCorpus(kCorpusDir),
                        ",= \"\\\n\r#iutTfF0-.e", 20000);
}

}  // namespace
}  // namespace firehose::decode
