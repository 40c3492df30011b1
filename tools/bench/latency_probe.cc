// latency_probe: subscribes to an ingestd for a bounded time and reports how long each
// record took from the node's receive timestamp (Batch.first_receive_unix_nanos +
// receive_offset_nanos) to arrival here, as P50/P99/P999 in one JSON line. The node and
// the probe run on the same machine, so both read the same CLOCK_REALTIME.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "client/response_arena.h"
#include "grpcpp/grpcpp.h"
#include "node/common/mutex_checks.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"
#include "tools/bench/sample_stats.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051", "ingestd's gRPC address.");
ABSL_FLAG(double, seconds, 10, "How long to listen.");
ABSL_FLAG(double, skip_seconds, 1, "Records arriving in this first part are not counted.");

namespace {

using firehose::bench::Percentile;

int64_t RealtimeNanos() { return firehose::bench::ClockNanos(CLOCK_REALTIME); }

}  // namespace

int main(int argc, char** argv) {
  // A subscriber's client would run a release abseil: without this, Debian's debug-mode
  // lock-order graph taxes every gRPC lock here, on the CPUs the node under test shares.
  firehose::DisableMutexDeadlockGraph();
  absl::ParseCommandLine(argc, argv);
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(64 << 20);
  auto stub = firehose::v1::Ingest::NewStub(grpc::CreateCustomChannel(
      absl::GetFlag(FLAGS_address), grpc::InsecureChannelCredentials(), arguments));
  // Allocated and touched before subscribing, so first-touch page faults of the probe's
  // own buffer (slow on a VM) do not land inside the measurement.
  std::vector<int64_t> latencies(size_t{1} << 24);
  size_t count = 0;
  uint64_t overflowed = 0;
  grpc::ClientContext context;
  const int64_t start = RealtimeNanos();
  const int64_t skip_until = start + static_cast<int64_t>(absl::GetFlag(FLAGS_skip_seconds) * 1e9);
  context.set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(absl::GetFlag(FLAGS_seconds) * 1000)));
  firehose::v1::SubscribeRequest request;
  request.set_client_name("latency-probe");
  auto reader = stub->Subscribe(&context, request);
  // Each response parsed onto one arena reset before the next read, as the C++ client
  // library's Subscriber::Run does: the probe shares the machine with the node, so it
  // should cost no more than a careful subscriber.
  firehose::client::ResponseArena arena;
  uint64_t gaps = 0;
  for (firehose::v1::SubscribeResponse* response = arena.Next(); reader->Read(response);
       response = arena.Next()) {
    const int64_t now = RealtimeNanos();
    if (response->has_notice()) {
      if (response->notice().has_gap()) gaps += response->notice().gap().records();
      continue;
    }
    if (now < skip_until) continue;
    const firehose::v1::Batch& batch = response->batch();
    for (uint64_t offset : batch.statsd().receive_offset_nanos()) {
      if (count == latencies.size()) {
        ++overflowed;
        continue;
      }
      latencies[count++] = now - (batch.first_receive_unix_nanos() + static_cast<int64_t>(offset));
    }
  }
  reader->Finish();
  latencies.resize(count);
  const double p50 = Percentile(latencies, 0.50);
  const double p99 = Percentile(latencies, 0.99);
  const double p999 = Percentile(latencies, 0.999);
  // "uncounted": records past the buffer's end (a longer run than it was sized for).
  std::printf(
      "{\"records\":%zu,\"missed\":%lu,\"uncounted\":%lu,\"p50_us\":%.1f,\"p99_us\":%.1f,"
      "\"p999_us\":%.1f}\n",
      count, static_cast<unsigned long>(gaps), static_cast<unsigned long>(overflowed), p50 / 1e3,
      p99 / 1e3, p999 / 1e3);
  return count == 0 ? 1 : 0;
}
