// Tests for the rule helpers ingestd's config reader and validator share: the exact
// message shapes (other tests and the docs quote them), range edges, names, and the
// host:port forms the listen fields accept.
#include "node/config/config_rules.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace firehose::config {
namespace {

TEST(ConfigRulesTest, PathsJoinFieldsAndIndexes) {
  EXPECT_EQ(JoinPath("", "node_id"), "node_id");
  EXPECT_EQ(JoinPath("grpc", "tls"), "grpc.tls");
  EXPECT_EQ(IndexPath("ports", 3), "ports[3]");
  EXPECT_EQ(JoinPath(IndexPath("ports", 0), "device"), "ports[0].device");
}

TEST(ConfigRulesTest, FieldErrorNamesFileThenPath) {
  absl::Status with_path = FieldError("a.yaml", "batch.max_bytes", "too big");
  EXPECT_EQ(with_path.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(with_path.message(), "a.yaml: batch.max_bytes: too big");
  // The document as a whole has no path: no empty ": :" in the message.
  EXPECT_EQ(FieldError("a.yaml", "", "holds 2 YAML documents").message(),
            "a.yaml: holds 2 YAML documents");
}

TEST(ConfigRulesTest, QuoteWrapsInDoubleQuotes) {
  EXPECT_EQ(Quote("eth0"), "\"eth0\"");
  EXPECT_EQ(Quote(""), "\"\"");
}

TEST(ConfigRulesTest, RangeBoundsAreInclusive) {
  constexpr Range kOneToTen{1, 10};
  EXPECT_FALSE(InRange(kOneToTen, 0));
  EXPECT_TRUE(InRange(kOneToTen, 1));
  EXPECT_TRUE(InRange(kOneToTen, 10));
  EXPECT_FALSE(InRange(kOneToTen, 11));
  EXPECT_TRUE(InRange(kReplayBytes, 0));
  EXPECT_TRUE(InRange(kReplayBytes, 16ull << 30));
  EXPECT_FALSE(InRange(kReplayBytes, std::numeric_limits<uint64_t>::max()));
  EXPECT_FALSE(InRange(kSubscriberQueueBytes, (64 << 10) - 1));
  EXPECT_TRUE(InRange(kSubscriberQueueBytes, 16ull << 30));
}

TEST(ConfigRulesTest, PowerOfTwoRangesRejectOtherValuesInside) {
  EXPECT_TRUE(InRange(kRxDescriptors, 64));
  EXPECT_TRUE(InRange(kRxDescriptors, 1024));
  EXPECT_TRUE(InRange(kRxDescriptors, 16384));
  EXPECT_FALSE(InRange(kRxDescriptors, 1000));
  EXPECT_FALSE(InRange(kRxDescriptors, 32));
  EXPECT_FALSE(InRange(kRxDescriptors, 32768));
  // Zero is no power of two, even where the range would allow it.
  EXPECT_FALSE(InRange(Range{0, 8, true}, 0));
}

TEST(ConfigRulesTest, RangeMessagesSayWhatIsAllowedAndWhatCame) {
  EXPECT_EQ(RangeText(kRxQueues), "must be between 1 and 64");
  EXPECT_EQ(RangeText(kHandoffRing), "must be a power of two between 2 and 65536");
  EXPECT_TRUE(CheckRange("x.yaml", "ports[0].rx_queues", kRxQueues, 64).ok());
  EXPECT_EQ(CheckRange("x.yaml", "ports[0].rx_queues", kRxQueues, 65).message(),
            "x.yaml: ports[0].rx_queues: must be between 1 and 64, got 65");
  EXPECT_EQ(CheckRange("x.yaml", "handoff_ring_batches", kHandoffRing, 100).message(),
            "x.yaml: handoff_ring_batches: must be a power of two between 2 and 65536, got 100");
  // Text that no integer type holds is shown as written.
  EXPECT_EQ(RangeError("x.yaml", "lcores.main", kLcore, "99999999999999999999999").message(),
            "x.yaml: lcores.main: must be between 0 and 127, got 99999999999999999999999");
}

TEST(ConfigRulesTest, EveryRangeFitsTheFieldItBounds) {
  // The reader stores a value that passed its Range with a plain cast.
  EXPECT_LE(kRxQueues.max, std::numeric_limits<uint16_t>::max());
  EXPECT_LE(kRxDescriptors.max, std::numeric_limits<uint16_t>::max());
  EXPECT_LE(kUdpPort.max, std::numeric_limits<uint16_t>::max());
  for (const Range& range :
       {kLcore, kMaxRecords, kMaxBytes, kMaxDelayUs, kHandoffRing, kMbufs, kMbufCache,
        kSubscriberQueue, kHeartbeatMs, kKernelWorkers, kRcvbuf, kRecvBatch}) {
    EXPECT_LE(range.max, std::numeric_limits<uint32_t>::max());
    EXPECT_LE(range.min, range.max);
  }
}

TEST(ConfigRulesTest, DigitsAreOnlyUnsignedDecimal) {
  EXPECT_TRUE(IsDigits("0"));
  EXPECT_TRUE(IsDigits("08125"));
  EXPECT_FALSE(IsDigits(""));
  EXPECT_FALSE(IsDigits("-5"));
  EXPECT_FALSE(IsDigits("+5"));
  EXPECT_FALSE(IsDigits("1.5"));
  EXPECT_FALSE(IsDigits("80x"));
}

TEST(ConfigRulesTest, SafeNamesAreShortAndPlain) {
  EXPECT_TRUE(IsSafeName("node-b.dc1_x"));
  EXPECT_TRUE(IsSafeName(std::string(64, 'n')));
  EXPECT_FALSE(IsSafeName(std::string(65, 'n')));
  EXPECT_FALSE(IsSafeName(""));
  EXPECT_FALSE(IsSafeName("node a"));
  EXPECT_FALSE(IsSafeName("a/b"));
  EXPECT_FALSE(IsSafeName("caf\xc3\xa9"));
  EXPECT_TRUE(CheckSafeName("x.yaml", "node_id", "n1").ok());
  EXPECT_EQ(CheckSafeName("x.yaml", "eal.file_prefix", "a/b").message(),
            "x.yaml: eal.file_prefix: must be 1 to 64 of the characters A-Z a-z 0-9 . _ -, got "
            "\"a/b\"");
}

TEST(ConfigRulesTest, HostPortAcceptsNamesIpv4AndBracketedIpv6) {
  std::optional<HostPort> v4 = ParseHostPort("127.0.0.1:50051");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 50051);
  std::optional<HostPort> name = ParseHostPort("ingest-a.dc_1:9100");
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->host, "ingest-a.dc_1");
  // A zone is taken by number only: the host check allows hex digits, ':', '.', '%'.
  std::optional<HostPort> v6 = ParseHostPort("[fe80::1%2]:65535");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "fe80::1%2");  // without the brackets
  EXPECT_EQ(v6->port, 65535);
  // Port 0: the kernel picks one.
  std::optional<HostPort> any = ParseHostPort("[::]:0");
  ASSERT_TRUE(any.has_value());
  EXPECT_EQ(any->host, "::");
  EXPECT_EQ(any->port, 0);
}

TEST(ConfigRulesTest, HostPortRejectsWhatCannotBeListenedOn) {
  for (const char* bad :
       {"", "localhost", ":50051", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:123456",
        "127.0.0.1:-1", "127.0.0.1:+80", "::1:50051", "[::1]", "[::1]:", "[::1]50051", "[]:1",
        "[zz]:1", "[::1:80", "a b:80", "a/b:80"}) {
    EXPECT_FALSE(ParseHostPort(bad).has_value()) << bad;
  }
}

TEST(ConfigRulesTest, WildcardAndLoopbackHosts) {
  EXPECT_TRUE(IsWildcardHost("0.0.0.0"));
  EXPECT_TRUE(IsWildcardHost("::"));
  EXPECT_TRUE(IsWildcardHost("0:0:0:0:0:0:0:0"));
  EXPECT_FALSE(IsWildcardHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("1270.0.0.1"));
}

}  // namespace
}  // namespace firehose::config
