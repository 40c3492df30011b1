// Tests interning, capacity limits, O(1) clearing, keys at the inline-head edges, forced
// hash collisions and probe lengths on the bench's names for the per-batch dictionary.
#include "node/batch/string_dictionary.h"

#include <nmmintrin.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tools/pcapgen/statsd_capture.h"

namespace firehose::batch {
namespace {

TEST(StringDictionaryTest, InternsOncePerDistinctString) {
  StringDictionary dict(16, 1024);
  EXPECT_EQ(dict.Intern(""), 0u);
  const uint32_t a = dict.Intern("cpu.load");
  const uint32_t b = dict.Intern("env:prod");
  EXPECT_NE(a, b);
  EXPECT_NE(a, 0u);
  EXPECT_EQ(dict.Intern("cpu.load"), a);
  EXPECT_EQ(dict.Get(a), "cpu.load");
  EXPECT_EQ(dict.Get(b), "env:prod");
  EXPECT_EQ(dict.Get(0), "");
  EXPECT_EQ(dict.size(), 3u);
  EXPECT_EQ(dict.bytes_used(), 16u);
}

TEST(StringDictionaryTest, RefusesWhenStringsOrBytesRunOut) {
  StringDictionary by_count(3, 1024);  // "" + two strings
  EXPECT_NE(by_count.Intern("a"), StringDictionary::kNotAdded);
  EXPECT_NE(by_count.Intern("b"), StringDictionary::kNotAdded);
  EXPECT_EQ(by_count.Intern("c"), StringDictionary::kNotAdded);
  EXPECT_NE(by_count.Intern("a"), StringDictionary::kNotAdded);  // known: still found

  StringDictionary by_bytes(100, 8);
  EXPECT_NE(by_bytes.Intern("12345"), StringDictionary::kNotAdded);
  EXPECT_EQ(by_bytes.Intern("6789"), StringDictionary::kNotAdded);
  EXPECT_NE(by_bytes.Intern("678"), StringDictionary::kNotAdded);
}

TEST(StringDictionaryTest, ClearForgetsEverythingAcrossManyGenerations) {
  StringDictionary dict(64, 4096);
  for (int round = 0; round < 1000; ++round) {
    for (int i = 0; i < 40; ++i) {
      const std::string s = "metric." + std::to_string(round) + "." + std::to_string(i);
      const uint32_t index = dict.Intern(s);
      ASSERT_EQ(index, static_cast<uint32_t>(i + 1));
      ASSERT_EQ(dict.Get(index), s);
    }
    dict.Clear();
    ASSERT_EQ(dict.size(), 1u);
  }
}

}  // namespace
}  // namespace firehose::batch

namespace firehose::batch {
namespace {

TEST(StringDictionaryTest, GenerationWrapDoesNotResurrectOldStrings) {
  StringDictionary dict(8, 64);
  ASSERT_EQ(dict.Intern("old"), 1u);
  // 16-bit generations wrap after 65536 clears; a stale slot must not match again.
  for (int i = 0; i < 70000; ++i) dict.Clear();
  EXPECT_EQ(dict.size(), 1u);
  EXPECT_EQ(dict.Intern("new"), 1u);
  EXPECT_EQ(dict.Intern("old"), 2u);
  EXPECT_EQ(dict.Get(1), "new");
}

TEST(StringDictionaryTest, CapsStringCountAtSixteenBitIndexes) {
  StringDictionary dict(1u << 20, 1u << 22);
  uint32_t added = 0;
  for (uint32_t i = 0; i < 70000; ++i) {
    if (dict.Intern(std::to_string(i)) != StringDictionary::kNotAdded) ++added;
  }
  EXPECT_EQ(added, StringDictionary::kMaxStrings - 1);  // index 0 is the empty string
}

}  // namespace
}  // namespace firehose::batch

namespace firehose::batch {
namespace {

// Copies `s` into a heap block of exactly its size, so ASan reports any read past its
// end (a string may end at the very end of a receive buffer).
class ExactBuffer {
 public:
  explicit ExactBuffer(std::string_view s)
      : bytes_(std::make_unique<char[]>(std::max<size_t>(s.size(), 1))), size_(s.size()) {
    std::memcpy(bytes_.get(), s.data(), s.size());
  }
  std::string_view view() const { return std::string_view(bytes_.get(), size_); }

 private:
  std::unique_ptr<char[]> bytes_;
  size_t size_;
};

TEST(StringDictionaryTest, EveryLengthAroundTheInlineEdgesReadsOnlyItsOwnBytes) {
  StringDictionary dict(1024, 1 << 16);
  std::vector<std::string> keys;
  for (size_t n = 1; n <= 72; ++n) {  // head words up to 16 bytes, arena beyond
    std::string base;
    for (size_t i = 0; i < n; ++i) base += static_cast<char>('a' + i % 26);
    keys.push_back(base);
    std::string last = base;  // differs only in the last byte
    last.back() = 'Z';
    keys.push_back(last);
    if (n > 1) {
      std::string first = base;  // differs only in the first byte
      first.front() = 'Z';
      keys.push_back(first);
    }
  }
  std::vector<uint32_t> indexes;
  for (const std::string& k : keys) {
    const ExactBuffer buffer(k);
    indexes.push_back(dict.Intern(buffer.view()));
    ASSERT_EQ(indexes.back(), indexes.size()) << k;  // all distinct, dense
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    const ExactBuffer buffer(keys[i]);
    ASSERT_EQ(dict.Intern(buffer.view()), indexes[i]) << keys[i];
    ASSERT_EQ(dict.Get(indexes[i]), keys[i]);
  }
  EXPECT_EQ(dict.size(), keys.size() + 1);
}

// The batcher's pattern: builders take turns on one worker's table, each cleared before
// its turn; a string interned by one batch must not be found by the next.
TEST(StringDictionaryTest, DictionariesSharingATableTakeTurns) {
  ProbeTable table(64);
  StringDictionary a(64, 4096, &table);
  StringDictionary b(64, 4096, &table);
  for (int round = 0; round < 3; ++round) {
    a.Clear();
    EXPECT_EQ(a.Intern("env:prod"), 1u);
    EXPECT_EQ(a.Intern("api.http.request.duration.p95.service_12"), 2u);
    EXPECT_EQ(a.Intern("env:prod"), 1u);
    b.Clear();
    EXPECT_EQ(b.Intern("api.http.request.duration.p95.service_12"), 1u);
    EXPECT_EQ(b.Intern("host:web-1"), 2u);
    EXPECT_EQ(b.Intern("env:prod"), 3u);
    EXPECT_EQ(b.Get(3), "env:prod");
    EXPECT_EQ(a.Get(2), "api.http.request.duration.p95.service_12");  // a's bytes kept
  }
}

// A refused string leaves no trace: no slot claims it, so the next lookup refuses it
// again rather than returning an index for bytes that were never stored.
TEST(StringDictionaryTest, RefusalLeavesNothingBehind) {
  const std::string name = "api.http.request.duration.p95.service_1234";  // 42 bytes
  StringDictionary dict(8, 49);
  ASSERT_EQ(dict.Intern("env:prod"), 1u);
  EXPECT_EQ(dict.Intern(name), StringDictionary::kNotAdded);  // 8 + 42 > 49
  EXPECT_EQ(dict.Intern(name), StringDictionary::kNotAdded);
  EXPECT_EQ(dict.size(), 2u);
  EXPECT_EQ(dict.bytes_used(), 8u);
  EXPECT_EQ(dict.Intern("host:web-1"), 2u);
  EXPECT_EQ(dict.Get(2), "host:web-1");
  EXPECT_EQ(dict.Intern("env:prod"), 1u);
  dict.Clear();
  EXPECT_EQ(dict.Intern(name), 1u);
  EXPECT_EQ(dict.Get(1), name);
}

TEST(StringDictionaryTest, ZeroBytesAreDataNotPadding) {
  StringDictionary dict(16, 1024);
  const std::string a("a", 1);
  const std::string a0("a\0", 2);
  const std::string a00000000("a\0\0\0\0\0\0\0", 8);
  const std::string zero16(16, '\0');
  const std::string zero15(15, '\0');
  const uint32_t ia = dict.Intern(a);
  const uint32_t ia0 = dict.Intern(a0);
  const uint32_t ia8 = dict.Intern(a00000000);
  const uint32_t iz16 = dict.Intern(zero16);
  const uint32_t iz15 = dict.Intern(zero15);
  EXPECT_EQ(dict.size(), 6u);
  EXPECT_EQ(dict.Intern(a), ia);
  EXPECT_EQ(dict.Intern(a0), ia0);
  EXPECT_EQ(dict.Intern(a00000000), ia8);
  EXPECT_EQ(dict.Intern(zero16), iz16);
  EXPECT_EQ(dict.Intern(zero15), iz15);
  EXPECT_EQ(dict.Get(ia0), a0);
  EXPECT_EQ(dict.Get(iz16), zero16);
}

// CRC32-C of a word is linear: a word d = low | crc32(0, low) << 32 hashes to zero from
// a zero state, so XOR-ing d into any aligned word of a key leaves its hash unchanged.
uint64_t CrcNeutralWord(uint32_t low) { return low | uint64_t{_mm_crc32_u32(0, low)} << 32; }

std::string XorWord(std::string s, size_t at, uint64_t d) {
  uint64_t w;
  std::memcpy(&w, s.data() + at, 8);
  w ^= d;
  std::memcpy(s.data() + at, &w, 8);
  return s;
}

TEST(StringDictionaryTest, FullHashCollisionsAreToldApartByTheBytes) {
  StringDictionary dict(64, 4096);
  const std::string shorter = "host:web-12.eu-1";                           // 16 bytes
  const std::string longer = "api.http.request.duration.p95.service_1234";  // tail words
  const std::string longest =  // 64 bytes: no overlapping last word
      "gateway.kafka.consumer.requests.count.p50.service_1499.extra.xyz";
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {shorter, XorWord(shorter, 0, CrcNeutralWord(0x01020304))},
      {shorter, XorWord(shorter, 8, CrcNeutralWord(0x0a0b0c0d))},
      {longer, XorWord(longer, 0, CrcNeutralWord(0x11223344))},
      {longer, XorWord(longer, 16, CrcNeutralWord(0x55667788))},
      {longer, XorWord(longer, 24, CrcNeutralWord(0x99aabbcc))},
      {longest, XorWord(longest, 0, CrcNeutralWord(0x12345678))},
      {longest, XorWord(longest, 48, CrcNeutralWord(0x9abcdef0))},
  };
  ASSERT_EQ(longest.size(), 64u);
  for (const auto& [a, b] : pairs) {
    ASSERT_NE(a, b);
    dict.Clear();
    const uint32_t ia = dict.Intern(a);
    const uint32_t ib = dict.Intern(b);
    EXPECT_EQ(ia, 1u);
    EXPECT_EQ(ib, 2u);
    // Same hash: b sits in the slot after a's home.
    EXPECT_EQ(dict.ProbeLength(a), 1u);
    EXPECT_EQ(dict.ProbeLength(b), 2u);
    EXPECT_EQ(dict.Intern(a), ia);
    EXPECT_EQ(dict.Intern(b), ib);
    EXPECT_EQ(dict.Get(ib), b);
  }
}

}  // namespace
}  // namespace firehose::batch

namespace firehose::batch {
namespace {

// The fraction of slots `keys` strings fill in the table ProbeTable sizes for max_strings.
double Load(size_t keys, uint32_t max_strings) {
  return static_cast<double>(keys) / (2 * std::bit_ceil(max_strings));
}

// Mean and worst probe length of `keys` once all are interned.
std::pair<double, uint32_t> ProbeStats(const std::vector<std::string>& keys, uint32_t max_strings) {
  StringDictionary dict(max_strings + 1, 1 << 22);  // + the empty string
  for (const std::string& k : keys) EXPECT_NE(dict.Intern(k), StringDictionary::kNotAdded);
  double total = 0;
  uint32_t worst = 0;
  for (const std::string& k : keys) {
    const uint32_t probes = dict.ProbeLength(k);
    total += probes;
    worst = std::max(worst, probes);
  }
  return {total / static_cast<double>(keys.size()), worst};
}

// Linear probing with a random hash at load a finds a present key in (1 + 1/(1-a))/2
// probes on average; the hash must come close on the names the bench replays, which
// differ from each other only in a few words and a suffix number.
TEST(StringDictionaryTest, ProbesStayShortOnTheBenchNamePopulation) {
  pcapgen::StatsdCaptureOptions options;
  auto generator = pcapgen::StatsdCaptureGenerator::Create(options);
  ASSERT_TRUE(generator.ok());
  std::vector<std::string> keys = generator->names();
  for (int i = 0; i < 64; ++i) keys.push_back("host:web-" + std::to_string(i));
  for (int i = 0; i < 16; ++i) keys.push_back("service:api-" + std::to_string(i));
  // Sized so the table is about 40 % full: a hard case, not the sparse table of a real
  // batch.
  const uint32_t max_strings = static_cast<uint32_t>(keys.size());
  const double load = Load(keys.size(), max_strings + 1);
  const double ideal = (1 + 1 / (1 - load)) / 2;
  const auto [mean, worst] = ProbeStats(keys, max_strings);
  std::printf("bench names: load %.2f, mean probes %.3f (random hash %.3f), worst %u\n", load, mean,
              ideal, worst);
  EXPECT_LT(mean, ideal * 1.15) << "load " << load;
  EXPECT_LE(worst, 16u);
}

TEST(StringDictionaryTest, ProbesStayShortOnNamesDifferingOnlyInASuffixDigit) {
  for (const std::string prefix : {"m_", "web.http.request.duration.p99.service_"}) {
    std::vector<std::string> keys;
    for (int i = 0; i < 6000; ++i) keys.push_back(prefix + std::to_string(i));
    const double load = Load(6000, 6001);
    const double ideal = (1 + 1 / (1 - load)) / 2;
    const auto [mean, worst] = ProbeStats(keys, 6000);
    std::printf("%s<i>: load %.2f, mean probes %.3f (random hash %.3f), worst %u\n", prefix.c_str(),
                load, mean, ideal, worst);
    EXPECT_LT(mean, ideal * 1.15) << prefix << " load " << load;
    EXPECT_LE(worst, 16u) << prefix;
  }
}

}  // namespace
}  // namespace firehose::batch
