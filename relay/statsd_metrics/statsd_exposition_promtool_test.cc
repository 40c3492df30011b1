// The text exposition of the aggregated statsd metrics (Collect() through
// prometheus-cpp's TextSerializer, as the relay's /metrics serves it) passes
// `promtool check metrics` from Debian's prometheus package: types, help texts,
// histogram series, label escaping and the aggregator's own counters are all what
// Prometheus expects. A deliberately broken page must fail the same check.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "node/batch/batch_builder.h"
#include "node/decode/statsd_decoder.h"
#include "prometheus/text_serializer.h"
#include "proto/firehose/v1/ingest.pb.h"
#include "relay/statsd_metrics/statsd_aggregator.h"

namespace firehose::relay {
namespace {

constexpr char kPromtool[] = "/usr/bin/promtool";

v1::Batch BatchOf(const std::vector<std::string>& lines) {
  batch::BatchBuilder builder(batch::BatchLimits{1024, 1 << 20});
  PacketMeta meta;
  meta.receive_unix_nanos = 1'700'000'000'000'000'000;
  meta.source_address_len = 4;
  decode::StatsdRecord record;
  for (const std::string& line : lines) {
    EXPECT_FALSE(decode::StatsdDecoder::ParseLine(line, &record).has_value()) << line;
    EXPECT_EQ(builder.AddStatsd(record, meta), batch::AddResult::kAdded) << line;
  }
  v1::Batch batch;
  builder.ToProto(&batch);
  return batch;
}

struct CheckResult {
  int exit_code = -1;
  std::string output;
};

// Runs `promtool check metrics` on `page`; exit code 0 means no problem found.
CheckResult Promtool(const std::string& page, const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = tmp != nullptr ? tmp : "/tmp";
  std::string in = dir + "/" + name + ".prom";
  std::string out = dir + "/" + name + ".out";
  std::ofstream(in) << page;
  std::string command =
      std::string("timeout 60 ") + kPromtool + " check metrics < '" + in + "' > '" + out + "' 2>&1";
  int status = std::system(command.c_str());
  CheckResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  std::stringstream text;
  text << std::ifstream(out).rdbuf();
  result.output = text.str();
  return result;
}

TEST(StatsdExpositionPromtoolTest, AggregatedMetricsPassPromtool) {
  ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " missing: apt-get install prometheus";
  StatsdMetricsConfig config;
  config.enabled = true;
  config.mappings.push_back({"api.*.requests", "api_requests_total", {{"endpoint", "$1"}}});
  config.mappings.push_back({"db.*.query_time", "db_query_duration_seconds", {{"table", "$1"}}});
  config.max_series = 20;
  absl::StatusOr<std::unique_ptr<StatsdAggregator>> aggregator = StatsdAggregator::Create(config);
  ASSERT_TRUE(aggregator.ok()) << aggregator.status();
  (*aggregator)
      ->Add(BatchOf({
          "api.login.requests:2|c|@0.5|#env:prod,region:eu-west-1",
          "api.search.requests:1|c|#env:prod", "jobs.done:3|c", "queue.depth:5|g|#queue:mail",
          "queue.depth:-2|g|#queue:mail",
          "temperature_celsius:21.5|g|#room:a\"b\\c",  // escaped in the exposition
          "db.users.query_time:12|ms|#op:select", "db.users.query_time:250|ms|@0.1|#op:select",
          "db.orders.query_time:7|ms", "payload.size.bytes:512|h",
          "payload.size.bytes:2048|d|#city:Z\xc3\xbcrich",
          "users.online:alice|s",        // dropped: sets
          "jobs_done_total:1|g",         // dropped: type conflict
          "tagged:1|c|#canary,:x,le:1",  // tags ignored
      }));
  const std::string page = prometheus::TextSerializer().Serialize((*aggregator)->Collect());
  // The page really holds every kind, or passing the check would prove little.
  for (const char* expected : {
           "# TYPE api_requests_total counter",
           "api_requests_total{endpoint=\"login\",env=\"prod\",region=\"eu-west-1\"} 4",
           "# TYPE queue_depth gauge",
           "queue_depth{queue=\"mail\"} 3",
           "temperature_celsius{room=\"a\\\"b\\\\c\"} 21.5",
           "# TYPE db_query_duration_seconds histogram",
           "db_query_duration_seconds_count{op=\"select\",table=\"users\"} 11",
           "db_query_duration_seconds_bucket{op=\"select\",table=\"users\",le=\"0.25\"} 11",
           "db_query_duration_seconds_bucket{op=\"select\",table=\"users\",le=\"+Inf\"} 11",
           "payload_size_bytes_count{city=\"Z\xc3\xbcrich\"} 1",
           "firehose_statsd_metrics_dropped_total{reason=\"set_unsupported\"} 1",
           "firehose_statsd_metrics_dropped_total{reason=\"type_conflict\"} 1",
           "firehose_statsd_metrics_tags_ignored_total{reason=\"no_value\"} 1",
           "firehose_statsd_metrics_tags_ignored_total{reason=\"reserved_label\"} 1",
       }) {
    EXPECT_NE(page.find(expected), std::string::npos) << "missing: " << expected << "\n" << page;
  }
  CheckResult check = Promtool(page, "aggregated");
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << page;
}

TEST(StatsdExpositionPromtoolTest, PromtoolRejectsABrokenPage) {
  ASSERT_EQ(access(kPromtool, X_OK), 0);
  // A gauge named like a histogram sample: exactly what the type-conflict rule keeps
  // out of the aggregated page.
  CheckResult check = Promtool("# HELP lat_count x\n# TYPE lat_count gauge\nlat_count 1\n", "bad");
  EXPECT_NE(check.exit_code, 0) << check.output;
  check = Promtool("bad metric name{ 1\n", "garbage");
  EXPECT_NE(check.exit_code, 0) << check.output;
}

}  // namespace
}  // namespace firehose::relay
