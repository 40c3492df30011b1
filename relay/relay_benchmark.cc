// The relay's cost per forwarded batch, measured over real gRPC on loopback.
//
// A FakeNode (the real hub, Subscribe service and server) publishes full statsd
// batches encoded as ingestd's publisher encodes them (4096 records, 500-name
// dictionary, 64 senders); the relay follows it in process, and one real subscriber
// reads the relay's stream to the end. The node stays at most a window of batches
// ahead of that subscriber, so the run measures the relay's work, not drop-oldest.
// Reports, per batch:
//   - follow_cpu_us: the relay's follower thread (named kFollowThreadName), which reads
//     the node's stream (gRPC receive, the batch header), de-duplicates and republishes
//     (the bytes copied into pool blocks with the relay's stamps appended);
//   - process_cpu_us: the whole process (node, relay, its serving, the subscriber),
//     a check that the follower's savings are not moved elsewhere;
// and the subscriber's records per second (wall clock).
//
//   bazel run --config=release //relay:relay_benchmark -- --batches=2000
#include <dirent.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/subscriber.h"
#include "node/batch/batch_builder.h"
#include "node/common/mutex_checks.h"
#include "node/batch/statsd_bench_batch.h"
#include "relay/fake_node.h"
#include "relay/relay.h"
#include "relay/relay_config.h"

ABSL_FLAG(int, batches, 2000, "Batches the node publishes (and the relay forwards).");
ABSL_FLAG(int, records_per_batch, 4096, "Records per batch.");
ABSL_FLAG(int, warmup_batches, 1000,
          "Batches forwarded before measuring: enough to fill the node's and the relay's "
          "64 MiB replay rings, so the run measures the steady state, not heap growth.");
ABSL_FLAG(int, rss_every_batches, 0,
          "Print the process's RSS every this many batches (0: never): a memory soak.");

namespace firehose::relay {
namespace {

// The node keeps at most this many batches ahead of the relay's subscriber.
constexpr uint64_t kMaxAhead = 64;
// How long set-up steps and the final delivery may take before the run is abandoned.
constexpr absl::Duration kSetupWait = absl::Seconds(30);

// CPU seconds of every thread of this process named `name`, from the kernel's
// scheduler statistics (nanoseconds on CPU; the first field of schedstat).
double ThreadsCpuSeconds(const std::string& name) {
  double seconds = 0;
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return 0;
  while (dirent* entry = readdir(tasks)) {
    if (entry->d_name[0] == '.') continue;
    const std::string dir = absl::StrCat("/proc/self/task/", entry->d_name);
    std::string comm;
    std::getline(std::ifstream(dir + "/comm"), comm);
    if (comm != name) continue;
    uint64_t nanos = 0;
    std::ifstream(dir + "/schedstat") >> nanos;
    seconds += static_cast<double>(nanos) * 1e-9;
  }
  closedir(tasks);
  return seconds;
}

// The process's resident set (VmRSS), KiB.
int64_t RssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

double ProcessCpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

int Main() {
  const int batches = absl::GetFlag(FLAGS_batches);
  const int per_batch = absl::GetFlag(FLAGS_records_per_batch);
  const int rss_every = absl::GetFlag(FLAGS_rss_every_batches);

  batch::BatchLimits limits;
  limits.max_records = static_cast<uint32_t>(per_batch);
  limits.max_bytes = 1 << 20;
  batch::BatchBuilder builder(limits);
  if (batch::FillStatsdBenchBatch(builder, per_batch) != per_batch) {
    std::fprintf(stderr, "--records_per_batch=%d does not fit one batch\n", per_batch);
    return 2;
  }

  FakeNode node("bench-node", 1, /*active=*/true, /*replay_bytes=*/64 << 20);
  const std::string yaml = absl::StrCat(
      "relay_id: bench-relay\n"
      "grpc: {listen: '127.0.0.1:0', heartbeat_ms: 100}\n"
      "metrics: {listen: ''}\n"
      "upstream: {pairs: [{name: edge, nodes: ['",
      node.address(), "']}]}\n");
  absl::StatusOr<RelayConfig> config = ParseRelayConfig(yaml, "relay_benchmark");
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<Relay>> relay = Relay::Start(*config);
  if (!relay.ok()) {
    std::fprintf(stderr, "%s\n", std::string(relay.status().message()).c_str());
    return 1;
  }
  if (!WaitFor([&] { return (*relay)->Snapshot().ready; }, kSetupWait)) {
    std::fprintf(stderr, "the relay never followed the node\n");
    return 1;
  }

  client::SubscriberOptions options;
  options.address = (*relay)->grpc_address();
  options.request.set_client_name("relay-benchmark");
  client::Subscriber subscriber(options);
  std::atomic<uint64_t> received_batches{0};
  std::atomic<uint64_t> received_records{0};
  std::thread reader([&] {
    (void)subscriber.Run([&](const v1::SubscribeResponse& message) {
      if (!message.has_batch()) return;
      received_records.fetch_add(message.batch().record_count());
      received_batches.fetch_add(1);
    });
  });
  if (!WaitFor([&] { return (*relay)->Snapshot().hub.subscribers == 1; }, kSetupWait)) {
    std::fprintf(stderr, "the subscriber never joined the relay\n");
    return 1;
  }

  const int warmup = absl::GetFlag(FLAGS_warmup_batches);
  for (int i = 1; i <= warmup; ++i) {
    while (static_cast<uint64_t>(i) - received_batches.load() > kMaxAhead) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    node.PublishEncoded(builder);
  }
  if (!WaitFor([&] { return received_batches.load() == static_cast<uint64_t>(warmup); },
               kSetupWait)) {
    std::fprintf(stderr, "the warm-up batches did not all arrive\n");
    return 1;
  }
  const uint64_t records_before = received_records.load();
  const double follow_start = ThreadsCpuSeconds(kFollowThreadName);
  const double process_start = ProcessCpuSeconds();
  const absl::Time wall_start = absl::Now();
  for (int i = warmup + 1; i <= warmup + batches; ++i) {
    while (static_cast<uint64_t>(i) - received_batches.load() > kMaxAhead) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    node.PublishEncoded(builder);
    if (rss_every > 0 && i % rss_every == 0) {
      std::printf("rss batch=%d seconds=%.1f rss_kib=%lld\n", i,
                  absl::ToDoubleSeconds(absl::Now() - wall_start),
                  static_cast<long long>(RssKib()));
      std::fflush(stdout);
    }
  }
  const bool all =
      WaitFor([&] { return received_batches.load() == static_cast<uint64_t>(warmup + batches); },
              kSetupWait);
  const double wall = absl::ToDoubleSeconds(absl::Now() - wall_start);
  const double follow_cpu = ThreadsCpuSeconds(kFollowThreadName) - follow_start;
  const double process_cpu = ProcessCpuSeconds() - process_start;
  subscriber.Stop();
  reader.join();
  const RelaySnapshot snapshot = (*relay)->Snapshot();
  (*relay)->Stop(absl::Seconds(1));
  node.Shutdown();

  const uint64_t forwarded = snapshot.pairs[0].counters.forwarded_batches;
  std::printf(
      "batches=%d records_per_batch=%d follow_cpu_us_per_batch=%.1f "
      "process_cpu_us_per_batch=%.1f records_per_s=%.3g forwarded=%llu received=%llu\n",
      batches, per_batch, follow_cpu / batches * 1e6, process_cpu / batches * 1e6,
      static_cast<double>(received_records.load() - records_before) / wall,
      static_cast<unsigned long long>(forwarded),
      static_cast<unsigned long long>(received_batches.load()));
  if (!all || forwarded != static_cast<uint64_t>(warmup + batches)) {
    std::fprintf(stderr, "not every batch was forwarded and received\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace firehose::relay

int main(int argc, char** argv) {
  firehose::DisableMutexDeadlockGraph();  // as the relay does
  absl::SetProgramUsageMessage(
      "The relay's CPU per forwarded batch over loopback gRPC; flags: --batches=N "
      "--records_per_batch=N --rss_every_batches=N");
  absl::ParseCommandLine(argc, argv);
  return firehose::relay::Main();
}
