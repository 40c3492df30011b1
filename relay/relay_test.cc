// The relay in process against two fake nodes — the real subscriber hub, Subscribe
// service and gRPC server on loopback, publishing hand-made batches with chosen epochs —
// and a real subscriber reading the relay: one dense stream across a failover, origins
// kept, duplicates from a second path to the same node dropped, the deposed node's late
// batch dropped as stale, counts that add up, and readiness on gRPC health — on the
// Subscribe port, and on the plaintext health-only port while Subscribe serves TLS.
#include "relay/relay.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "client/subscriber.h"
#include "controlplane/controld/grpc_health_v1.grpc.pb.h"
#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"
#include "relay/fake_node.h"

namespace firehose::relay {
namespace {

// Reads the relay's stream on its own thread.
class Consumer {
 public:
  explicit Consumer(const std::string& address) {
    client::SubscriberOptions options;
    options.address = address;
    options.request.set_client_name("relay-test");
    subscriber_ = std::make_unique<client::Subscriber>(options);
    thread_ = std::thread([this] {
      (void)subscriber_->Run([this](const v1::SubscribeResponse& message) {
        if (!message.has_batch()) return;
        absl::MutexLock lock(&mu_);
        batches_.push_back(message.batch());
      });
    });
  }
  ~Consumer() {
    subscriber_->Stop();
    thread_.join();
  }
  std::vector<v1::Batch> batches() const {
    absl::MutexLock lock(&mu_);
    return batches_;
  }

 private:
  std::unique_ptr<client::Subscriber> subscriber_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<v1::Batch> batches_;
};

// A plaintext Check, as the kubelet's gRPC probe sends it; UNKNOWN when the call fails.
grpc::health::v1::HealthCheckResponse::ServingStatus Health(const std::string& address,
                                                            const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  if (!stub->Check(&context, request, &response).ok()) {
    return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

TEST(RelayTest, OneDenseStreamAcrossAFailoverWithDuplicatesAndStaleBatchesDropped) {
  FakeNode a("node-a", 10, /*active=*/true);
  FakeNode b("node-b", 1, /*active=*/false);
  // node-a twice: by address and by an explicit ipv4: target, so every one of its
  // batches reaches the relay by two paths.
  const std::string yaml = absl::StrCat(
      "relay_id: relay-t\n"
      "grpc: {listen: '127.0.0.1:0', heartbeat_ms: 100}\n"
      "metrics: {listen: '127.0.0.1:0'}\n"
      "upstream:\n"
      "  pairs: [{name: edge, nodes: ['",
      a.address(), "', '", b.address(), "', 'ipv4:", a.address(), "']}]\n",
      "  reconnect_backoff_ms: 50\n  idle_timeout_ms: 1000\n");
  absl::StatusOr<RelayConfig> config = ParseRelayConfig(yaml, "relay.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  std::vector<uint64_t> forwarded_epochs;
  RelayHooks hooks;
  hooks.on_forwarded = [&forwarded_epochs](const v1::Batch& batch) {
    forwarded_epochs.push_back(batch.origin_epoch());
  };
  absl::StatusOr<std::unique_ptr<Relay>> relay = Relay::Start(*config, std::move(hooks));
  ASSERT_TRUE(relay.ok()) << relay.status();
  const std::string relay_address = (*relay)->grpc_address();
  EXPECT_EQ(Health(relay_address, ""), grpc::health::v1::HealthCheckResponse::SERVING);

  // Ready once a's heartbeat says it is active (no traffic needed).
  ASSERT_TRUE(WaitFor([&] {
    return Health(relay_address, kReadinessService) ==
           grpc::health::v1::HealthCheckResponse::SERVING;
  }));
  Consumer consumer(relay_address);
  ASSERT_TRUE(WaitFor([&] { return (*relay)->Snapshot().hub.subscribers == 1; }));
  // Every path to a has connected before a publishes, so each batch arrives twice.
  ASSERT_TRUE(WaitFor([&] {
    const RelaySnapshot s = (*relay)->Snapshot();
    return s.pairs[0].nodes[0].connected && s.pairs[0].nodes[2].connected;
  }));

  for (int i = 0; i < 5; ++i) a.Publish(3);
  ASSERT_TRUE(
      WaitFor([&] { return (*relay)->Snapshot().pairs[0].counters.received_batches == 10; }));

  // Failover: b is promoted in a higher epoch and announces it; a is deposed but, not
  // knowing yet, publishes one more batch of its old epoch.
  b.SetRole(true, 20);
  ASSERT_TRUE(WaitFor([&] { return (*relay)->Snapshot().pairs[0].epoch == 20; }));
  a.Publish(7);
  a.SetRole(false, 10);
  for (int i = 0; i < 4; ++i) b.Publish(2);
  ASSERT_TRUE(WaitFor([&] { return consumer.batches().size() == 9; }));

  const RelaySnapshot s = (*relay)->Snapshot();
  const PairCounters& c = s.pairs[0].counters;
  EXPECT_EQ(c.forwarded_batches, 9u);
  EXPECT_EQ(c.forwarded_records, 5u * 3 + 4u * 2);
  EXPECT_EQ(c.duplicate_batches, 5u);
  EXPECT_EQ(c.stale_batches, 2u);  // a's late batch, by both paths
  EXPECT_EQ(c.stale_records, 14u);
  EXPECT_EQ(c.received_batches, c.forwarded_batches + c.duplicate_batches + c.stale_batches);
  EXPECT_EQ(c.received_records, c.forwarded_records + c.duplicate_records + c.stale_records);
  EXPECT_EQ(c.gap_batches, 0u);
  EXPECT_EQ(c.epoch_changes, 1u);
  EXPECT_TRUE(s.pairs[0].nodes[1].active);

  // The relay's own stream: its id and epoch, seq dense from 1; the origin kept.
  const std::vector<v1::Batch> got = consumer.batches();
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].node_id(), "relay-t");
    EXPECT_EQ(got[i].epoch(), s.epoch);
    EXPECT_EQ(got[i].seq(), i + 1);
    EXPECT_EQ(got[i].origin_pair(), "edge");
    const bool from_a = i < 5;
    EXPECT_EQ(got[i].origin_node_id(), from_a ? "node-a" : "node-b");
    EXPECT_EQ(got[i].origin_epoch(), from_a ? 10u : 20u);
    EXPECT_EQ(got[i].origin_seq(), from_a ? i + 1 : i - 4);
  }
  // The hook sees each forwarded batch once, parsed and stamped (the node's epoch as
  // origin_epoch), in stream order.
  EXPECT_EQ(forwarded_epochs, (std::vector<uint64_t>{10, 10, 10, 10, 10, 20, 20, 20, 20}));
  // The consumer has everything: no lag.
  EXPECT_TRUE(WaitFor([&] {
    const RelaySnapshot now = (*relay)->Snapshot();
    return now.subscribers.size() == 1 && now.subscribers[0].lag_batches == 0;
  }));

  // The active node goes away: not ready (a is standby), though still alive.
  b.Shutdown();
  EXPECT_TRUE(WaitFor([&] {
    return Health(relay_address, kReadinessService) ==
           grpc::health::v1::HealthCheckResponse::NOT_SERVING;
  }));
  EXPECT_EQ(Health(relay_address, ""), grpc::health::v1::HealthCheckResponse::SERVING);
  (*relay)->Stop(absl::Seconds(1));
}

TEST(RelayTest, AResumingConsumerContinuesAfterItsLastBatch) {
  FakeNode a("node-a", 5, /*active=*/true);
  const std::string yaml = absl::StrCat(
      "relay_id: relay-r\n"
      "grpc: {listen: '127.0.0.1:0', heartbeat_ms: 100}\n"
      "metrics: {listen: ''}\n"
      "upstream: {pairs: [{name: edge, nodes: ['",
      a.address(),
      "']}], "
      "reconnect_backoff_ms: 50}\n");
  absl::StatusOr<RelayConfig> config = ParseRelayConfig(yaml, "relay.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<std::unique_ptr<Relay>> relay = Relay::Start(*config);
  ASSERT_TRUE(relay.ok()) << relay.status();
  ASSERT_TRUE(WaitFor([&] { return (*relay)->Snapshot().ready; }));
  for (int i = 0; i < 6; ++i) a.Publish(1);
  ASSERT_TRUE(WaitFor([&] { return (*relay)->Snapshot().last_seq == 6; }));

  // From the relay's replay ring: after (relay epoch, 4) come 5 and 6, then live 7.
  client::SubscriberOptions options;
  options.address = (*relay)->grpc_address();
  options.request.mutable_start()->set_from(v1::StartPosition::FROM_AFTER);
  options.request.mutable_start()->set_epoch((*relay)->Snapshot().epoch);
  options.request.mutable_start()->set_seq(4);
  client::Subscriber subscriber(options);
  std::vector<uint64_t> seqs;
  absl::Mutex mu;
  std::thread reader([&] {
    (void)subscriber.Run([&](const v1::SubscribeResponse& message) {
      if (!message.has_batch()) return;
      absl::MutexLock lock(&mu);
      seqs.push_back(message.batch().seq());
    });
  });
  ASSERT_TRUE(WaitFor([&] {
    absl::MutexLock lock(&mu);
    return seqs.size() == 2;
  }));
  a.Publish(1);
  EXPECT_TRUE(WaitFor([&] {
    absl::MutexLock lock(&mu);
    return seqs.size() == 3;
  }));
  subscriber.Stop();
  reader.join();
  EXPECT_EQ(seqs, (std::vector<uint64_t>{5, 6, 7}));
}

// A self-signed certificate for "localhost", made with the openssl command (no key is
// committed). Returns the directory holding tls.crt and tls.key.
std::string MakeServerCertificate() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/relay-tls";
  const std::string command = absl::StrCat(
      "mkdir -p ", dir, " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 ",
      "-nodes -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout ", dir,
      "/tls.key -out ", dir, "/tls.crt 2>/dev/null");
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return dir;
}

TEST(RelayTest, PlaintextHealthPortReportsReadinessWhileSubscribeServesTls) {
  const std::string tls = MakeServerCertificate();
  FakeNode a("node-a", 3, /*active=*/false);
  const std::string yaml = absl::StrCat(
      "relay_id: relay-h\n"
      "grpc: {listen: '127.0.0.1:0', heartbeat_ms: 100, tls: {cert: '",
      tls, "/tls.crt', key: '", tls,
      "/tls.key'}}\n"
      "health: {listen: '127.0.0.1:0'}\n"
      "metrics: {listen: ''}\n"
      "upstream: {pairs: [{name: edge, nodes: ['",
      a.address(), "']}], reconnect_backoff_ms: 50, idle_timeout_ms: 1000}\n");
  absl::StatusOr<RelayConfig> config = ParseRelayConfig(yaml, "relay.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<std::unique_ptr<Relay>> relay = Relay::Start(*config);
  ASSERT_TRUE(relay.ok()) << relay.status();
  const std::string health = (*relay)->health_address();
  ASSERT_FALSE(health.empty());
  ASSERT_NE(health, (*relay)->grpc_address());
  using grpc::health::v1::HealthCheckResponse;

  // The Subscribe port really is TLS: a plaintext probe there gets no answer at all.
  EXPECT_EQ(Health((*relay)->grpc_address(), ""), HealthCheckResponse::UNKNOWN);
  // Alive at once; not ready while the pair's only node is a standby.
  EXPECT_EQ(Health(health, ""), HealthCheckResponse::SERVING);
  ASSERT_TRUE(WaitFor([&] { return (*relay)->Snapshot().pairs[0].nodes[0].connected; }));
  absl::SleepFor(absl::Milliseconds(300));  // several standby heartbeats
  EXPECT_EQ(Health(health, kReadinessService), HealthCheckResponse::NOT_SERVING);

  // Promoted: ready on the health port, and a TLS subscriber reads the relay meanwhile.
  a.SetRole(true, 4);
  EXPECT_TRUE(
      WaitFor([&] { return Health(health, kReadinessService) == HealthCheckResponse::SERVING; }));
  client::SubscriberOptions options;
  // An ipv4: target skips name resolution (c-ares leaks a few bytes under LSan); the
  // certificate's name is checked through the override.
  options.address = "ipv4:" + (*relay)->grpc_address();
  options.tls_ca_file = tls + "/tls.crt";
  options.tls_server_name = "localhost";
  client::Subscriber subscriber(options);
  std::atomic<int> batches{0};
  std::thread reader([&] {
    (void)subscriber.Run([&](const v1::SubscribeResponse& message) {
      if (message.has_batch()) batches.fetch_add(1);
    });
  });
  ASSERT_TRUE(WaitFor([&] { return (*relay)->Snapshot().hub.subscribers == 1; }));
  a.Publish(2);
  EXPECT_TRUE(WaitFor([&] { return batches.load() == 1; }));
  subscriber.Stop();
  reader.join();

  // Subscribe is not served on the health port.
  auto stub = v1::Ingest::NewStub(grpc::CreateChannel(health, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::SubscribeRequest request;
  auto stream = stub->Subscribe(&context, request);
  v1::SubscribeResponse ignored;
  while (stream->Read(&ignored)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNIMPLEMENTED);

  // The active node goes away: not ready again, still alive.
  a.Shutdown();
  EXPECT_TRUE(WaitFor(
      [&] { return Health(health, kReadinessService) == HealthCheckResponse::NOT_SERVING; }));
  EXPECT_EQ(Health(health, ""), HealthCheckResponse::SERVING);
  (*relay)->Stop(absl::Seconds(1));
}

}  // namespace
}  // namespace firehose::relay
