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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/subscriber.h"
#include "gtest/gtest.h"
#include "tests/controlplane/etcd_server.h"
#include "tests/controlplane/pair_dir.h"
#include "tests/support/ingestd_process.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/subprocess.h"

namespace firehose {
namespace {

using testing::EtcdServer;
using testing::Subprocess;

struct Node {
  std::string id;
  uint16_t udp_port = 0;
  std::optional<Subprocess> controld;
  std::optional<testing::IngestdProcess> ingestd;
};

// What the consumer of the relay received.
struct Received {
  std::vector<v1::Batch> batches;
  uint64_t records = 0;
};

// The consumer: the firehose C++ subscriber reading the relay.
class Consumer {
 public:
  explicit Consumer(const std::string& address) {
    client::SubscriberOptions options;
    options.address = address;
    options.request.set_client_name("e2e-consumer");
    subscriber_ = std::make_unique<client::Subscriber>(options);
    thread_ = std::thread([this] {
      (void)subscriber_->Run([this](const v1::SubscribeResponse& message) {
        if (!message.has_batch()) return;
        absl::MutexLock lock(&mu_);
        received_.batches.push_back(message.batch());
        received_.records += message.batch().record_count();
      });
    });
  }
  ~Consumer() {
    subscriber_->Stop();
    thread_.join();
  }
  Received received() const {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  uint64_t records() const {
    absl::MutexLock lock(&mu_);
    return received_.records;
  }

 private:
  std::unique_ptr<client::Subscriber> subscriber_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  Received received_;
};

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

class RelayFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etcd = EtcdServer::Start("relay-failover");
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = *std::move(etcd);
    std::optional<std::string> dir = testing::MakePairDir("relay");
    ASSERT_TRUE(dir.has_value());
    dir_ = *dir;
    sender_ = socket(AF_INET, SOCK_DGRAM, 0);
    StartNode(&a_, "node-a");
    StartNode(&b_, "node-b");
  }

  void TearDown() override {
    consumer_.reset();
    prometheus_.reset();
    relay_.reset();
    for (Node* node : {&a_, &b_}) {
      node->ingestd.reset();
      node->controld.reset();
    }
    if (sender_ >= 0) close(sender_);
    etcd_.reset();
    std::filesystem::remove_all(dir_);
  }

  void StartNode(Node* node, const std::string& id) {
    node->id = id;
    node->udp_port = testing::FreeLoopbackPort(SOCK_DGRAM);
    const std::string config = absl::StrCat(dir_, "/", id, ".yaml");
    std::ofstream(config) << "node_id: " << id << "\n"
                          << "backend: kernel\n"
                          << "kernel:\n  bind_address: 127.0.0.1\n  workers: 1\n"
                          << "decoders:\n  '" << node->udp_port << "': statsd\n"
                          << "batch:\n  max_records: 20\n  max_delay_us: 2000\n"
                          << "grpc:\n  listen: 127.0.0.1:0\n  heartbeat_ms: 200\n"
                          << "metrics:\n  listen: 127.0.0.1:0\n";
    const std::string socket = absl::StrCat(dir_, "/", id, ".sock");
    auto controld = Subprocess::Start(
        {"controlplane/controld/controld", "--config=" + config, "--socket=" + socket,
         "--etcd=" + etcd_->target(), "--election=/firehose/pairs/relay/leader",
         "--lease_ttl_ms=2000", "--health_interval_ms=200", "--preflight_root=" + dir_});
    ASSERT_TRUE(controld.ok()) << controld.status();
    node->controld.emplace(*std::move(controld));
    ASSERT_TRUE(node->controld->WaitForLine("READY", absl::Seconds(20)).ok());
    absl::StatusOr<testing::IngestdProcess> ingestd =
        testing::StartIngestd("node/ingestd", config, {"--control_socket=" + socket});
    ASSERT_TRUE(ingestd.ok()) << ingestd.status();
    node->ingestd.emplace(*std::move(ingestd));
  }

  // node-a is listed twice (by address and as an explicit ipv4: target): every batch
  // it publishes reaches the relay by two paths, the second copy a duplicate.
  void StartRelay() {
    const std::string config = dir_ + "/relay.yaml";
    std::ofstream(config) << "relay_id: relay-e2e\n"
                          << "grpc:\n  listen: 127.0.0.1:0\n  heartbeat_ms: 200\n"
                          << "  replay_bytes: 8388608\n"
                          << "metrics:\n  listen: 127.0.0.1:0\n"
                          << "upstream:\n  pairs:\n    - name: edge\n      nodes: ['"
                          << a_.ingestd->grpc_address << "', '" << b_.ingestd->grpc_address
                          << "', 'ipv4:" << a_.ingestd->grpc_address
                          << "']\n  reconnect_backoff_ms: 100\n  idle_timeout_ms: 2000\n"
                          << "statsd_metrics:\n  enabled: true\n  mappings:\n"
                          << "    - match: 'e2e.*.hits'\n      name: e2e_hits_total\n"
                          << "      labels: {phase: '$1'}\n";
    absl::StatusOr<testing::IngestdProcess> relay = testing::StartIngestd("relay/relay", config);
    ASSERT_TRUE(relay.ok()) << relay.status();
    relay_.emplace(*std::move(relay));
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

  double RelayMetric(const std::string& name,
                     const std::map<std::string, std::string>& labels = {}) const {
    absl::StatusOr<std::string> page = testing::HttpGet(relay_->metrics_address, "/metrics");
    if (!page.ok()) return -1;
    return testing::SumSamples(testing::ParsePrometheusText(*page), name, labels);
  }

  double NodeMetric(const Node& node, const std::string& name,
                    const std::map<std::string, std::string>& labels = {}) const {
    absl::StatusOr<std::string> page = testing::HttpGet(node.ingestd->metrics_address, "/metrics");
    if (!page.ok()) return -1;
    return testing::SumSamples(testing::ParsePrometheusText(*page), name, labels);
  }

  // Packet n, the same datagram to each node, as a load balancer spraying both would.
  // Its value is n, so every record names its packet.
  void SendToBoth(const std::string& phase) {
    const uint64_t n = ++sent_;
    const std::string payload = absl::StrCat("e2e.", phase, ".hits:", n, "|c");
    sent_by_phase_[phase] += n;
    for (const Node* node : {&a_, &b_}) {
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(node->udp_port);
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      sendto(sender_, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
             sizeof(to));
    }
  }

  template <typename Predicate>
  bool WaitFor(Predicate predicate, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (predicate()) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return predicate();
  }

  std::unique_ptr<EtcdServer> etcd_;
  std::string dir_;
  int sender_ = -1;
  uint64_t sent_ = 0;
  std::map<std::string, uint64_t> sent_by_phase_;
  Node a_;
  Node b_;
  std::optional<testing::IngestdProcess> relay_;
  std::unique_ptr<Consumer> consumer_;
  std::optional<Subprocess> prometheus_;
  std::string prometheus_address_;
};

TEST_F(RelayFailoverTest, OneContinuousStreamThroughAFailoverAndPrometheusSumsItExactly) {
  StartRelay();
  ASSERT_TRUE(relay_.has_value());
  StartPrometheus();
  ASSERT_TRUE(prometheus_.has_value());
  // Ready once one node is elected and the relay hears it say so.
  ASSERT_TRUE(WaitFor([&] { return RelayMetric("firehose_relay_ready") == 1; }, absl::Seconds(20)))
      << "the relay never followed an active node";
  ASSERT_TRUE(WaitFor([&] { return RelayMetric("firehose_relay_node_connected") == 3; },
                      absl::Seconds(10)));
  consumer_ = std::make_unique<Consumer>(relay_->grpc_address);
  ASSERT_TRUE(
      WaitFor([&] { return RelayMetric("firehose_relay_subscribers") == 1; }, absl::Seconds(10)));

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
    ASSERT_EQ(batch.node_id(), "relay-e2e");
    ASSERT_EQ(batch.seq(), i + 1) << "the relay's own seq must be dense";
    ASSERT_EQ(batch.origin_pair(), "edge");
    ASSERT_TRUE(origins.insert({batch.origin_epoch(), batch.origin_seq()}).second)
        << "duplicate origin (" << batch.origin_epoch() << ", " << batch.origin_seq() << ")";
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
  const double received = RelayMetric("firehose_relay_received_batches_total");
  const double forwarded = RelayMetric("firehose_relay_forwarded_batches_total");
  const double duplicate =
      RelayMetric("firehose_relay_dropped_batches_total", {{"reason", "duplicate"}});
  const double stale =
      RelayMetric("firehose_relay_dropped_batches_total", {{"reason", "stale_epoch"}});
  std::cout << "relay: received " << received << " batches = forwarded " << forwarded
            << " + duplicate " << duplicate << " + stale_epoch " << stale << "; holes " << holes
            << "; consumer " << got.batches.size() << " batches / " << got.records
            << " records; sent " << sent_ << " packets to each node" << std::endl;
  EXPECT_EQ(received, forwarded + duplicate + stale);
  EXPECT_EQ(RelayMetric("firehose_relay_received_records_total"),
            RelayMetric("firehose_relay_forwarded_records_total") +
                RelayMetric("firehose_relay_dropped_records_total"));
  EXPECT_EQ(forwarded, got.batches.size());
  EXPECT_GT(duplicate, 0) << "node-a's batches came by two paths";
  // Every batch each node published reached the relay, node-a's twice.
  EXPECT_EQ(received, 2 * NodeMetric(a_, "firehose_published_batches_total") +
                          NodeMetric(b_, "firehose_published_batches_total"));

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
  EXPECT_EQ(RelayMetric("firehose_relay_forwarded_records_total"), got.records);

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
}  // namespace firehose
