// The `grpc:` section turned into runtime objects: token files read (and refused when
// unreadable), kinds turned into masks, hub and server options carried over.
#include "node/config/grpc_config.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace firehose::config {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(GrpcConfigTest, ReadsTokensAndTheirKinds) {
  IngestConfig config;
  std::ofstream(TempPath("a.token")) << "  secret-a\n";
  config.grpc_tokens.push_back({"alice", TempPath("a.token"), {"statsd", "flow"}});
  config.grpc_tokens.push_back({"bob", TempPath("a.token"), {}});
  absl::StatusOr<std::vector<exporter::ConsumerToken>> tokens = LoadConsumerTokens(config);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_EQ((*tokens)[0].token, "secret-a");
  EXPECT_EQ((*tokens)[0].kinds,
            exporter::KindBit(v1::RECORD_KIND_STATSD) | exporter::KindBit(v1::RECORD_KIND_FLOW));
  EXPECT_EQ((*tokens)[1].kinds, exporter::kAllKinds);
}

TEST(GrpcConfigTest, AnUnreadableTokenFileIsAnErrorNamingTheToken) {
  IngestConfig config;
  config.grpc_tokens.push_back({"carol", TempPath("missing.token"), {}});
  absl::StatusOr<std::vector<exporter::ConsumerToken>> tokens = LoadConsumerTokens(config);
  ASSERT_FALSE(tokens.ok());
  EXPECT_NE(tokens.status().message().find("grpc.tokens: carol"), absl::string_view::npos);
}

TEST(GrpcConfigTest, CarriesHubAndServerOptions) {
  IngestConfig config;
  config.subscriber_queue_batches = 17;
  config.slow_subscriber = "disconnect";
  config.replay_bytes = 4096;
  config.subscriber_queue_bytes = 1 << 20;
  config.grpc_listen = "127.0.0.1:0";
  config.grpc_tls.cert = "c.pem";
  config.grpc_tls.key = "k.pem";
  config.grpc_tls.client_ca = "ca.pem";
  const exporter::HubOptions hub = HubOptionsFor(config);
  EXPECT_EQ(hub.queue_capacity, 17u);
  EXPECT_EQ(hub.policy, exporter::SlowSubscriberPolicy::kDisconnect);
  EXPECT_EQ(hub.replay_bytes, 4096u);
  EXPECT_EQ(hub.queue_bytes, 1u << 20);
  const exporter::GrpcServerOptions server = ServerOptionsFor(config);
  EXPECT_EQ(server.listen, "127.0.0.1:0");
  EXPECT_EQ(server.tls_cert_file, "c.pem");
  EXPECT_EQ(server.tls_key_file, "k.pem");
  EXPECT_EQ(server.tls_client_ca_file, "ca.pem");
}

}  // namespace
}  // namespace firehose::config
