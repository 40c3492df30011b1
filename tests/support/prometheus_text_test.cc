// Tests the Prometheus text parser the integration suites rely on.
#include "tests/support/prometheus_text.h"

#include "gtest/gtest.h"

namespace firehose::testing {
namespace {

TEST(PrometheusTextTest, ParsesLabelsValuesAndSums) {
  const std::string text =
      "# HELP a_total help\n# TYPE a_total counter\n"
      "a_total{queue=\"0\",reason=\"x\"} 3\n"
      "a_total{queue=\"1\",reason=\"y\\\"q\"} 4.5\n"
      "b 7\n";
  const std::vector<Sample> samples = ParsePrometheusText(text);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[1].labels.at("reason"), "y\"q");
  EXPECT_DOUBLE_EQ(SumSamples(samples, "a_total"), 7.5);
  EXPECT_DOUBLE_EQ(SumSamples(samples, "a_total", {{"reason", "x"}}), 3);
  EXPECT_DOUBLE_EQ(SumSamples(samples, "b"), 7);
  EXPECT_DOUBLE_EQ(SumSamples(samples, "missing"), 0);
}

}  // namespace
}  // namespace firehose::testing
