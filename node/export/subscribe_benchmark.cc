// Subscribe throughput and fan-out cost, measured over real gRPC on loopback.
//
// The export stage (hub, replay ring, IngestService on a real server) runs in-process
// with realistic statsd batches (4096 records, 500-name dictionary, 64 senders, one or
// two tags each); real clients read and parse every message. Reports:
//   - records/s one subscriber receives (wall clock, from first to last batch);
//   - the export thread's CPU per published batch (CLOCK_THREAD_CPUTIME_ID) with N
//     subscribers, the cost fan-out adds next to the lcores, which only ever meet the
//     export side through their SPSC hand-off rings.
// --serialize=shared sends unchanged batches as one shared serialisation (what ingestd
// does); --serialize=per_subscriber serialises per write (gRPC's default), for contrast.
//
//   bazel run --config=release //node/export:subscribe_benchmark -- --subscribers=1
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "node/export/grpc_server.h"
#include "node/export/ingest_service.h"
#include "node/export/subscriber_hub.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"

ABSL_FLAG(int, batches, 2000, "Batches to publish.");
ABSL_FLAG(int, records_per_batch, 4096, "Records per batch.");
ABSL_FLAG(int, subscribers, 1, "Concurrent subscribers.");
ABSL_FLAG(bool, filtered, false, "Subscribers use a name-prefix filter (keeps ~half).");
ABSL_FLAG(std::string, serialize, "shared", "shared or per_subscriber.");

namespace firehose::exporter {
namespace {

constexpr int kNames = 500;
constexpr int kSenders = 64;
// The publisher keeps at most this many batches ahead of the slowest subscriber, so
// the benchmark measures throughput, not the drop-oldest policy.
constexpr uint64_t kMaxAhead = 64;

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::shared_ptr<v1::SubscribeResponse> MakeBatch(int records) {
  auto message = std::make_shared<v1::SubscribeResponse>();
  v1::Batch* b = message->mutable_batch();
  b->set_node_id("bench-node");
  b->set_epoch(1);
  b->add_strings("");
  for (int i = 0; i < kNames; ++i) {
    b->add_strings(absl::StrCat(i % 2 == 0 ? "api." : "db.", "service.metric.", i));
  }
  b->add_strings("env:prod");
  b->add_strings("region:eu-west-1");
  for (int s = 0; s < kSenders; ++s) {
    v1::Endpoint* e = b->add_sources();
    e->set_address(std::string({10, 1, 0, static_cast<char>(s)}));
    e->set_port(40000 + s);
  }
  v1::StatsdColumns* c = b->mutable_statsd();
  for (int i = 0; i < records; ++i) {
    c->add_name(1 + (i * 7) % kNames);
    c->add_value(i * 0.5);
    c->add_type(v1::METRIC_TYPE_COUNTER);
    c->add_sample_rate(1);
    const int tags = 1 + i % 2;
    c->add_tag_count(tags);
    for (int t = 0; t < tags; ++t) c->add_tags(kNames + 1 + t);
    c->add_source(i % kSenders);
    c->add_receive_offset_nanos(static_cast<uint64_t>(i) * 250);
    c->add_flags(0);
    c->add_text(0);
  }
  b->set_record_count(records);
  return message;
}

struct Reader {
  std::atomic<uint64_t> records{0};
  std::atomic<uint64_t> batches{0};
  absl::Time first, last;
};

int Main() {
  const int batches = absl::GetFlag(FLAGS_batches);
  const int per_batch = absl::GetFlag(FLAGS_records_per_batch);
  const int subscribers = absl::GetFlag(FLAGS_subscribers);
  const bool shared = absl::GetFlag(FLAGS_serialize) == "shared";

  HubOptions hub_options;
  hub_options.queue_capacity = 1024;
  hub_options.replay_bytes = 64 << 20;
  SubscriberHub hub(hub_options);
  std::atomic<uint64_t> last_seq{0};
  IngestService service(
      &hub, [&] { return last_seq.load(); }, [] { return uint64_t{1}; });
  absl::StatusOr<StartedServer> server = StartGrpcServer({"127.0.0.1:0", "", "", ""}, &service);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", std::string(server.status().message()).c_str());
    return 1;
  }

  std::vector<std::unique_ptr<Reader>> readers;
  std::vector<std::thread> threads;
  for (int i = 0; i < subscribers; ++i) {
    readers.push_back(std::make_unique<Reader>());
    threads.emplace_back([&, reader = readers.back().get()] {
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(64 << 20);
      // One connection per subscriber, as separate consumers would have.
      args.SetInt("bench.subscriber", static_cast<int>(reinterpret_cast<uintptr_t>(reader)));
      auto stub = v1::Ingest::NewStub(
          grpc::CreateCustomChannel(server->address, grpc::InsecureChannelCredentials(), args));
      grpc::ClientContext context;
      v1::SubscribeRequest request;
      if (absl::GetFlag(FLAGS_filtered)) request.add_name_prefixes("api.");
      auto stream = stub->Subscribe(&context, request);
      v1::SubscribeResponse message;
      while (stream->Read(&message)) {
        if (!message.has_batch()) continue;
        if (reader->batches.load() == 0) reader->first = absl::Now();
        reader->records.fetch_add(message.batch().record_count());
        if (reader->batches.fetch_add(1) + 1 == static_cast<uint64_t>(batches)) {
          reader->last = absl::Now();
          context.TryCancel();
        }
      }
    });
  }
  hub.WaitForSubscribers(subscribers, absl::Seconds(30));

  const std::shared_ptr<v1::SubscribeResponse> prototype = MakeBatch(per_batch);
  const uint64_t bytes = prototype->ByteSizeLong();
  double export_cpu = 0;
  uint64_t cumulative = 0;
  for (int i = 1; i <= batches; ++i) {
    // The copy stands in for BatchBuilder::ToProto, which the export thread also does;
    // it is excluded from the fan-out cost below.
    // On its own arena, as ingestd's publisher builds it (eviction then frees a few blocks).
    std::shared_ptr<v1::SubscribeResponse> message = NewBatchMessage();
    message->CopyFrom(*prototype);
    message->mutable_batch()->set_seq(i);
    while (true) {
      uint64_t slowest = UINT64_MAX;
      for (const SubscriberSnapshot& s : hub.Subscribers()) {
        slowest = std::min(slowest, s.stats.last_delivered_seq);
      }
      if (slowest == UINT64_MAX || i - slowest <= kMaxAhead) break;
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    const double cpu_start = ThreadCpuSeconds();
    cumulative += per_batch;
    PublishedBatch published;
    // What ingestd's publisher charges the replay ring (inside the timed region: it is
    // export-thread work); `bytes` stands in for the builder's wire-size estimate.
    published.bytes = ReplayFootprint(*message, bytes);
    published.message = std::move(message);
    if (shared) published.serialized = std::make_shared<SerializedOnce>();
    published.epoch = 1;
    published.seq = i;
    published.records = per_batch;
    published.cumulative_records = cumulative;
    hub.Publish(published);
    last_seq.store(i);
    export_cpu += ThreadCpuSeconds() - cpu_start;
  }
  for (std::thread& t : threads) t.join();

  double slowest_rate = 1e300;
  uint64_t received = 0;
  for (const auto& r : readers) {
    const double seconds = absl::ToDoubleSeconds(r->last - r->first);
    slowest_rate = std::min(slowest_rate, static_cast<double>(r->records.load()) / seconds);
    received += r->records.load();
  }
  std::printf(
      "subscribers=%d filtered=%d serialize=%s batch_records=%d batch_bytes=%llu "
      "records_per_s_slowest_subscriber=%.3g export_cpu_us_per_batch=%.2f "
      "records_received=%llu\n",
      subscribers, absl::GetFlag(FLAGS_filtered) ? 1 : 0, shared ? "shared" : "per_subscriber",
      per_batch, static_cast<unsigned long long>(bytes), slowest_rate, export_cpu / batches * 1e6,
      static_cast<unsigned long long>(received));
  hub.Close();
  server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}

}  // namespace
}  // namespace firehose::exporter

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return firehose::exporter::Main();
}
