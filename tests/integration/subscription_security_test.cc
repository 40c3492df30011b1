// Security of Subscribe over real gRPC: TLS and mutual TLS from PEM files and
// per-consumer bearer tokens with allowed record kinds. Certificates are made at test
// time with the openssl command (no private key is ever committed): one CA that signs
// the node and the good clients, a second CA nobody trusts, and an expired client.
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/subscription_test_node.h"

namespace firehose::testing {
namespace {

constexpr absl::Duration kWait = absl::Seconds(20);

class Pki {
 public:
  Pki() {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/pki-", getpid());
    Run(absl::StrCat("mkdir -p ", dir_));
    MakeCa("ca");
    MakeCa("rogue-ca");
    std::ofstream(absl::StrCat(dir_, "/san.ext")) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    MakeCert("node", "ca", "localhost", 1, true);
    MakeCert("client", "ca", "relay", 1, false);
    MakeCert("rogue", "rogue-ca", "relay", 1, false);
    // -days 0: valid from now until now, so expired a second later.
    MakeCert("expired", "ca", "relay", 0, false);
  }
  std::string Path(const std::string& name) const { return absl::StrCat(dir_, "/", name); }
  bool ok() const { return ok_; }

 private:
  void Run(const std::string& command) {
    if (std::system(absl::StrCat(command, " >/dev/null 2>&1").c_str()) != 0) ok_ = false;
  }
  void MakeCa(const std::string& name) {
    Run(
        absl::StrCat("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                     "-nodes -days 2 -subj /CN=",
                     name, " -keyout ", Path(name + ".key"), " -out ", Path(name + ".crt")));
  }
  void MakeCert(const std::string& name, const std::string& ca, const std::string& cn, int days,
                bool server) {
    Run(
        absl::StrCat("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                     "-subj /CN=",
                     cn, " -keyout ", Path(name + ".key"), " -out ", Path(name + ".csr")));
    Run(absl::StrCat("openssl x509 -req -in ", Path(name + ".csr"), " -CA ", Path(ca + ".crt"),
                     " -CAkey ", Path(ca + ".key"), " -CAcreateserial -days ", days, " -out ",
                     Path(name + ".crt"),
                     server ? absl::StrCat(" -extfile ", Path("san.ext")) : ""));
  }

  std::string dir_;
  bool ok_ = true;
};

const Pki& Certificates() {
  static const Pki* pki = [] {
    auto* p = new Pki();
    absl::SleepFor(absl::Milliseconds(1100));  // let the -days 0 certificate expire
    return p;
  }();
  return *pki;
}

exporter::GrpcServerOptions MutualTls() {
  const Pki& pki = Certificates();
  return {"127.0.0.1:0", pki.Path("node.crt"), pki.Path("node.key"), pki.Path("ca.crt")};
}

client::SubscriberOptions TlsClient(const TestNode& node, const std::string& ca,
                                    const std::string& cert) {
  const Pki& pki = Certificates();
  client::SubscriberOptions options;
  options.address = node.address();
  options.tls_ca_file = pki.Path(ca + ".crt");
  if (!cert.empty()) {
    options.tls_cert_file = pki.Path(cert + ".crt");
    options.tls_key_file = pki.Path(cert + ".key");
  }
  options.tls_server_name = "localhost";
  options.connect_timeout = absl::Seconds(2);
  options.initial_backoff = absl::Milliseconds(20);
  options.max_attempts = 2;
  options.reconnect_on_end = false;
  return options;
}

// Publishes until the collector has a record or gives up; returns whether it got one.
bool Receives(TestNode& node, Collected& sub) {
  for (int i = 0; i < 100; ++i) {
    if (node.hub().stats().subscribers > 0) {
      node.PublishBatch(10);
      return sub.WaitForValues(1, kWait);
    }
    if (sub.WaitForDone(absl::Milliseconds(50))) return false;
  }
  return false;
}

TEST(SubscriptionSecurityTest, MutualTlsServesAClientCertifiedByTheCa) {
  ASSERT_TRUE(Certificates().ok()) << "openssl failed";
  TestNode node(exporter::HubOptions{}, {}, MutualTls());
  ASSERT_TRUE(node.start_status().ok()) << node.start_status();
  Collected sub(TlsClient(node, "ca", "client"));
  EXPECT_TRUE(Receives(node, sub));
}

TEST(SubscriptionSecurityTest, ClientTrustingAnotherCaRefusesTheNode) {
  ASSERT_TRUE(Certificates().ok());
  TestNode node(exporter::HubOptions{}, {}, MutualTls());
  ASSERT_TRUE(node.start_status().ok());
  Collected sub(TlsClient(node, "rogue-ca", "client"));
  ASSERT_TRUE(sub.WaitForDone(kWait));
  EXPECT_EQ(sub.result().code(), absl::StatusCode::kUnavailable) << sub.result();
  EXPECT_EQ(node.hub().stats().subscriptions_total, 0u);
}

TEST(SubscriptionSecurityTest, NodeRefusesUnknownExpiredOrMissingClientCertificates) {
  ASSERT_TRUE(Certificates().ok());
  TestNode node(exporter::HubOptions{}, {}, MutualTls());
  ASSERT_TRUE(node.start_status().ok());
  for (const std::string cert : {"rogue", "expired", ""}) {
    Collected sub(TlsClient(node, "ca", cert));
    ASSERT_TRUE(sub.WaitForDone(kWait)) << cert;
    EXPECT_EQ(sub.result().code(), absl::StatusCode::kUnavailable) << cert << sub.result();
    EXPECT_TRUE(sub.values().empty()) << cert;
  }
  EXPECT_EQ(node.hub().stats().subscriptions_total, 0u);
}

TEST(SubscriptionSecurityTest, ServerOnlyTlsNeedsNoClientCertificate) {
  ASSERT_TRUE(Certificates().ok());
  exporter::GrpcServerOptions tls = MutualTls();
  tls.tls_client_ca_file.clear();
  TestNode node(exporter::HubOptions{}, {}, tls);
  ASSERT_TRUE(node.start_status().ok());
  Collected sub(TlsClient(node, "ca", ""));
  EXPECT_TRUE(Receives(node, sub));
}

exporter::IngestServiceOptions Tokens() {
  exporter::IngestServiceOptions options;
  options.tokens.push_back({"relay", "s3cret-relay-token", exporter::kAllKinds});
  options.tokens.push_back({"netops", "netops-token-xyz", exporter::KindBit(v1::RECORD_KIND_FLOW)});
  return options;
}

client::SubscriberOptions TokenClient(const TestNode& node, const std::string& token) {
  client::SubscriberOptions options = TlsClient(node, "ca", "client");
  options.token = token;
  return options;
}

TEST(SubscriptionSecurityTest, BearerTokensAuthenticateAndLimitKinds) {
  ASSERT_TRUE(Certificates().ok());
  TestNode node(exporter::HubOptions{}, Tokens(), MutualTls());
  ASSERT_TRUE(node.start_status().ok());
  {
    Collected missing(TokenClient(node, ""));
    ASSERT_TRUE(missing.WaitForDone(kWait));
    EXPECT_EQ(missing.result().code(), absl::StatusCode::kUnauthenticated) << missing.result();
  }
  {
    Collected wrong(TokenClient(node, "s3cret-relay-tokem"));
    ASSERT_TRUE(wrong.WaitForDone(kWait));
    EXPECT_EQ(wrong.result().code(), absl::StatusCode::kUnauthenticated);
  }
  {
    client::SubscriberOptions options = TokenClient(node, "netops-token-xyz");
    options.request.add_kinds(v1::RECORD_KIND_STATSD);
    Collected not_allowed(options);
    ASSERT_TRUE(not_allowed.WaitForDone(kWait));
    EXPECT_EQ(not_allowed.result().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_NE(not_allowed.result().message().find("RECORD_KIND_STATSD"), std::string::npos);
  }
  EXPECT_EQ(node.hub().stats().subscriptions_total, 0u);
  {
    // Asking for nothing in particular gets what the token allows: batch headers but no
    // statsd records.
    Collected netops(TokenClient(node, "netops-token-xyz"));
    Collected relay(TokenClient(node, "s3cret-relay-token"));
    ASSERT_TRUE(node.hub().WaitForSubscribers(2, kWait));
    node.PublishBatch(10);
    ASSERT_TRUE(relay.WaitForValues(10, kWait));
    ASSERT_TRUE(netops.WaitForBatches(1, kWait));
    EXPECT_EQ(netops.seqs().size(), 1u);
    EXPECT_TRUE(netops.values().empty());
  }
}

TEST(SubscriptionSecurityTest, ConstantTimeEqualsComparesWholeSecrets) {
  EXPECT_TRUE(exporter::ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(exporter::ConstantTimeEquals("abd", "abc"));
  EXPECT_FALSE(exporter::ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(exporter::ConstantTimeEquals("abcd", "abc"));
  EXPECT_FALSE(exporter::ConstantTimeEquals("", "abc"));
}

}  // namespace
}  // namespace firehose::testing
