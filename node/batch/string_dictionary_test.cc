// Tests interning, capacity limits and O(1) clearing of the per-batch dictionary.
#include "node/batch/string_dictionary.h"

#include <string>

#include "gtest/gtest.h"

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
