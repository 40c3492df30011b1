// The relay: subscribes to every node of every configured pair (reconnecting and
// resuming), follows each pair's highest epoch, drops duplicates and stale-epoch
// batches, and republishes what is left as one stream of its own — relay_id, the
// relay's epoch and a dense seq, with the origin (pair, node, epoch, seq) kept in each
// batch — through the same subscriber hub, replay ring and Subscribe service as
// ingestd. Also serves gRPC health (readiness: connected to the active node of every
// pair) on the Subscribe port and, when configured, on a plaintext health-only port, and
// Prometheus /metrics. See docs/relay.md.
#ifndef FIREHOSE_RELAY_RELAY_H_
#define FIREHOSE_RELAY_RELAY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/subscriber.h"
#include "grpcpp/grpcpp.h"
#include "node/export/ingest_service.h"
#include "node/export/subscriber_hub.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "relay/pair_follower.h"
#include "relay/relay_config.h"

namespace firehose::relay {

// The name of each thread that reads one upstream node and forwards its batches.
inline constexpr char kFollowThreadName[] = "relay-follow";

// The gRPC health service name whose status is the relay's readiness.
inline constexpr char kReadinessService[] = "firehose.v1.Ingest";

// What the relay adds to its stream, for metrics and tests.
struct PairSnapshot {
  std::string name;
  PairCounters counters;
  uint64_t epoch = 0;
  bool ready = false;
  struct Node {
    std::string address;
    bool connected = false;
    bool active = false;
    // The client library's view: connections opened, batches it skipped itself after
    // resuming (never shown to the follower).
    uint64_t connections = 0;
    uint64_t resume_duplicates = 0;
  };
  std::vector<Node> nodes;
};

struct RelaySnapshot {
  std::string relay_id;
  uint64_t epoch = 0;
  uint64_t last_seq = 0;
  bool ready = false;
  std::vector<PairSnapshot> pairs;
  exporter::HubStats hub;
  // The relay's own subscribers, for their lag.
  std::vector<exporter::SubscriberSnapshot> subscribers;
};

struct RelayHooks {
  // Called with every batch the relay forwards (stamped as the relay's; the node's
  // node_id, epoch and seq are in origin_*), under the relay's lock, in stream order:
  // statsd aggregation. The relay forwards batches without parsing them; with this
  // hook set each is parsed once, and filtered subscribers share that parse.
  std::function<void(const v1::Batch&)> on_forwarded;
  // More collectables for /metrics (the statsd aggregation's).
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables;
};

class Relay {
 public:
  // Starts the Subscribe server, /metrics and one subscriber per upstream node.
  static absl::StatusOr<std::unique_ptr<Relay>> Start(const RelayConfig& config,
                                                      RelayHooks hooks = {});
  ~Relay();

  // Drain like ingestd: stop following the nodes, report NOT_SERVING, give connected
  // subscribers up to `drain_timeout` to receive what was forwarded, then shut down.
  void Stop(absl::Duration drain_timeout);

  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& metrics_address() const { return metrics_address_; }
  // The health-only listener's address; empty when health.listen is off.
  const std::string& health_address() const { return health_address_; }
  RelaySnapshot Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Upstream {
    size_t pair = 0;
    size_t node = 0;
    std::string address;
    std::unique_ptr<client::Subscriber> subscriber;
    std::thread thread;
  };

  Relay(const RelayConfig& config, RelayHooks hooks);
  absl::Status StartServer();
  absl::Status StartHealth();
  absl::Status StartMetrics();
  absl::Status StartUpstreams();
  void Follow(Upstream* upstream);
  void OnResponse(const Upstream& upstream, client::Subscriber::RawResponse response)
      ABSL_LOCKS_EXCLUDED(mu_);
  void OnNoticeLocked(const Upstream& upstream, const v1::Notice& notice)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnDisconnect(const Upstream& upstream, const grpc::Status& status) ABSL_LOCKS_EXCLUDED(mu_);
  // Publishes a batch as the relay's: its bytes as received (`bytes`, a serialized
  // SubscribeResponse whose batch has `header`) with the relay's stamps appended.
  void Forward(const Upstream& upstream, const client::BatchHeader& header, grpc::ByteBuffer& bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Updates the health service when readiness changed.
  void UpdateReadinessLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sets `service`'s status on every server that serves gRPC health.
  void SetHealth(const std::string& service, bool serving);

  const RelayConfig config_;
  RelayHooks hooks_;
  // The relay's epoch: its start time in ms since the Unix epoch, so that a restarted
  // relay's stream supersedes the previous one's.
  const uint64_t epoch_;

  mutable absl::Mutex mu_;
  std::vector<PairFollower> followers_ ABSL_GUARDED_BY(mu_);
  uint64_t cumulative_records_ ABSL_GUARDED_BY(mu_) = 0;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<uint64_t> last_seq_{0};
  std::atomic<bool> ready_flag_{false};
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;

  std::unique_ptr<exporter::SubscriberHub> hub_;
  std::unique_ptr<exporter::IngestService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string grpc_address_;
  // health.listen: grpc.health.v1.Health only, plaintext; null when off.
  std::unique_ptr<grpc::Server> health_server_;
  std::string health_address_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Collectable> collector_;
  std::string metrics_address_;
  std::vector<std::unique_ptr<Upstream>> upstreams_;
};

}  // namespace firehose::relay

#endif  // FIREHOSE_RELAY_RELAY_H_
