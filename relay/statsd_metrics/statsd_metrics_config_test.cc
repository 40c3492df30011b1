// Tests that the `statsd_metrics:` section reads the contract's example exactly and
// refuses bad input with messages naming the file and the field.
#include "relay/statsd_metrics/statsd_metrics_config.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace firehose::relay {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<StatsdMetricsConfig> Read(const std::string& yaml) {
  YAML::Node root = YAML::Load(yaml);
  return ReadStatsdMetricsConfig(root["statsd_metrics"], "relay.yaml");
}

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<StatsdMetricsConfig> config = Read(yaml);
  EXPECT_FALSE(config.ok()) << yaml;
  return config.ok() ? "" : std::string(config.status().message());
}

TEST(StatsdMetricsConfigTest, ReadsTheContractExample) {
  absl::StatusOr<StatsdMetricsConfig> config = Read(R"(
relay_id: relay-0
statsd_metrics:
  enabled: true
  histogram_buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
  timer_unit: milliseconds
  mappings:
    - match: "api.*.requests"
      name: "api_requests_total"
      labels: {endpoint: "$1"}
  max_series: 100000
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->enabled);
  EXPECT_EQ(config->histogram_buckets,
            (std::vector<double>{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}));
  EXPECT_EQ(config->timer_unit, TimerUnit::kMilliseconds);
  ASSERT_EQ(config->mappings.size(), 1u);
  EXPECT_EQ(config->mappings[0].match, "api.*.requests");
  EXPECT_EQ(config->mappings[0].name, "api_requests_total");
  EXPECT_EQ(config->mappings[0].labels, (std::map<std::string, std::string>{{"endpoint", "$1"}}));
  EXPECT_EQ(config->max_series, 100000u);
}

TEST(StatsdMetricsConfigTest, AbsentOrEmptySectionGivesDefaults) {
  for (const char* yaml : {"relay_id: r\n", "statsd_metrics:\n", "statsd_metrics: {}\n"}) {
    absl::StatusOr<StatsdMetricsConfig> config = Read(yaml);
    ASSERT_TRUE(config.ok()) << yaml << ": " << config.status();
    EXPECT_FALSE(config->enabled);
    EXPECT_EQ(config->histogram_buckets.size(), 11u);
    EXPECT_EQ(config->timer_unit, TimerUnit::kMilliseconds);
    EXPECT_TRUE(config->mappings.empty());
    EXPECT_EQ(config->max_series, 100000u);
  }
}

TEST(StatsdMetricsConfigTest, OtherTimerUnits) {
  absl::StatusOr<StatsdMetricsConfig> config = Read("statsd_metrics: {timer_unit: seconds}\n");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->timer_unit, TimerUnit::kSeconds);
  config = Read("statsd_metrics: {timer_unit: microseconds}\n");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->timer_unit, TimerUnit::kMicroseconds);
}

TEST(StatsdMetricsConfigTest, ErrorsNameFileAndField) {
  EXPECT_EQ(ErrorOf(R"(
statsd_metrics:
  mappings:
    - {match: "a.*", name: "a_total"}
    - {match: "b.*", name: "b_total"}
    - {match: "c.*", name: "9bad"}
)"),
            "relay.yaml: statsd_metrics.mappings[2].name: \"9bad\" is not a valid metric name");
  EXPECT_EQ(ErrorOf("statsd_metrics: {enabeld: true}\n"),
            "relay.yaml: statsd_metrics: unknown field \"enabeld\" (did you mean \"enabled\"?)");
  EXPECT_THAT(ErrorOf("statsd_metrics: {colour: red}\n"),
              HasSubstr("statsd_metrics: unknown field \"colour\" (expected one of: enabled, "));
  EXPECT_EQ(ErrorOf("statsd_metrics: {enabled: yes please}\n"),
            "relay.yaml: statsd_metrics.enabled: must be true or false, got \"yes please\"");
  EXPECT_EQ(ErrorOf("statsd_metrics: {timer_unit: hours}\n"),
            "relay.yaml: statsd_metrics.timer_unit: must be one of nanoseconds, microseconds, "
            "milliseconds, seconds; got \"hours\"");
  EXPECT_EQ(ErrorOf("statsd_metrics: {max_series: 0}\n"),
            "relay.yaml: statsd_metrics.max_series: must be between 1 and 10000000, got 0");
  EXPECT_EQ(ErrorOf("statsd_metrics: {max_series: -5}\n"),
            "relay.yaml: statsd_metrics.max_series: must be a whole number, got \"-5\"");
  EXPECT_EQ(ErrorOf("statsd_metrics: {histogram_buckets: [1, 0.5]}\n"),
            "relay.yaml: statsd_metrics.histogram_buckets[1]: bounds must increase strictly, "
            "got 0.5 after 1");
  EXPECT_EQ(
      ErrorOf("statsd_metrics: {histogram_buckets: [0.1, fast]}\n"),
      "relay.yaml: statsd_metrics.histogram_buckets[1]: must be a finite number, got \"fast\"");
  EXPECT_EQ(
      ErrorOf("statsd_metrics: {histogram_buckets: [.inf]}\n"),
      "relay.yaml: statsd_metrics.histogram_buckets[0]: must be a finite number, got \".inf\"");
  EXPECT_EQ(ErrorOf("statsd_metrics: {histogram_buckets: []}\n"),
            "relay.yaml: statsd_metrics.histogram_buckets: must list 1 to 64 bucket bounds, got 0");
  EXPECT_EQ(
      ErrorOf("statsd_metrics: {histogram_buckets: 5}\n"),
      "relay.yaml: statsd_metrics.histogram_buckets: must be a list of numbers, got a scalar");
  EXPECT_EQ(ErrorOf("statsd_metrics: [1, 2]\n"),
            "relay.yaml: statsd_metrics: must be a map of fields, got a list");
}

TEST(StatsdMetricsConfigTest, MappingErrors) {
  EXPECT_EQ(ErrorOf("statsd_metrics: {mappings: [{match: \"a.*\", nam: x}]}\n"),
            "relay.yaml: statsd_metrics.mappings[0]: unknown field \"nam\" (did you mean "
            "\"name\"?)");
  EXPECT_EQ(ErrorOf("statsd_metrics: {mappings: [{match: \"a.*\"}]}\n"),
            "relay.yaml: statsd_metrics.mappings[0]: field \"name\" is required");
  EXPECT_EQ(ErrorOf("statsd_metrics: {mappings: [{name: x}]}\n"),
            "relay.yaml: statsd_metrics.mappings[0]: field \"match\" is required");
  EXPECT_EQ(ErrorOf("statsd_metrics: {mappings: [{match: \"a.b*\", name: x}]}\n"),
            "relay.yaml: statsd_metrics.mappings[0].match: \"a.b*\": '*' must be a whole "
            "dot-separated component");
  EXPECT_EQ(ErrorOf("statsd_metrics: {mappings: [{match: \"a..b\", name: x}]}\n"),
            "relay.yaml: statsd_metrics.mappings[0].match: \"a..b\" has an empty component");
  EXPECT_EQ(ErrorOf("statsd_metrics: {mappings: [{match: \"a.*\", name: \"x_$2\"}]}\n"),
            "relay.yaml: statsd_metrics.mappings[0].name: \"x_$2\" uses $2 but the match has 1 "
            "'*' component(s)");
  EXPECT_EQ(ErrorOf("statsd_metrics: {mappings: [{match: \"a.*\", name: \"x_$\"}]}\n"),
            "relay.yaml: statsd_metrics.mappings[0].name: \"x_$\": '$' must be followed by a "
            "capture number 1-9");
  EXPECT_EQ(ErrorOf("statsd_metrics: {mappings: [{match: \"a.*\", name: \"x-y\"}]}\n"),
            "relay.yaml: statsd_metrics.mappings[0].name: \"x-y\" is not a valid metric name");
  EXPECT_EQ(
      ErrorOf("statsd_metrics: {mappings: [{match: \"a.*\", name: x, labels: {__k: \"$1\"}}]}\n"),
      "relay.yaml: statsd_metrics.mappings[0].labels: \"__k\" is not a valid label name");
  EXPECT_EQ(
      ErrorOf("statsd_metrics: {mappings: [{match: \"a.*\", name: x, labels: {k: \"$3\"}}]}\n"),
      "relay.yaml: statsd_metrics.mappings[0].labels.k: \"$3\" uses $3 but the match has 1 "
      "'*' component(s)");
  EXPECT_EQ(ErrorOf("statsd_metrics: {mappings: [{match: \"a.*\", name: x, labels: [k]}]}\n"),
            "relay.yaml: statsd_metrics.mappings[0].labels: must be a map of label name to "
            "value, got a list");
  EXPECT_EQ(ErrorOf("statsd_metrics: {mappings: {match: a}}\n"),
            "relay.yaml: statsd_metrics.mappings: must be a list of mappings, got a map");
}

TEST(StatsdMetricsConfigTest, ValidateAppliesToConfigsBuiltInCode) {
  StatsdMetricsConfig config;
  EXPECT_TRUE(ValidateStatsdMetricsConfig(config, "code").ok());
  config.mappings.push_back({"x.*", "ok_$1", {{"a-b", "v"}}});
  EXPECT_EQ(ValidateStatsdMetricsConfig(config, "code").message(),
            "code: statsd_metrics.mappings[0].labels: \"a-b\" is not a valid label name");
}

}  // namespace
}  // namespace firehose::relay
