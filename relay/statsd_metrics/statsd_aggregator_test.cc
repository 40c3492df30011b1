// Tests the aggregation of each statsd type, the naming and labelling rules, every
// drop reason and the accounting invariant (records = aggregated + dropped). Batches are
// built as on a node: statsd lines parsed by the node's StatsdDecoder, appended to a
// BatchBuilder and converted with ToProto(). Values are read back from the text
// exposition that prometheus-cpp's TextSerializer makes of Collect().
#include "relay/statsd_metrics/statsd_aggregator.h"

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "node/batch/batch_builder.h"
#include "node/decode/statsd_decoder.h"
#include "prometheus/text_serializer.h"
#include "proto/firehose/v1/ingest.pb.h"
#include "tests/support/prometheus_text.h"

namespace firehose::relay {
namespace {

using Labels = std::map<std::string, std::string>;

v1::Batch BatchOf(const std::vector<std::string>& lines) {
  batch::BatchBuilder builder(batch::BatchLimits{1024, 1 << 20});
  PacketMeta meta;
  meta.receive_unix_nanos = 1'700'000'000'000'000'000;
  meta.source_address[0] = 10;
  meta.source_address[3] = 7;
  meta.source_address_len = 4;
  meta.source_port = 4000;
  decode::StatsdRecord record;
  for (const std::string& line : lines) {
    std::optional<decode::StatsdError> error = decode::StatsdDecoder::ParseLine(line, &record);
    EXPECT_FALSE(error.has_value()) << line;
    EXPECT_EQ(builder.AddStatsd(record, meta), batch::AddResult::kAdded) << line;
  }
  v1::Batch batch;
  builder.ToProto(&batch);
  batch.set_node_id("node-a");
  batch.set_epoch(1);
  batch.set_seq(1);
  return batch;
}

std::unique_ptr<StatsdAggregator> Make(StatsdMetricsConfig config = {}) {
  config.enabled = true;
  absl::StatusOr<std::unique_ptr<StatsdAggregator>> aggregator =
      StatsdAggregator::Create(std::move(config));
  EXPECT_TRUE(aggregator.ok()) << aggregator.status();
  return *std::move(aggregator);
}

std::string Text(const StatsdAggregator& aggregator) {
  return prometheus::TextSerializer().Serialize(aggregator.Collect());
}

// The value of the one sample `name` whose labels are exactly `labels`; fails the test
// (and returns NaN) when there is none or more than one.
double Value(const StatsdAggregator& aggregator, const std::string& name,
             const Labels& labels = {}) {
  std::vector<testing::Sample> samples = testing::ParsePrometheusText(Text(aggregator));
  const testing::Sample* found = nullptr;
  int matches = 0;
  for (const testing::Sample& s : samples) {
    if (s.name == name && s.labels == labels) {
      found = &s;
      ++matches;
    }
  }
  EXPECT_EQ(matches, 1) << name;
  return matches == 1 ? found->value : std::nan("");
}

bool HasSample(const StatsdAggregator& aggregator, const std::string& name) {
  for (const testing::Sample& s : testing::ParsePrometheusText(Text(aggregator))) {
    if (s.name == name) {
      return true;
    }
  }
  return false;
}

uint64_t Dropped(const StatsdAggregator& aggregator, StatsdDropReason reason) {
  return aggregator.GetStats().dropped[static_cast<size_t>(reason)];
}

uint64_t TagsIgnored(const StatsdAggregator& aggregator, StatsdTagIgnoreReason reason) {
  return aggregator.GetStats().tags_ignored[static_cast<size_t>(reason)];
}

// records == aggregated + sum(dropped), in the stats and in the exposition alike.
void ExpectBalanced(const StatsdAggregator& aggregator, uint64_t records) {
  StatsdAggregator::Stats stats = aggregator.GetStats();
  EXPECT_EQ(stats.records, records);
  EXPECT_EQ(stats.records, stats.aggregated + stats.dropped_total());
  std::vector<testing::Sample> samples = testing::ParsePrometheusText(Text(aggregator));
  EXPECT_EQ(testing::SumSamples(samples, "firehose_statsd_metrics_records_total"),
            static_cast<double>(records));
  EXPECT_EQ(testing::SumSamples(samples, "firehose_statsd_metrics_aggregated_total") +
                testing::SumSamples(samples, "firehose_statsd_metrics_dropped_total"),
            static_cast<double>(records));
}

TEST(StatsdAggregatorTest, CountersAreSummedAndScaledBySampleRate) {
  StatsdMetricsConfig config;
  config.mappings.push_back({"api.*.requests", "api_requests_total", {{"endpoint", "$1"}}});
  auto aggregator = Make(config);
  aggregator->Add(BatchOf({
      "api.login.requests:2|c|@0.5",  // 4
      "api.login.requests:1|c",       // 1
      "api.search.requests:3|c", "jobs.done:1.5|c",
      "jobs.done:1|c|@0.25",  // 4
      "jobs.done:-1|c",       // a counter cannot go down
  }));
  aggregator->Add(BatchOf({"api.login.requests:5|c"}));
  EXPECT_EQ(Value(*aggregator, "api_requests_total", {{"endpoint", "login"}}), 10);
  EXPECT_EQ(Value(*aggregator, "api_requests_total", {{"endpoint", "search"}}), 3);
  // Unmapped: sanitized, and `_total` added as Prometheus counters want.
  EXPECT_EQ(Value(*aggregator, "jobs_done_total"), 5.5);
  // The rate travels as a float (0.1f = 0.10000000149...); it still scales exactly.
  // As floats 1/0.1f and 1/0.2f are 9.99999985 and 4.99999993.
  aggregator->Add(BatchOf({"sampled:1|c|@0.1", "sampled:1|c|@0.2", "sampled:1|c|@0.1"}));
  EXPECT_EQ(Value(*aggregator, "sampled_total"), 25);
  EXPECT_EQ(Dropped(*aggregator, StatsdDropReason::kNegativeCounter), 1u);
  EXPECT_EQ(aggregator->GetStats().series, 4u);
  ExpectBalanced(*aggregator, 10);
}

TEST(StatsdAggregatorTest, GaugesKeepTheLastValueAndApplySignedDeltas) {
  auto aggregator = Make();
  aggregator->Add(BatchOf({
      "queue.depth:5|g|#q:a",
      "queue.depth:+3|g|#q:a",    // 8
      "queue.depth:-10|g|#q:a",   // -2: a signed value is a delta
      "queue.depth:+1.5|g|#q:b",  // a delta on an unseen gauge starts from 0
      "temp:21|g|@0.5",           // the sample rate does not scale a gauge
  }));
  EXPECT_EQ(Value(*aggregator, "queue_depth", {{"q", "a"}}), -2);
  EXPECT_EQ(Value(*aggregator, "queue_depth", {{"q", "b"}}), 1.5);
  EXPECT_EQ(Value(*aggregator, "temp"), 21);
  aggregator->Add(BatchOf({"queue.depth:7|g|#q:a", "temp:19.25|g"}));
  EXPECT_EQ(Value(*aggregator, "queue_depth", {{"q", "a"}}), 7);
  EXPECT_EQ(Value(*aggregator, "temp"), 19.25);
  ExpectBalanced(*aggregator, 7);
}

TEST(StatsdAggregatorTest, TimersBecomeHistogramsInSeconds) {
  StatsdMetricsConfig config;
  config.histogram_buckets = {0.01, 0.1, 1};
  auto aggregator = Make(config);
  aggregator->Add(BatchOf({
      "rpc.latency:5|ms",
      "rpc.latency:10|ms",       // exactly on a bound: that bucket (le)
      "rpc.latency:50|ms|@0.1",  // stands for 10 samples
      "rpc.latency:2500|ms",
  }));
  EXPECT_EQ(Value(*aggregator, "rpc_latency_bucket", {{"le", "0.01"}}), 2);
  EXPECT_EQ(Value(*aggregator, "rpc_latency_bucket", {{"le", "0.1"}}), 12);
  EXPECT_EQ(Value(*aggregator, "rpc_latency_bucket", {{"le", "1"}}), 12);
  EXPECT_EQ(Value(*aggregator, "rpc_latency_bucket", {{"le", "+Inf"}}), 13);
  EXPECT_EQ(Value(*aggregator, "rpc_latency_count"), 13);
  EXPECT_DOUBLE_EQ(Value(*aggregator, "rpc_latency_sum"), 0.005 + 0.01 + 10 * 0.05 + 2.5);
  ExpectBalanced(*aggregator, 4);
}

TEST(StatsdAggregatorTest, TimerUnitSeconds) {
  StatsdMetricsConfig config;
  config.histogram_buckets = {1, 10};
  config.timer_unit = TimerUnit::kSeconds;
  auto aggregator = Make(config);
  aggregator->Add(BatchOf({"job.runtime:4|ms"}));
  EXPECT_EQ(Value(*aggregator, "job_runtime_bucket", {{"le", "1"}}), 0);
  EXPECT_EQ(Value(*aggregator, "job_runtime_bucket", {{"le", "10"}}), 1);
  EXPECT_EQ(Value(*aggregator, "job_runtime_sum"), 4);
}

TEST(StatsdAggregatorTest, HistogramsAndDistributionsAreNotScaled) {
  StatsdMetricsConfig config;
  config.histogram_buckets = {1, 100};
  auto aggregator = Make(config);
  aggregator->Add(BatchOf({
      "payload.size:0.5|h",
      "payload.size:50|d",  // h and d share the family: both are plain samples
      "payload.size:500|d|@0.5",
  }));
  EXPECT_EQ(Value(*aggregator, "payload_size_bucket", {{"le", "1"}}), 1);
  EXPECT_EQ(Value(*aggregator, "payload_size_bucket", {{"le", "100"}}), 2);
  EXPECT_EQ(Value(*aggregator, "payload_size_bucket", {{"le", "+Inf"}}), 4);
  EXPECT_EQ(Value(*aggregator, "payload_size_count"), 4);
  EXPECT_EQ(Value(*aggregator, "payload_size_sum"), 1050.5);
  ExpectBalanced(*aggregator, 3);
}

TEST(StatsdAggregatorTest, SetsAreDroppedAndCounted) {
  auto aggregator = Make();
  aggregator->Add(BatchOf({"users:alice|s", "users:bob|s", "hits:1|c"}));
  EXPECT_EQ(Dropped(*aggregator, StatsdDropReason::kSetUnsupported), 2u);
  EXPECT_FALSE(HasSample(*aggregator, "users"));
  EXPECT_EQ(
      Value(*aggregator, "firehose_statsd_metrics_dropped_total", {{"reason", "set_unsupported"}}),
      2);
  ExpectBalanced(*aggregator, 3);
}

TEST(StatsdAggregatorTest, TagsBecomeLabels) {
  StatsdMetricsConfig config;
  config.mappings.push_back({"http.*.hits", "http_hits_total", {{"route", "$1"}}});
  auto aggregator = Make(config);
  aggregator->Add(BatchOf({
      "req:1|c|#env:prod,k8s.pod-name:web-1",
      "req:1|c|#k8s.pod-name:web-1,env:prod",                     // tag order does not matter
      "req:1|c|#env:prod,canary,k8s.pod-name:web-1,:x,env:prod",  // bare, empty key, repeat
      "req:1|c|#env:dev,env:prod,k8s.pod-name:web-1",             // a later tag wins
      "req:1|c|#env:prod,url:http://a/b?c",         // the value is after the first ':'
      "http.home.hits:1|c|#route:ignored,zone:eu",  // the rule's labels win over tags
      "req:1|c",
  }));
  EXPECT_EQ(Value(*aggregator, "req_total", {{"env", "prod"}, {"k8s_pod_name", "web-1"}}), 4);
  EXPECT_EQ(Value(*aggregator, "req_total", {{"env", "prod"}, {"url", "http://a/b?c"}}), 1);
  EXPECT_EQ(Value(*aggregator, "req_total"), 1);
  EXPECT_EQ(Value(*aggregator, "http_hits_total", {{"route", "home"}, {"zone", "eu"}}), 1);
  EXPECT_EQ(TagsIgnored(*aggregator, StatsdTagIgnoreReason::kNoValue), 1u);
  EXPECT_EQ(TagsIgnored(*aggregator, StatsdTagIgnoreReason::kEmptyKey), 1u);
  // The same raw tags again: a cache hit still counts the ignored tags.
  aggregator->Add(BatchOf({"req:1|c|#env:prod,canary,k8s.pod-name:web-1,:x,env:prod"}));
  EXPECT_EQ(TagsIgnored(*aggregator, StatsdTagIgnoreReason::kNoValue), 2u);
  EXPECT_EQ(
      Value(*aggregator, "firehose_statsd_metrics_tags_ignored_total", {{"reason", "empty_key"}}),
      2);
  EXPECT_EQ(Value(*aggregator, "req_total", {{"env", "prod"}, {"k8s_pod_name", "web-1"}}), 5);
  ExpectBalanced(*aggregator, 8);
}

TEST(StatsdAggregatorTest, ReservedLabelTagsAreIgnored) {
  StatsdMetricsConfig config;
  config.histogram_buckets = {1};
  auto aggregator = Make(config);
  aggregator->Add(BatchOf({"lat:2|h|#le:5,zone:eu", "g:1|g|#le:5,quantile:0.5"}));
  EXPECT_EQ(Value(*aggregator, "lat_count", {{"zone", "eu"}}), 1);
  EXPECT_EQ(Value(*aggregator, "lat_bucket", {{"zone", "eu"}, {"le", "+Inf"}}), 1);
  EXPECT_EQ(Value(*aggregator, "g"), 1);
  EXPECT_EQ(TagsIgnored(*aggregator, StatsdTagIgnoreReason::kReservedLabel), 3u);
  ExpectBalanced(*aggregator, 2);
}

TEST(StatsdAggregatorTest, TypeConflictsAreCountedNotExposedTwice) {
  StatsdMetricsConfig config;
  config.histogram_buckets = {1};
  auto aggregator = Make(config);
  aggregator->Add(BatchOf({
      "done_total:1|c",
      "done_total:9|g",  // same Prometheus name, another type
      "lat:1|h",
      "lat.count:3|g",  // lat_count is one of lat's histogram samples
      "lat.count:3|g",
      "firehose_statsd_metrics_series:1|g",  // the aggregator's own name
      "db:1|g",
      "db:1|h",  // db_bucket/_sum/_count would sit beside gauge db... and db
      "hits:1|c",
      "hits:1|g",  // hits_total is counter "hits" (OpenMetrics): the same metric
      "temp:20|g",
      "temp:1|c",  // the other way round
  }));
  EXPECT_EQ(Value(*aggregator, "done_total"), 1);
  EXPECT_EQ(Value(*aggregator, "lat_count"), 1);
  EXPECT_EQ(Value(*aggregator, "db"), 1);
  EXPECT_FALSE(HasSample(*aggregator, "db_count"));
  EXPECT_EQ(Value(*aggregator, "hits_total"), 1);
  EXPECT_FALSE(HasSample(*aggregator, "hits"));
  EXPECT_EQ(Value(*aggregator, "temp"), 20);
  EXPECT_FALSE(HasSample(*aggregator, "temp_total"));
  EXPECT_EQ(Value(*aggregator, "firehose_statsd_metrics_series"), 5);
  EXPECT_EQ(Dropped(*aggregator, StatsdDropReason::kTypeConflict), 7u);
  ExpectBalanced(*aggregator, 12);
}

TEST(StatsdAggregatorTest, SeriesLimitDropsNewSeriesOnly) {
  StatsdMetricsConfig config;
  config.max_series = 2;
  auto aggregator = Make(config);
  aggregator->Add(BatchOf({"a:1|c", "b:1|c|#k:1", "b:1|c|#k:2", "c:1|g", "a:2|c"}));
  aggregator->Add(BatchOf({"b:1|c|#k:2", "b:5|c|#k:1"}));
  EXPECT_EQ(Value(*aggregator, "a_total"), 3);
  EXPECT_EQ(Value(*aggregator, "b_total", {{"k", "1"}}), 6);
  EXPECT_EQ(Dropped(*aggregator, StatsdDropReason::kSeriesLimit), 3u);
  EXPECT_EQ(Value(*aggregator, "firehose_statsd_metrics_series"), 2);
  EXPECT_EQ(Value(*aggregator, "firehose_statsd_metrics_series_limit"), 2);
  ExpectBalanced(*aggregator, 7);
}

TEST(StatsdAggregatorTest, MalformedBatchesAndRecordsAreCounted) {
  auto aggregator = Make();
  v1::Batch short_values = BatchOf({"a:1|c", "b:1|c"});
  short_values.mutable_statsd()->mutable_value()->RemoveLast();
  aggregator->Add(short_values);
  EXPECT_EQ(Dropped(*aggregator, StatsdDropReason::kMalformedBatch), 2u);

  v1::Batch bad_tags = BatchOf({"a:1|c|#x:1,y:2"});
  bad_tags.mutable_statsd()->mutable_tags()->RemoveLast();
  aggregator->Add(bad_tags);
  EXPECT_EQ(Dropped(*aggregator, StatsdDropReason::kMalformedBatch), 3u);

  v1::Batch bad_index = BatchOf({"a:1|c", "b:1|c|#x:1", "c:1|c", "d:1|c"});
  bad_index.mutable_statsd()->set_name(0, 999);
  bad_index.mutable_statsd()->set_tags(0, 999);
  bad_index.mutable_statsd()->set_type(2, static_cast<v1::MetricType>(42));
  bad_index.mutable_statsd()->set_value(3, std::nan(""));
  aggregator->Add(bad_index);
  EXPECT_EQ(Dropped(*aggregator, StatsdDropReason::kMalformedRecord), 3u);
  EXPECT_EQ(Dropped(*aggregator, StatsdDropReason::kInvalidValue), 1u);

  v1::Batch empty_name = BatchOf({"a:1|c"});
  empty_name.mutable_statsd()->set_name(0, 0);  // index 0 is always ""
  aggregator->Add(empty_name);
  EXPECT_EQ(Dropped(*aggregator, StatsdDropReason::kInvalidName), 1u);

  // Columns a hand-built batch may leave out: sample_rate and flags (defaults apply).
  v1::Batch minimal;
  minimal.add_strings("");
  minimal.add_strings("m");
  v1::StatsdColumns* s = minimal.mutable_statsd();
  s->add_name(1);
  s->add_value(2);
  s->add_type(v1::METRIC_TYPE_COUNTER);
  s->add_tag_count(0);
  aggregator->Add(minimal);
  EXPECT_EQ(Value(*aggregator, "m_total"), 2);
  EXPECT_EQ(aggregator->GetStats().series, 1u);
  ExpectBalanced(*aggregator, 9);
}

TEST(StatsdAggregatorTest, ConcurrentAddsAreExact) {
  auto aggregator = Make();
  const v1::Batch batch = BatchOf({"hits:1|c|#t:a", "hits:2|c|#t:b", "lat:3|ms"});
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        aggregator->Add(batch);
        if (i % 100 == 0) {
          aggregator->Collect();
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(Value(*aggregator, "hits_total", {{"t", "a"}}), 3 * kPerThread);
  EXPECT_EQ(Value(*aggregator, "hits_total", {{"t", "b"}}), 2 * 3 * kPerThread);
  EXPECT_EQ(Value(*aggregator, "lat_count"), 3 * kPerThread);
  ExpectBalanced(*aggregator, 3 * 3 * kPerThread);
}

TEST(StatsdAggregatorTest, CreateRefusesAnInvalidConfig) {
  StatsdMetricsConfig config;
  config.histogram_buckets = {2, 1};
  absl::StatusOr<std::unique_ptr<StatsdAggregator>> aggregator = StatsdAggregator::Create(config);
  ASSERT_FALSE(aggregator.ok());
  EXPECT_EQ(aggregator.status().message(),
            "statsd_metrics config: statsd_metrics.histogram_buckets[1]: bounds must increase "
            "strictly, got 1 after 2");
}

}  // namespace
}  // namespace firehose::relay
