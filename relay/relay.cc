// The relay's wiring: upstream subscribers -> pair followers -> hub -> Subscribe; see
// the header.
#include "relay/relay.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "node/config/grpc_config.h"
#include "node/export/block_buffer.h"
#include "node/export/grpc_server.h"
#include "node/export/replay_ring.h"
#include "relay/health_server.h"
#include "relay/relay_collector.h"
#include "relay/relay_stamps.h"
#include "spdlog/spdlog.h"

namespace firehose::relay {
namespace {

// A node that refuses the relay for good (bad token, wrong CA...) is asked again this
// many reconnect backoffs later: the fix usually arrives by a config or secret change
// on the other side, without restarting the relay.
constexpr int kRefusedRetryBackoffs = 20;
// Reconnect delays grow up to this many times upstream.reconnect_backoff_ms.
constexpr int kMaxBackoffFactor = 10;

std::string WithPort(const std::string& listen, int port) {
  return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
}

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(text.str()));
  if (!in || token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("upstream.token_file: cannot read a token from ", path));
  }
  return token;
}

}  // namespace

Relay::Relay(const RelayConfig& config, RelayHooks hooks)
    : config_(config),
      hooks_(std::move(hooks)),
      epoch_(static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()))) {
  for (const RelayConfig::Pair& pair : config_.pairs) {
    followers_.emplace_back(pair.name, pair.nodes.size());
  }
}

absl::StatusOr<std::unique_ptr<Relay>> Relay::Start(const RelayConfig& config, RelayHooks hooks) {
  std::unique_ptr<Relay> relay(new Relay(config, std::move(hooks)));
  if (absl::Status s = relay->StartServer(); !s.ok()) return s;
  if (absl::Status s = relay->StartHealth(); !s.ok()) return s;
  if (absl::Status s = relay->StartMetrics(); !s.ok()) return s;
  if (absl::Status s = relay->StartUpstreams(); !s.ok()) return s;
  return relay;
}

absl::Status Relay::StartServer() {
  absl::StatusOr<std::vector<exporter::ConsumerToken>> tokens =
      config::LoadConsumerTokens(config_.server);
  if (!tokens.ok()) return tokens.status();
  hub_ = std::make_unique<exporter::SubscriberHub>(config::HubOptionsFor(config_.server));
  exporter::IngestServiceOptions options;
  options.heartbeat_interval = absl::Milliseconds(config_.server.heartbeat_ms);
  options.tokens = *std::move(tokens);
  // The relay's own heartbeats say "active" while it follows an active node of every
  // pair, so a relay can follow relays.
  options.active = [this] { return ready_flag_.load(); };
  service_ = std::make_unique<exporter::IngestService>(
      hub_.get(), [this] { return last_seq_.load(); }, [this] { return epoch_; },
      std::move(options));
  absl::StatusOr<exporter::StartedServer> started =
      exporter::StartGrpcServer(config::ServerOptionsFor(config_.server), service_.get());
  if (!started.ok()) return started.status();
  server_ = std::move(started->server);
  grpc_address_ = started->address;
  SetHealth("", true);
  SetHealth(kReadinessService, false);
  return absl::OkStatus();
}

// Before the upstreams start, so the first readiness change reaches both servers.
absl::Status Relay::StartHealth() {
  if (config_.health_listen.empty()) return absl::OkStatus();
  absl::StatusOr<exporter::StartedServer> started = StartHealthServer(config_.health_listen);
  if (!started.ok()) return started.status();
  health_server_ = std::move(started->server);
  health_address_ = started->address;
  SetHealth("", true);
  SetHealth(kReadinessService, false);
  return absl::OkStatus();
}

void Relay::SetHealth(const std::string& service, bool serving) {
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    if (server == nullptr) continue;
    if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
      health->SetServingStatus(service, serving);
    }
  }
}

absl::Status Relay::StartMetrics() {
  if (config_.server.metrics_listen.empty()) return absl::OkStatus();
  collector_ = std::make_shared<RelayCollector>([this] { return Snapshot(); });
  // prometheus-cpp reports a failed bind by throwing; start-up only.
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(config_.server.metrics_listen);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ",
                                               config_.server.metrics_listen,
                                               " (metrics.listen): ", e.what()));
  }
  exposer_->RegisterCollectable(collector_);
  for (const auto& collectable : hooks_.collectables) exposer_->RegisterCollectable(collectable);
  const std::vector<int> ports = exposer_->GetListeningPorts();
  metrics_address_ = WithPort(config_.server.metrics_listen, ports.empty() ? 0 : ports.front());
  return absl::OkStatus();
}

absl::Status Relay::StartUpstreams() {
  std::string token;
  if (!config_.upstream_token_file.empty()) {
    absl::StatusOr<std::string> read = ReadToken(config_.upstream_token_file);
    if (!read.ok()) return read.status();
    token = *std::move(read);
  }
  for (size_t p = 0; p < config_.pairs.size(); ++p) {
    for (size_t n = 0; n < config_.pairs[p].nodes.size(); ++n) {
      auto upstream = std::make_unique<Upstream>();
      upstream->pair = p;
      upstream->node = n;
      upstream->address = config_.pairs[p].nodes[n];
      client::SubscriberOptions options;
      options.address = upstream->address;
      options.request.set_client_name(config_.relay_id);
      options.tls_ca_file = config_.upstream_tls.ca;
      options.tls_cert_file = config_.upstream_tls.cert;
      options.tls_key_file = config_.upstream_tls.key;
      options.tls_server_name = config_.upstream_tls.server_name;
      options.token = token;
      options.idle_timeout = absl::Milliseconds(config_.idle_timeout_ms);
      options.initial_backoff = absl::Milliseconds(config_.reconnect_backoff_ms);
      options.max_backoff = options.initial_backoff * kMaxBackoffFactor;
      options.connect_timeout = std::max(options.max_backoff, absl::Seconds(1));
      // Fail at start on unreadable TLS files rather than retrying them forever.
      if (auto credentials = client::MakeChannelCredentials(options); !credentials.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("upstream.tls: ", credentials.status().message()));
      }
      upstream->subscriber = std::make_unique<client::Subscriber>(std::move(options));
      upstreams_.push_back(std::move(upstream));
    }
  }
  for (const std::unique_ptr<Upstream>& upstream : upstreams_) {
    Upstream* raw = upstream.get();
    raw->thread = std::thread([this, raw] {
      // Named for `top -H` and the benchmark, which reads this thread's CPU time.
      pthread_setname_np(pthread_self(), kFollowThreadName);
      Follow(raw);
    });
  }
  return absl::OkStatus();
}

void Relay::Follow(Upstream* upstream) {
  const std::string& pair = config_.pairs[upstream->pair].name;
  while (!stopping_.load()) {
    // Batches are forwarded as the bytes they came in, never parsed: the follower
    // reads a batch's header fields only and appends its own stamps
    // (docs/benchmarks.md, "The relay's cost per forwarded batch").
    absl::Status done = upstream->subscriber->RunRaw(
        [this, upstream](client::Subscriber::RawResponse response) {
          OnResponse(*upstream, std::move(response));
        },
        [this, upstream](const grpc::Status& status, absl::Duration) {
          OnDisconnect(*upstream, status);
        });
    OnDisconnect(*upstream, grpc::Status::CANCELLED);
    if (stopping_.load()) break;
    spdlog::error("pair {}: node {} refuses the relay: {}; asking again later", pair,
                  upstream->address, std::string(done.message()));
    const absl::Time until =
        absl::Now() + absl::Milliseconds(config_.reconnect_backoff_ms) * kRefusedRetryBackoffs;
    while (!stopping_.load() && absl::Now() < until) absl::SleepFor(absl::Milliseconds(50));
  }
}

void Relay::OnResponse(const Upstream& upstream, client::Subscriber::RawResponse response) {
  absl::MutexLock lock(&mu_);
  PairFollower& follower = followers_[upstream.pair];
  if (response.batch.has_value()) {
    const client::BatchHeader& header = *response.batch;
    if (follower.OnBatch(upstream.node, header.epoch, header.seq, header.record_count) ==
        Verdict::kForward) {
      Forward(upstream, header, response.bytes);
    }
  } else if (response.message != nullptr && response.message->has_notice()) {
    OnNoticeLocked(upstream, response.message->notice());
  }
  UpdateReadinessLocked();
}

void Relay::OnNoticeLocked(const Upstream& upstream, const v1::Notice& notice) {
  PairFollower& follower = followers_[upstream.pair];
  const uint64_t before = follower.epoch();
  follower.OnNotice(upstream.node, notice);
  if (follower.epoch() != before) {
    spdlog::info("pair {}: following epoch {} (node {})", follower.name(), follower.epoch(),
                 upstream.address);
  }
  if (notice.has_gap()) {
    spdlog::warn("pair {}: node {} reports {} records lost upstream (epoch {} seq {}..{})",
                 follower.name(), upstream.address, notice.gap().records(), notice.gap().epoch(),
                 notice.gap().first_seq(), notice.gap().last_seq());
  }
}

void Relay::OnDisconnect(const Upstream& upstream, const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  PairFollower& follower = followers_[upstream.pair];
  if (follower.NodeConnected(upstream.node) && !stopping_.load()) {
    spdlog::warn("pair {}: lost node {}: {}", follower.name(), upstream.address,
                 status.error_message());
  }
  follower.OnDisconnect(upstream.node);
  UpdateReadinessLocked();
}

void Relay::Forward(const Upstream& upstream, const client::BatchHeader& header,
                    grpc::ByteBuffer& bytes) {
  const uint64_t seq = last_seq_.load() + 1;
  // A second SubscribeResponse{batch} after the node's: parsing the two as one merges
  // the batches, and a field present in both takes the later value, so consumers see
  // the node's batch with the relay's node_id, epoch and seq and the origin kept.
  // Every stamp is written even when zero, so it always replaces the node's value.
  const std::string stamps = EncodeRelayStamps(RelayStamps{
      .node_id = config_.relay_id,
      .epoch = epoch_,
      .seq = seq,
      .origin_pair = config_.pairs[upstream.pair].name,
      .origin_node_id = header.node_id,
      .origin_epoch = header.epoch,
      .origin_seq = header.seq,
  });
  std::vector<grpc::Slice> slices;
  if (!bytes.Dump(&slices).ok()) {
    // Only an empty ByteBuffer fails, and a batch with a header is never empty.
    spdlog::error("pair {}: batch seq {} from {} has no bytes; not forwarded",
                  config_.pairs[upstream.pair].name, header.seq, upstream.address);
    return;
  }
  std::vector<std::string_view> pieces;
  pieces.reserve(slices.size() + 1);
  for (const grpc::Slice& slice : slices) {
    pieces.emplace_back(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  pieces.emplace_back(stamps);
  exporter::PublishedBatch published;
  published.encoded =
      std::make_shared<exporter::EncodedBatch>(exporter::BlockBuffer::CopyOfPieces(pieces));
  cumulative_records_ += header.record_count;
  published.epoch = epoch_;
  published.seq = seq;
  published.records = header.record_count;
  published.cumulative_records = cumulative_records_;
  // The blocks alone, as ingestd charges its batches; a filtered subscriber's parse is
  // charged when it happens (EncodedBatch::ChargeParsedTo).
  published.bytes = exporter::ReplayFootprint(*published.encoded);
  if (hooks_.on_forwarded) {
    if (const v1::SubscribeResponse* message = published.encoded->message()) {
      hooks_.on_forwarded(message->batch());
    }
  }
  hub_->Publish(published);
  last_seq_.store(seq);
}

void Relay::UpdateReadinessLocked() {
  bool ready = !followers_.empty();
  for (const PairFollower& follower : followers_) ready = ready && follower.Ready();
  if (ready == ready_) return;
  ready_ = ready;
  ready_flag_.store(ready);
  spdlog::info("{}: {}", config_.relay_id,
               ready ? "ready: following the active node of every pair"
                     : "not ready: some pair has no connected active node");
  if (stopping_.load()) return;
  SetHealth(kReadinessService, ready);
}

RelaySnapshot Relay::Snapshot() const {
  RelaySnapshot snapshot;
  snapshot.relay_id = config_.relay_id;
  snapshot.epoch = epoch_;
  snapshot.last_seq = last_seq_.load();
  snapshot.hub = hub_->stats();
  snapshot.subscribers = hub_->Subscribers();
  std::vector<std::vector<client::SubscriberStats>> clients(config_.pairs.size());
  for (const std::unique_ptr<Upstream>& upstream : upstreams_) {
    clients[upstream->pair].push_back(upstream->subscriber->stats());
  }
  absl::MutexLock lock(&mu_);
  snapshot.ready = ready_;
  for (size_t p = 0; p < followers_.size(); ++p) {
    const PairFollower& follower = followers_[p];
    PairSnapshot pair;
    pair.name = follower.name();
    pair.counters = follower.counters();
    pair.epoch = follower.epoch();
    pair.ready = follower.Ready();
    for (size_t n = 0; n < follower.node_count(); ++n) {
      PairSnapshot::Node node;
      node.address = config_.pairs[p].nodes[n];
      node.connected = follower.NodeConnected(n);
      node.active = follower.NodeActive(n);
      if (n < clients[p].size()) {
        node.connections = clients[p][n].connections;
        node.resume_duplicates = clients[p][n].duplicates_skipped;
      }
      pair.nodes.push_back(std::move(node));
    }
    snapshot.pairs.push_back(std::move(pair));
  }
  return snapshot;
}

void Relay::Stop(absl::Duration drain_timeout) {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  for (const std::unique_ptr<Upstream>& upstream : upstreams_) upstream->subscriber->Stop();
  for (const std::unique_ptr<Upstream>& upstream : upstreams_) {
    if (upstream->thread.joinable()) upstream->thread.join();
  }
  // Nothing more is forwarded: the connected subscribers receive the rest. The probes
  // see NOT_SERVING on both ports from the start of the drain.
  if (health_server_ != nullptr) exporter::SetServing(health_server_.get(), false);
  exporter::DrainAndShutdown(server_.get(), hub_.get(), drain_timeout);
  if (health_server_ != nullptr) {
    health_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  exposer_.reset();
}

Relay::~Relay() { Stop(absl::ZeroDuration()); }

}  // namespace firehose::relay
