// Tests for IsValidUtf8 at the RFC 3629 boundaries, on both sides of the 8-byte ASCII
// fast path.
#include "node/decode/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace firehose::decode {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  for (const std::string s : {"", "plain ascii metric.name", "é", "température", "€",
                              "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf",
                              "0123456789abcdef\xc3\xa9tail"}) {
    EXPECT_TRUE(IsValidUtf8(s)) << s;
  }
}

TEST(Utf8Test, RejectsMalformedText) {
  for (const std::string s : {"\xff", "\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf",
                              "\xed\xa0\x80", "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80",
                              "\xf5\x80\x80\x80", "\xc3", "\xe2\x82", "\xc3\x28",
                              "0123456789abcdef\xff", "01234567\xe2\x82"}) {
    EXPECT_FALSE(IsValidUtf8(s)) << s.size();
  }
}

}  // namespace
}  // namespace firehose::decode
