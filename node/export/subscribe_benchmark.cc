// Subscribe throughput and the export thread's cost, measured over real gRPC on loopback.
//
// The export stage (hub, replay ring, IngestService on a real server) runs in-process
// with a realistic statsd batch in a real BatchBuilder (4096 records, 500-name
// dictionary, 64 senders, one or two tags each); real clients read and parse every
// message. Each batch is published as ingestd's publisher does it. Reports:
//   - records/s the slowest subscriber receives (wall clock, from first to last batch);
//   - the export thread's CPU per published batch (CLOCK_THREAD_CPUTIME_ID): turning the
//     builder into what is published, the replay ring's charge, hub append, eviction and
//     one queue push per subscriber; and the conversion's share of it;
//   - what the replay ring is charged per batch it holds.
// --export=encoded (what ingestd does): BatchBuilder::EncodeResponse, the bytes shared by
// every unfiltered stream, encoded into one reused buffer and copied into pool blocks
// (copy_to_blocks_cpu_us_per_batch, part of the export CPU). --export=message: the
// earlier publisher, ToProto into a message on its own arena and ReplayFootprint's
// SpaceUsedLong charge, kept for before/after runs; with it --serialize=per_subscriber
// serialises per write (gRPC's default), for contrast.
//
//   bazel run --config=release //node/export:subscribe_benchmark -- --subscribers=1
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "node/batch/batch_builder.h"
#include "node/batch/statsd_bench_batch.h"
#include "node/common/mutex_checks.h"
#include "node/export/grpc_server.h"
#include "node/export/heap_tuning.h"
#include "node/export/ingest_service.h"
#include "node/export/subscriber_hub.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"

ABSL_FLAG(int, batches, 2000, "Batches to publish.");
ABSL_FLAG(int, records_per_batch, 4096, "Records per batch.");
ABSL_FLAG(int, subscribers, 1, "Concurrent subscribers.");
ABSL_FLAG(bool, filtered, false, "Subscribers use a name-prefix filter (keeps ~half).");
ABSL_FLAG(std::string, serialize, "shared",
          "--export=message only: shared (one serialisation for all) or per_subscriber.");
ABSL_FLAG(std::string, export, "encoded",
          "encoded (EncodeResponse, ingestd's publisher) or message (ToProto on an arena, "
          "the publisher before it).");

namespace firehose::exporter {
namespace {

// The publisher keeps at most this many batches ahead of the slowest subscriber, so
// the benchmark measures throughput, not the drop-oldest policy.
constexpr uint64_t kMaxAhead = 64;

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A statsd batch as a worker builds it (statsd_bench_batch.h); exits if it does not fit.
void FillBuilder(batch::BatchBuilder& builder, int records) {
  const int added = batch::FillStatsdBenchBatch(builder, records);
  if (added != records) {
    std::fprintf(stderr, "batch full at record %d\n", added);
    std::exit(1);
  }
}

struct Reader {
  std::atomic<uint64_t> records{0};
  std::atomic<uint64_t> batches{0};
  absl::Time first, last;
  // The encoded size of one batch as received (the second), so a filter's effect on
  // the bytes a subscriber is sent shows; measured once to keep the loop's cost.
  std::atomic<uint64_t> sample_batch_bytes{0};
};

int Main() {
  const int batches = absl::GetFlag(FLAGS_batches);
  const int per_batch = absl::GetFlag(FLAGS_records_per_batch);
  const int subscribers = absl::GetFlag(FLAGS_subscribers);
  const bool shared = absl::GetFlag(FLAGS_serialize) == "shared";
  const bool encoded = absl::GetFlag(FLAGS_export) == "encoded";
  if (!encoded && absl::GetFlag(FLAGS_export) != "message") {
    std::fprintf(stderr, "--export: encoded or message\n");
    return 2;
  }

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
        if (reader->batches.load() == 1) reader->sample_batch_bytes = message.ByteSizeLong();
        if (reader->batches.fetch_add(1) + 1 == static_cast<uint64_t>(batches)) {
          reader->last = absl::Now();
          context.TryCancel();
        }
      }
    });
  }
  hub.WaitForSubscribers(subscribers, absl::Seconds(30));

  batch::BatchLimits limits;
  limits.max_records = static_cast<uint32_t>(per_batch);
  limits.max_bytes = 1 << 20;
  batch::BatchBuilder builder(limits);
  FillBuilder(builder, per_batch);
  uint64_t bytes = 0;
  double export_cpu = 0;
  double convert_cpu = 0;
  // --export=encoded: the publisher's reused encode buffer, and the copy into blocks.
  std::string scratch;
  double copy_cpu = 0;
  uint64_t cumulative = 0;
  for (int i = 1; i <= batches; ++i) {
    while (true) {
      uint64_t slowest = UINT64_MAX;
      for (const SubscriberSnapshot& s : hub.Subscribers()) {
        slowest = std::min(slowest, s.stats.last_delivered_seq);
      }
      if (slowest == UINT64_MAX || i - slowest <= kMaxAhead) break;
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    // Everything Publisher::PublishOne does on the export thread, but releasing the
    // builder (the same builder stands in for every batch).
    const double cpu_start = ThreadCpuSeconds();
    const batch::BatchHeader header{"bench-node", 1, static_cast<uint64_t>(i)};
    cumulative += per_batch;
    PublishedBatch published;
    if (encoded) {
      builder.EncodeResponse(header, &scratch);
      const double encoded_at = ThreadCpuSeconds();
      convert_cpu += encoded_at - cpu_start;
      bytes = scratch.size();
      published.encoded = std::make_shared<EncodedBatch>(BlockBuffer::CopyOf(scratch));
      copy_cpu += ThreadCpuSeconds() - encoded_at;
      published.bytes = ReplayFootprint(*published.encoded);
    } else {
      std::shared_ptr<v1::SubscribeResponse> message = NewBatchMessage();
      v1::Batch* b = message->mutable_batch();
      builder.ToProto(b);
      b->set_node_id(std::string(header.node_id));
      b->set_epoch(header.epoch);
      b->set_seq(header.seq);
      convert_cpu += ThreadCpuSeconds() - cpu_start;
      published.bytes = ReplayFootprint(*message, builder.approx_bytes());
      published.message = std::move(message);
      if (shared) published.serialized = std::make_shared<SerializedOnce>();
    }
    published.epoch = 1;
    published.seq = i;
    published.records = per_batch;
    published.cumulative_records = cumulative;
    hub.Publish(published);
    last_seq.store(i);
    export_cpu += ThreadCpuSeconds() - cpu_start;
  }
  if (!encoded) bytes = hub.ring().Get(1, batches)->message->ByteSizeLong();
  const ReplayRingStats ring = hub.ring().stats();
  for (std::thread& t : threads) t.join();

  double slowest_rate = 1e300;
  uint64_t received = 0;
  for (const auto& r : readers) {
    const double seconds = absl::ToDoubleSeconds(r->last - r->first);
    slowest_rate = std::min(slowest_rate, static_cast<double>(r->records.load()) / seconds);
    received += r->records.load();
  }
  std::printf(
      "export=%s subscribers=%d filtered=%d serialize=%s batch_records=%d batch_bytes=%llu "
      "records_per_s_slowest_subscriber=%.3g export_cpu_us_per_batch=%.2f "
      "convert_cpu_us_per_batch=%.2f copy_to_blocks_cpu_us_per_batch=%.2f "
      "ring_bytes_per_batch=%.0f records_received=%llu received_batch_bytes=%llu\n",
      encoded ? "encoded" : "message", subscribers, absl::GetFlag(FLAGS_filtered) ? 1 : 0,
      encoded ? "encoded" : (shared ? "shared" : "per_subscriber"), per_batch,
      static_cast<unsigned long long>(bytes), slowest_rate, export_cpu / batches * 1e6,
      convert_cpu / batches * 1e6, copy_cpu / batches * 1e6,
      ring.batches == 0 ? 0.0 : static_cast<double>(ring.bytes) / static_cast<double>(ring.batches),
      static_cast<unsigned long long>(received),
      static_cast<unsigned long long>(readers.empty() ? 0 : readers[0]->sample_batch_bytes.load()));
  hub.Close();
  server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}

}  // namespace
}  // namespace firehose::exporter

int main(int argc, char** argv) {
  firehose::DisableMutexDeadlockGraph();     // as the daemons do
  firehose::exporter::TuneHeapForExport();  // as ingestd does
  absl::SetProgramUsageMessage(
      "Subscribe throughput and export-thread CPU per batch over loopback gRPC; flags:\n"
      "  --export=encoded|message --subscribers=N --batches=N --records_per_batch=N\n"
      "  --filtered (name-prefix filter keeping ~half) --serialize=shared|per_subscriber");
  absl::ParseCommandLine(argc, argv);
  return firehose::exporter::Main();
}
