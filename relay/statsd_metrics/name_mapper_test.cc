// Tests the mapping rules (glob per component, $n captures, first match wins) and the
// sanitizing of unmatched names and tag keys.
#include "relay/statsd_metrics/name_mapper.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "relay/statsd_metrics/metric_names.h"

namespace firehose::relay {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string Sanitized(absl::string_view name) {
  std::string out;
  EXPECT_TRUE(AppendSanitizedMetricName(name, &out));
  return out;
}

std::string SanitizedLabel(absl::string_view name) {
  std::string out;
  EXPECT_TRUE(AppendSanitizedLabelName(name, &out));
  return out;
}

TEST(MetricNamesTest, Validity) {
  EXPECT_TRUE(IsValidMetricName("api_requests_total"));
  EXPECT_TRUE(IsValidMetricName("job:rate5m"));
  EXPECT_TRUE(IsValidMetricName("_x"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("9bad"));
  EXPECT_FALSE(IsValidMetricName("a.b"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_TRUE(IsValidLabelName("endpoint"));
  EXPECT_FALSE(IsValidLabelName("__name__"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("1a"));
}

TEST(MetricNamesTest, Sanitizing) {
  EXPECT_EQ(Sanitized("api.requests"), "api_requests");
  EXPECT_EQ(Sanitized("my-app.latency:p99"), "my_app_latency_p99");
  EXPECT_EQ(Sanitized("5xx.count"), "_5xx_count");
  EXPECT_EQ(Sanitized("caf\xc3\xa9"), "caf__");  // each byte of the UTF-8 'é'
  EXPECT_EQ(SanitizedLabel("env"), "env");
  EXPECT_EQ(SanitizedLabel("k8s.pod-name"), "k8s_pod_name");
  EXPECT_EQ(SanitizedLabel("1st"), "_1st");
  EXPECT_EQ(SanitizedLabel("__name__"), "tag__name__");
  EXPECT_EQ(SanitizedLabel(".x"), "_x");
  EXPECT_EQ(SanitizedLabel("_.x"), "tag__x");
  std::string out = "keep";
  EXPECT_FALSE(AppendSanitizedMetricName("", &out));
  EXPECT_EQ(out, "keep");
}

NameMapper MapperOf(std::vector<StatsdMapping> rules) {
  absl::StatusOr<NameMapper> mapper = NameMapper::Create(rules);
  EXPECT_TRUE(mapper.ok()) << mapper.status();
  return *std::move(mapper);
}

TEST(NameMapperTest, GlobCapturesAndFirstMatchWins) {
  NameMapper mapper = MapperOf({
      {"api.*.requests", "api_requests_total", {{"endpoint", "$1"}}},
      {"api.login.*", "never_reached", {}},
      {"api.*.*", "api_$2", {{"endpoint", "$1"}, {"what", "$2-$1"}}},
      {"db.*.query.*", "db_query", {{"table", "$1"}, {"op", "$2"}}},
  });
  std::string name;
  Labels labels;
  ASSERT_TRUE(mapper.Map("api.login.requests", &name, &labels));
  EXPECT_EQ(name, "api_requests_total");
  EXPECT_EQ(labels, (Labels{{"endpoint", "login"}}));

  labels.clear();
  ASSERT_TRUE(mapper.Map("api.login.errors", &name, &labels));
  EXPECT_EQ(name, "never_reached");
  EXPECT_TRUE(labels.empty());

  labels.clear();
  ASSERT_TRUE(mapper.Map("api.sign-up.p99-latency", &name, &labels));
  // Captures are sanitized in the name but kept as sent in label values.
  EXPECT_EQ(name, "api_p99_latency");
  EXPECT_EQ(labels, (Labels{{"endpoint", "sign-up"}, {"what", "p99-latency-sign-up"}}));

  labels.clear();
  ASSERT_TRUE(mapper.Map("db.users.query.select", &name, &labels));
  EXPECT_EQ(name, "db_query");
  EXPECT_EQ(labels, (Labels{{"op", "select"}, {"table", "users"}}));
}

TEST(NameMapperTest, UnmatchedNamesAreSanitized) {
  NameMapper mapper = MapperOf({{"api.*.requests", "api_requests_total", {}}});
  std::string name;
  Labels labels;
  // One component too many or too few: no match.
  ASSERT_TRUE(mapper.Map("api.a.b.requests", &name, &labels));
  EXPECT_EQ(name, "api_a_b_requests");
  ASSERT_TRUE(mapper.Map("api.requests", &name, &labels));
  EXPECT_EQ(name, "api_requests");
  // '*' never matches an empty component.
  ASSERT_TRUE(mapper.Map("api..requests", &name, &labels));
  EXPECT_EQ(name, "api__requests");
  ASSERT_TRUE(mapper.Map("2xx", &name, &labels));
  EXPECT_EQ(name, "_2xx");
  EXPECT_TRUE(labels.empty());
  EXPECT_FALSE(mapper.Map("", &name, &labels));
}

TEST(NameMapperTest, LeadingDigitCaptureIsPrefixed) {
  NameMapper mapper = MapperOf({{"code.*", "$1_responses", {}}});
  std::string name;
  Labels labels;
  ASSERT_TRUE(mapper.Map("code.5xx", &name, &labels));
  EXPECT_EQ(name, "_5xx_responses");
}

TEST(NameMapperTest, CreateRefusesBadRules) {
  absl::StatusOr<NameMapper> mapper =
      NameMapper::Create({{"a.*", "ok", {}}, {"*.*.*.*.*.*.*.*.*.*", "x", {}}});
  ASSERT_FALSE(mapper.ok());
  EXPECT_EQ(mapper.status().message(),
            "mappings[1].match: \"*.*.*.*.*.*.*.*.*.*\" has 10 '*' components, at most 9 are "
            "allowed");
}

}  // namespace
}  // namespace firehose::relay
