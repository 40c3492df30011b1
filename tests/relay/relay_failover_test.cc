// The relay end to end: a real etcd on loopback, two ingestd nodes (kernel backend),
// each following its own controld, the relay (//relay:relay) subscribed to both, and a
// consumer subscribed to the relay. Numbered statsd packets go to BOTH nodes (the
// standby sees them too, and drops them) before, during and after a failover caused by
// `kill -9` of the active's controld. The consumer must see one continuous stream: the
// relay's seq dense, no (origin epoch, seq) twice, no packet twice, every hole in the
// origin's seq counted by the relay, and the relay's counts adding up (received =
// forwarded + duplicates + stale epoch). Then a real Prometheus server scrapes the
// relay's /metrics and its HTTP API returns the aggregated statsd counters with the
// exact sums the consumer computed from the records it received.
#include <signal.h>

#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/controlplane/etcd_server.h"
#include "tests/relay/relay_pair_fixture.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/subprocess.h"

namespace firehose::relay_e2e {
namespace {

using testing::Subprocess;

std::string UrlEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (isalnum(c) || c == '_' || c == '-' || c == '.') {
      out.push_back(static_cast<char>(c));
    } else {
      out += absl::StrCat("%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

// The single value of an instant-vector query answer, or nullopt (no result yet).
std::optional<double> QueryValue(const std::string& prometheus, const std::string& query) {
  absl::StatusOr<std::string> body =
      testing::HttpGet(prometheus, "/api/v1/query?query=" + UrlEncode(query));
  if (!body.ok()) return std::nullopt;
  // {"status":"success","data":{"resultType":"vector","result":[{"metric":{...},
  //  "value":[1700000000.123,"42"]}]}}
  const size_t value = body->find("\"value\":[");
  if (value == std::string::npos) return std::nullopt;
  const size_t open = body->find('"', body->find(',', value));
  const size_t close = body->find('"', open + 1);
  double result = 0;
  if (!absl::SimpleAtod(body->substr(open + 1, close - open - 1), &result)) return std::nullopt;
  return result;
}

class RelayFailoverTest : public RelayPairFixture {
 protected:
  void TearDown() override {
    consumer_.reset();
    prometheus_.reset();
    RelayPairFixture::TearDown();
  }

  void StartPrometheus() {
    const int port = testing::PickFreePort();
    prometheus_address_ = absl::StrCat("127.0.0.1:", port);
    const std::string config = dir_ + "/prometheus.yml";
    std::ofstream(config) << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                          << "scrape_configs:\n  - job_name: relay\n    static_configs:\n"
                          << "      - targets: ['" << relay_->metrics_address << "']\n";
    auto prometheus = Subprocess::Start(
        {"/usr/bin/prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir_ + "/tsdb",
         "--web.listen-address=" + prometheus_address_, "--log.level=warn"});
    ASSERT_TRUE(prometheus.ok()) << prometheus.status();
    prometheus_.emplace(*std::move(prometheus));
  }

  std::optional<Subprocess> prometheus_;
  std::string prometheus_address_;
};

TEST_F(RelayFailoverTest, OneContinuousStreamThroughAFailoverAndPrometheusSumsItExactly) {
  StartRelay();
  ASSERT_TRUE(relay_.has_value());
  StartPrometheus();
  ASSERT_TRUE(prometheus_.has_value());
  AwaitRelayAndSubscribe();
  ASSERT_NE(consumer_, nullptr);

  // Before: 100 packets at 100/s.
  for (int i = 0; i < 100; ++i) {
    SendToBoth("before");
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(WaitFor([&] { return consumer_->records() >= 95; }, absl::Seconds(10)));
  const Node* active = NodeMetric(a_, "firehose_role", {{"role", "active"}}) == 1 ? &a_ : &b_;
  Node* standby = active == &a_ ? &b_ : &a_;
  EXPECT_EQ(NodeMetric(*standby, "firehose_role", {{"role", "standby"}}), 1);

  // During: kill -9 of the active's controld while packets keep coming; the standby is
  // promoted and the relay follows its new epoch.
  const absl::Time killed = absl::Now();
  const_cast<Node*>(active)->controld->Signal(SIGKILL);
  const absl::Time during_end = absl::Now() + absl::Seconds(30);
  while (absl::Now() < during_end &&
         NodeMetric(*standby, "firehose_role", {{"role", "active"}}) != 1) {
    for (int i = 0; i < 10; ++i) {
      SendToBoth("during");
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  ASSERT_EQ(NodeMetric(*standby, "firehose_role", {{"role", "active"}}), 1)
      << "the standby was never promoted";
  std::cout << "standby promoted " << absl::FormatDuration(absl::Now() - killed)
            << " after kill -9 of the active's controld" << std::endl;
  // The deposed node demotes itself once its assignment lapses.
  ASSERT_TRUE(WaitFor(
      [&] {
        return NodeMetric(*active, "firehose_role", {{"role", "standby"}}) == 1;
      },
      absl::Seconds(15)));

  // After: 100 more, with the new active.
  const uint64_t before_after = consumer_->records();
  for (int i = 0; i < 100; ++i) {
    SendToBoth("after");
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(
      WaitFor([&] { return consumer_->records() >= before_after + 100; }, absl::Seconds(10)))
      << "records after the failover: " << consumer_->records() - before_after;
  absl::SleepFor(absl::Milliseconds(300));  // nothing more in flight

  // One continuous stream.
  const Received got = consumer_->received();
  std::set<std::pair<uint64_t, uint64_t>> origins;
  std::set<uint64_t> packets;
  std::map<std::string, double> sum_by_phase;
  std::vector<uint64_t> origin_epochs;
  uint64_t holes = 0;
  uint64_t last_origin_seq = 0;
  for (size_t i = 0; i < got.batches.size(); ++i) {
    const v1::Batch& batch = got.batches[i];
    ASSERT_TRUE(RelayBatchInPlace(batch, i, &origins));
    if (origin_epochs.empty() || batch.origin_epoch() != origin_epochs.back()) {
      ASSERT_TRUE(origin_epochs.empty() || batch.origin_epoch() > origin_epochs.back())
          << "the relay stepped back to an older epoch";
      // The first epoch is joined mid-stream; a later one is known to start at seq 1.
      if (!origin_epochs.empty()) holes += batch.origin_seq() - 1;
      origin_epochs.push_back(batch.origin_epoch());
    } else {
      ASSERT_GT(batch.origin_seq(), last_origin_seq);
      holes += batch.origin_seq() - last_origin_seq - 1;
    }
    last_origin_seq = batch.origin_seq();
    const v1::StatsdColumns& statsd = batch.statsd();
    for (int r = 0; r < statsd.name_size(); ++r) {
      const uint64_t n = static_cast<uint64_t>(statsd.value(r));
      ASSERT_TRUE(packets.insert(n).second) << "packet " << n << " seen twice";
      const std::string& name = batch.strings(static_cast<int>(statsd.name(r)));
      sum_by_phase[name.substr(4, name.size() - 4 - 5)] += statsd.value(r);
    }
  }
  EXPECT_EQ(origin_epochs.size(), 2u) << "one epoch before the failover, one after";
  EXPECT_EQ(RelayMetric("firehose_relay_gap_batches_total"), holes);
  EXPECT_EQ(RelayMetric("firehose_relay_epoch_changes_total"), 1);
  // Nothing before or after the failover was lost: only the window between the old
  // active's demotion and the new one's promotion may miss packets (the standby drops).
  EXPECT_EQ(sum_by_phase["before"], sent_by_phase_["before"]);
  EXPECT_EQ(sum_by_phase["after"], sent_by_phase_["after"]);
  EXPECT_GT(sum_by_phase["during"], 0);

  // The relay's books balance, and match what the consumer got.
  const RelayBooks books = ReadRelayBooks();
  std::cout << "relay: received " << books.received << " batches = forwarded " << books.forwarded
            << " + duplicate " << books.duplicate << " + stale_epoch " << books.stale << "; holes "
            << holes << "; consumer " << got.batches.size() << " batches / " << got.records
            << " records; sent " << sent_ << " packets to each node" << std::endl;
  ExpectRelayBooksBalance(books, got);

  // Every packet accounted: each node decoded every packet and either published it or
  // dropped it as standby; the consumer got what was published, less the deposed
  // node's stale-epoch batches. What the consumer lacks is the failover window in which
  // neither node was active.
  double published_records = 0;
  for (const Node* node : {&a_, &b_}) {
    const double decoded = NodeMetric(*node, "firehose_decoder_records_total");
    const double published = NodeMetric(*node, "firehose_published_records_total");
    const double standby =
        NodeMetric(*node, "firehose_batch_dropped_records_total", {{"reason", "standby"}});
    EXPECT_EQ(decoded, sent_) << node->id;
    EXPECT_EQ(decoded, published + NodeMetric(*node, "firehose_batch_dropped_records_total"))
        << node->id;
    std::cout << node->id << ": decoded " << decoded << ", published " << published
              << ", dropped as standby " << standby << std::endl;
    published_records += published;
  }
  EXPECT_EQ(got.records, published_records - RelayMetric("firehose_relay_dropped_records_total",
                                                         {{"reason", "stale_epoch"}}));
  std::cout << "packets not delivered (failover window, both nodes standby): "
            << sent_ - got.records << " of " << sent_ << std::endl;

  // Prometheus scraped the relay: the aggregated counters equal the consumer's sums.
  double total = 0;
  for (const auto& [phase, sum] : sum_by_phase) total += sum;
  for (const auto& [phase, sum] : sum_by_phase) {
    const std::string query = absl::StrCat("e2e_hits_total{phase=\"", phase, "\"}");
    std::optional<double> value;
    EXPECT_TRUE(WaitFor(
        [&] {
          value = QueryValue(prometheus_address_, query);
          return value.has_value() && *value == sum;
        },
        absl::Seconds(15)))
        << query << " = " << (value ? absl::StrCat(*value) : "none") << ", want " << sum;
  }
  std::optional<double> summed = QueryValue(prometheus_address_, "sum(e2e_hits_total)");
  ASSERT_TRUE(summed.has_value());
  EXPECT_EQ(*summed, total);
  std::cout << "prometheus: sum(e2e_hits_total) = " << *summed << std::endl;

  // SIGTERM drains: the relay exits 0.
  relay_->process.Signal(SIGTERM);
  absl::StatusOr<int> exit = relay_->process.Wait(absl::Seconds(15));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, 0);
}

}  // namespace
}  // namespace firehose::relay_e2e
