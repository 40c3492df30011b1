// Health verdicts from liveness and metric samples, and the Prometheus text summing
// they rest on.
#include "controlplane/controld/health_monitor.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace firehose::controld {
namespace {

using firehose::v1::Health;

TEST(PrometheusTextTest, SumsEverySeriesOfAFamily) {
  const std::string text =
      "# HELP firehose_rx_packets_total frames\n"
      "# TYPE firehose_rx_packets_total counter\n"
      "firehose_rx_packets_total{port=\"net_pcap0\",queue=\"0\"} 100\n"
      "firehose_rx_packets_total{port=\"net_pcap0\",queue=\"1\"} 50 1700000000000\n"
      "firehose_subscribers 2\n"
      "firehose_odd{label=\"with } brace and space\"} 7\n"
      "garbage line\n";
  auto sums = SumPrometheusText(text);
  EXPECT_EQ(sums["firehose_rx_packets_total"], 150);
  EXPECT_EQ(sums["firehose_subscribers"], 2);
  EXPECT_EQ(sums["firehose_odd"], 7);
  EXPECT_EQ(sums.count("garbage"), 0u);
}

// A standby drops every record on purpose; that is not a loss and must not make it
// DEGRADED (ingestctl failover would refuse to hand over to it).
TEST(PrometheusTextTest, StandbyDropsAreNotLosses) {
  const std::string text =
      "firehose_rx_packets_total{queue=\"0\"} 1000\n"
      "firehose_batch_dropped_records_total{queue=\"0\",reason=\"standby\"} 990\n"
      "firehose_batch_dropped_records_total{queue=\"0\",reason=\"handoff_full\"} 3\n";
  auto sums = SumPrometheusText(text);
  EXPECT_EQ(sums["firehose_batch_dropped_records_total"], 3);
  EXPECT_EQ(sums["firehose_batch_dropped_records_total:standby"], 990);
  EXPECT_EQ(SampleFromMetrics(sums, absl::Now()).dropped, 3u);
}

MetricsSample Sample(absl::Time at, uint64_t rx, uint64_t dropped, uint64_t nombuf) {
  MetricsSample s;
  s.at = at;
  s.rx_packets = rx;
  s.dropped = dropped;
  s.rx_nombuf = nombuf;
  s.subscribers = 1;
  return s;
}

TEST(EvaluateHealthTest, NotServingIsDownWithTheReason) {
  Health h = EvaluateHealth(false, "ingestd does not answer on 127.0.0.1:1", std::nullopt,
                            std::nullopt, absl::Now(), HealthLimits{});
  EXPECT_EQ(h.state(), Health::DOWN);
  ASSERT_EQ(h.reasons_size(), 1);
  EXPECT_EQ(h.reasons(0), "ingestd does not answer on 127.0.0.1:1");
}

TEST(EvaluateHealthTest, MovingPacketsAreHealthyWithRates) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  Health h = EvaluateHealth(true, "", Sample(t0, 1000, 0, 0),
                            Sample(t0 + absl::Seconds(2), 5000, 0, 0), t0 + absl::Seconds(2),
                            HealthLimits{});
  EXPECT_EQ(h.state(), Health::HEALTHY);
  EXPECT_DOUBLE_EQ(h.rx_packets_per_second(), 2000);
  EXPECT_EQ(h.rx_packets_total(), 5000u);
  EXPECT_EQ(h.subscribers(), 1u);
}

TEST(EvaluateHealthTest, StalledDroppingOrStarvedNodesAreDegraded) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  const absl::Time t1 = t0 + absl::Seconds(1);
  Health stalled = EvaluateHealth(true, "", Sample(t0, 10, 0, 0), Sample(t1, 10, 0, 0),
                                  t1 - absl::Seconds(6), HealthLimits{});
  EXPECT_EQ(stalled.state(), Health::DEGRADED);
  EXPECT_EQ(stalled.reasons(0), "no packets received for 6s");

  Health dropping = EvaluateHealth(true, "", Sample(t0, 0, 0, 0), Sample(t1, 900, 100, 0), t1,
                                   HealthLimits{});
  EXPECT_EQ(dropping.state(), Health::DEGRADED);
  EXPECT_TRUE(absl::StrContains(dropping.reasons(0), "losing 10.0% of packets")) << dropping.reasons(0);

  // Below the limit (0.5% < 1%) is healthy.
  Health few = EvaluateHealth(true, "", Sample(t0, 0, 0, 0), Sample(t1, 995, 5, 0), t1,
                              HealthLimits{});
  EXPECT_EQ(few.state(), Health::HEALTHY);

  Health starved = EvaluateHealth(true, "", Sample(t0, 0, 0, 0), Sample(t1, 100, 0, 3), t1,
                                  HealthLimits{});
  EXPECT_EQ(starved.state(), Health::DEGRADED);
  EXPECT_TRUE(absl::StrContains(starved.reasons(0), "mempool exhausted")) << starved.reasons(0);
}

TEST(EvaluateHealthTest, CounterResetAfterRestartIsNotANegativeRate) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  Health h = EvaluateHealth(true, "", Sample(t0, 5000, 10, 0),
                            Sample(t0 + absl::Seconds(1), 20, 0, 0), t0 + absl::Seconds(1),
                            HealthLimits{});
  EXPECT_EQ(h.rx_packets_per_second(), 0);
  EXPECT_EQ(h.dropped_packets_per_second(), 0);
}

TEST(ProbeTest, UnreachableTargetsAreErrorsNotHangs) {
  const absl::Time start = absl::Now();
  EXPECT_FALSE(CheckServing("127.0.0.1:1", absl::Milliseconds(300)).ok());
  EXPECT_FALSE(ScrapeMetrics("127.0.0.1:1", absl::Milliseconds(300)).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

}  // namespace
}  // namespace firehose::controld
