// EncodeResponse against the message path it replaced, on the subscribe benchmark's
// statsd batch (4096 records, 500 names, 64 senders, one or two tags): what the export
// thread spends turning one finished builder into what it publishes (not a test).
//
//   bazel run --config=release //node/batch:batch_wire_encoder_benchmark
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "google/protobuf/arena.h"
#include "node/batch/batch_builder.h"
#include "node/batch/statsd_bench_batch.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::batch {
namespace {

constexpr int kRecords = 4096;

void Fill(BatchBuilder& builder) { FillStatsdBenchBatch(builder, kRecords); }

const BatchHeader kHeader{"bench-node", 1, 42};

// A fresh string per batch, as the publisher hands each one to the ring.
void BM_EncodeResponse(benchmark::State& state) {
  BatchBuilder builder(BatchLimits{kRecords, 1 << 20});
  Fill(builder);
  for (auto _ : state) {
    std::string out;
    builder.EncodeResponse(kHeader, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}
BENCHMARK(BM_EncodeResponse);

// The same into one reused buffer: the encoder alone, without allocation and page faults.
void BM_EncodeResponseReused(benchmark::State& state) {
  BatchBuilder builder(BatchLimits{kRecords, 1 << 20});
  Fill(builder);
  std::string out;
  for (auto _ : state) {
    builder.EncodeResponse(kHeader, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}
BENCHMARK(BM_EncodeResponseReused);

// The message path: ToProto on an arena (what the export thread did), then with
// range(0) == 1 its serialisation too (what the first stream did).
void BM_ToProtoOnArena(benchmark::State& state) {
  const bool serialize = state.range(0) == 1;
  BatchBuilder builder(BatchLimits{kRecords, 1 << 20});
  Fill(builder);
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* message = google::protobuf::Arena::CreateMessage<v1::SubscribeResponse>(&arena);
    builder.ToProto(message->mutable_batch());
    if (serialize) {
      std::string out = message->SerializeAsString();
      benchmark::DoNotOptimize(out.data());
    }
    benchmark::DoNotOptimize(message);
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}
BENCHMARK(BM_ToProtoOnArena)->ArgName("serialize")->Arg(0)->Arg(1);

}  // namespace
}  // namespace firehose::batch

BENCHMARK_MAIN();
