// The relay end-to-end fixture: etcd, two controld + ingestd nodes, the relay and its
// consumer; see relay_pair_fixture.h.
#include "tests/relay/relay_pair_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/controlplane/pair_dir.h"
#include "tests/support/prometheus_text.h"

namespace firehose::relay_e2e {

Consumer::Consumer(const std::string& address) {
  client::SubscriberOptions options;
  options.address = address;
  options.request.set_client_name("e2e-consumer");
  subscriber_ = std::make_unique<client::Subscriber>(options);
  thread_ = std::thread([this] {
    (void)subscriber_->Run([this](const v1::SubscribeResponse& message) {
      absl::MutexLock lock(&mu_);
      if (message.has_notice() && message.notice().has_gap()) ++received_.gap_notices;
      if (!message.has_batch()) return;
      received_.batches.push_back(message.batch());
      received_.records += message.batch().record_count();
    });
  });
}

Consumer::~Consumer() {
  subscriber_->Stop();
  thread_.join();
}

Received Consumer::received() const {
  absl::MutexLock lock(&mu_);
  return received_;
}

uint64_t Consumer::records() const {
  absl::MutexLock lock(&mu_);
  return received_.records;
}

::testing::AssertionResult RelayBatchInPlace(const v1::Batch& batch, size_t index,
                                             std::set<std::pair<uint64_t, uint64_t>>* origins) {
  if (batch.node_id() != "relay-e2e") {
    return ::testing::AssertionFailure() << "batch " << index << " from " << batch.node_id();
  }
  if (batch.seq() != index + 1) {
    return ::testing::AssertionFailure()
           << "the relay's own seq must be dense: batch " << index << " has seq " << batch.seq();
  }
  if (batch.origin_pair() != "edge") {
    return ::testing::AssertionFailure() << "origin pair " << batch.origin_pair();
  }
  if (!origins->insert({batch.origin_epoch(), batch.origin_seq()}).second) {
    return ::testing::AssertionFailure()
           << "duplicate origin (" << batch.origin_epoch() << ", " << batch.origin_seq() << ")";
  }
  return ::testing::AssertionSuccess();
}

void RelayPairFixture::SetUp() {
  auto etcd = testing::EtcdServer::Start("relay-failover");
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  etcd_ = *std::move(etcd);
  std::optional<std::string> dir = testing::MakePairDir("relay");
  ASSERT_TRUE(dir.has_value());
  dir_ = *dir;
  sender_ = socket(AF_INET, SOCK_DGRAM, 0);
  StartNode(&a_, "node-a");
  StartNode(&b_, "node-b");
}

void RelayPairFixture::TearDown() {
  consumer_.reset();
  relay_.reset();
  for (Node* node : {&a_, &b_}) {
    node->ingestd.reset();
    node->controld.reset();
  }
  if (sender_ >= 0) close(sender_);
  etcd_.reset();
  std::filesystem::remove_all(dir_);
}

void RelayPairFixture::StartNode(Node* node, const std::string& id) {
  node->id = id;
  node->udp_port = testing::FreeLoopbackPort(SOCK_DGRAM);
  const std::string config = absl::StrCat(dir_, "/", id, ".yaml");
  // Fixed TCP ports, not 0: controld health-checks its ingestd at the config's
  // addresses, and an ingestd it cannot reach is unhealthy (the active resigns after 5 s
  // of that, and `ingestctl failover` refuses an unhealthy standby).
  std::ofstream(config) << "node_id: " << id << "\n"
                        << "backend: kernel\n"
                        << "kernel:\n  bind_address: 127.0.0.1\n  workers: 1\n"
                        << "decoders:\n  '" << node->udp_port << "': statsd\n"
                        << "batch:\n  max_records: 20\n  max_delay_us: 2000\n"
                        << "grpc:\n  listen: 127.0.0.1:" << testing::FreeLoopbackPort(SOCK_STREAM)
                        << "\n  heartbeat_ms: 200\n"
                        << "metrics:\n  listen: 127.0.0.1:"
                        << testing::FreeLoopbackPort(SOCK_STREAM) << "\n";
  node->socket = absl::StrCat(dir_, "/", id, ".sock");
  auto controld = testing::Subprocess::Start(
      {"controlplane/controld/controld", "--config=" + config, "--socket=" + node->socket,
       "--etcd=" + etcd_->target(), "--election=/firehose/pairs/relay/leader",
       "--lease_ttl_ms=2000", "--health_interval_ms=200", "--preflight_root=" + dir_});
  ASSERT_TRUE(controld.ok()) << controld.status();
  node->controld.emplace(*std::move(controld));
  ASSERT_TRUE(node->controld->WaitForLine("READY", absl::Seconds(20)).ok());
  absl::StatusOr<testing::IngestdProcess> ingestd =
      testing::StartIngestd("node/ingestd", config, {"--control_socket=" + node->socket});
  ASSERT_TRUE(ingestd.ok()) << ingestd.status();
  node->ingestd.emplace(*std::move(ingestd));
}

void RelayPairFixture::StartRelay() {
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

void RelayPairFixture::AwaitRelayAndSubscribe() {
  // Ready once one node is elected and the relay hears it say so.
  ASSERT_TRUE(WaitFor([&] { return RelayMetric("firehose_relay_ready") == 1; }, absl::Seconds(20)))
      << "the relay never followed an active node";
  ASSERT_TRUE(WaitFor([&] { return RelayMetric("firehose_relay_node_connected") == 3; },
                      absl::Seconds(10)));
  consumer_ = std::make_unique<Consumer>(relay_->grpc_address);
  ASSERT_TRUE(
      WaitFor([&] { return RelayMetric("firehose_relay_subscribers") == 1; }, absl::Seconds(10)));
}

namespace {

// The sum of `name`'s samples with `labels` on the /metrics page at `address`; -1 when
// the page cannot be read.
double MetricAt(const std::string& address, const std::string& name,
                const std::map<std::string, std::string>& labels) {
  absl::StatusOr<std::string> page = testing::HttpGet(address, "/metrics");
  if (!page.ok()) return -1;
  return testing::SumSamples(testing::ParsePrometheusText(*page), name, labels);
}

}  // namespace

double RelayPairFixture::RelayMetric(const std::string& name,
                                     const std::map<std::string, std::string>& labels) const {
  return MetricAt(relay_->metrics_address, name, labels);
}

double RelayPairFixture::NodeMetric(const Node& node, const std::string& name,
                                    const std::map<std::string, std::string>& labels) const {
  return MetricAt(node.ingestd->metrics_address, name, labels);
}

RelayPairFixture::RelayBooks RelayPairFixture::ReadRelayBooks() const {
  RelayBooks books;
  books.received = RelayMetric("firehose_relay_received_batches_total");
  books.forwarded = RelayMetric("firehose_relay_forwarded_batches_total");
  books.duplicate = RelayMetric("firehose_relay_dropped_batches_total", {{"reason", "duplicate"}});
  books.stale = RelayMetric("firehose_relay_dropped_batches_total", {{"reason", "stale_epoch"}});
  return books;
}

void RelayPairFixture::ExpectRelayBooksBalance(const RelayBooks& books, const Received& got) const {
  EXPECT_EQ(books.received, books.forwarded + books.duplicate + books.stale);
  EXPECT_EQ(RelayMetric("firehose_relay_received_records_total"),
            RelayMetric("firehose_relay_forwarded_records_total") +
                RelayMetric("firehose_relay_dropped_records_total"));
  EXPECT_EQ(books.forwarded, got.batches.size());
  EXPECT_EQ(RelayMetric("firehose_relay_forwarded_records_total"), got.records);
  EXPECT_GT(books.duplicate, 0) << "node-a's batches came by two paths";
  EXPECT_EQ(books.received, 2 * NodeMetric(a_, "firehose_published_batches_total") +
                                NodeMetric(b_, "firehose_published_batches_total"));
}

void RelayPairFixture::SendToBoth(const std::string& phase) {
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

}  // namespace firehose::relay_e2e
