// Tests that the registry builds a working decoder for each known format and rejects
// unknown formats with a message an operator can act on.
#include "node/decode/decoder_registry.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "node/decode/record_sink.h"

namespace firehose::decode {
namespace {

class CountingSink : public RecordSink {
 public:
  void AddStatsd(const StatsdRecord&, const PacketMeta&) override { ++count; }
  void AddLinePoint(const LinePoint& point, const PacketMeta&) override {
    ++points;
    last_timestamp = point.timestamp_unix_nanos;
  }
  int count = 0;
  int points = 0;
  int64_t last_timestamp = 0;
};

TEST(DecoderRegistryTest, MakesStatsdDecoder) {
  absl::StatusOr<std::unique_ptr<Decoder>> decoder = MakeDecoder("statsd");
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  EXPECT_EQ((*decoder)->name(), "statsd");
  CountingSink sink;
  (*decoder)->Decode("a:1|c\nb:2|g", PacketMeta(), sink);
  EXPECT_EQ(sink.count, 2);
  EXPECT_EQ((*decoder)->records(), 2u);
}

TEST(DecoderRegistryTest, EachCallMakesAFreshDecoder) {
  auto a = MakeDecoder("statsd");
  auto b = MakeDecoder("statsd");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->get(), b->get());
  CountingSink sink;
  (*a)->Decode("x:1|c", PacketMeta(), sink);
  EXPECT_EQ((*b)->records(), 0u);  // counters are per instance (per worker)
}

TEST(DecoderRegistryTest, EveryKnownFormatIsConstructible) {
  ASSERT_FALSE(KnownDecoderFormats().empty());
  for (std::string_view format : KnownDecoderFormats()) {
    auto decoder = MakeDecoder(format);
    ASSERT_TRUE(decoder.ok()) << format;
    EXPECT_EQ((*decoder)->name(), format);
  }
}

TEST(DecoderRegistryTest, MakesFlowAndLineProtocolDecoders) {
  auto netflow = MakeDecoder("netflow");
  ASSERT_TRUE(netflow.ok()) << netflow.status();
  EXPECT_EQ((*netflow)->name(), "netflow");
  auto influx = MakeDecoder("influx_ms");
  ASSERT_TRUE(influx.ok()) << influx.status();
  CountingSink sink;
  (*influx)->Decode("cpu,host=a value=1 1700000000000", PacketMeta(), sink);
  EXPECT_EQ((*influx)->records(), 1u);
  EXPECT_EQ(sink.points, 1);
  EXPECT_EQ(sink.last_timestamp, 1700000000000LL * 1000000);
}

TEST(DecoderRegistryTest, RejectsUnknownFormat) {
  for (std::string_view format : {"netflow9", "", "STATSD", "statsd "}) {
    absl::StatusOr<std::unique_ptr<Decoder>> decoder = MakeDecoder(format);
    ASSERT_FALSE(decoder.ok()) << format;
    EXPECT_EQ(decoder.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(decoder.status().message());
    EXPECT_NE(message.find("\"" + std::string(format) + "\""), std::string::npos) << message;
    EXPECT_NE(message.find("known formats: statsd, netflow, influx"), std::string::npos)
        << message;
  }
}

}  // namespace
}  // namespace firehose::decode
