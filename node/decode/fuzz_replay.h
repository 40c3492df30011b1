// Replays a libFuzzer entry point under gtest, so every *_fuzz_test runs the fuzz
// target's invariants in plain `bazel test` (and under --config=asan) without clang:
// the seed corpus, every prefix of every seed, and deterministic mutations biased
// towards the format's delimiters.
#ifndef FIREHOSE_NODE_DECODE_FUZZ_REPLAY_H_
#define FIREHOSE_NODE_DECODE_FUZZ_REPLAY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace firehose::decode::testing {

using FuzzTarget = int (*)(const uint8_t* data, size_t size);

// Every file in `dir` (a runfiles-relative path).
std::vector<std::string> LoadCorpus(const char* dir);

// Runs `target` on a heap buffer of exactly the input's size (ASan sees over-reads).
void RunOne(FuzzTarget target, const std::string& input);

// Runs every seed and every prefix of it.
void RunSeedsAndPrefixes(FuzzTarget target, const std::vector<std::string>& seeds);

// Runs `iterations` inputs made from random seeds by 1-4 mutations (overwrite, insert,
// erase), inserted bytes drawn mostly from `interesting`. Deterministic (fixed seed).
void RunMutations(FuzzTarget target, const std::vector<std::string>& seeds,
                  std::string_view interesting, int iterations);

}  // namespace firehose::decode::testing

#endif  // FIREHOSE_NODE_DECODE_FUZZ_REPLAY_H_
