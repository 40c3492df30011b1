// Micro-benchmark of StatsdAggregator: Add() of realistic statsd batches whose series are
// already known (the steady state), the first Add of new series (cache misses), and
// Collect() of the result. Counts heap allocations made inside Add to back the claim
// that a known series costs none. Run with --config=release:
//   bazel run --config=release //relay/statsd_metrics:statsd_aggregator_benchmark
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "node/batch/batch_builder.h"
#include "node/decode/statsd_decoder.h"
#include "proto/firehose/v1/ingest.pb.h"
#include "relay/statsd_metrics/statsd_aggregator.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace firehose::relay {
namespace {

constexpr int kRecords = 4096;

// 4096 records over `names` metric names: half counters (a quarter sampled), a fifth
// gauges, the rest timers; one or two tags each, as in docs/benchmarks.md's batches.
v1::Batch MakeBatch(int names, int salt) {
  batch::BatchBuilder builder(batch::BatchLimits{kRecords, 4 << 20});
  PacketMeta meta;
  meta.source_address_len = 4;
  decode::StatsdRecord record;
  for (int i = 0; i < kRecords; ++i) {
    int n = (i * 7 + salt) % names;
    std::string line = "app.service" + std::to_string(n % 50) + ".metric" + std::to_string(n);
    switch (i % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4:
        line += ":1|c";
        if (i % 4 == 0) line += "|@0.5";
        break;
      case 5:
      case 6:
        line += ":" + std::to_string(i) + "|g";
        break;
      default:
        line += ":" + std::to_string(i % 300) + "|ms";
    }
    line += "|#env:prod";
    if (i % 2 == 0) line += ",host:web-" + std::to_string(i % 16);
    if (decode::StatsdDecoder::ParseLine(line, &record).has_value() ||
        builder.AddStatsd(record, meta) != batch::AddResult::kAdded) {
      std::abort();
    }
  }
  v1::Batch batch;
  builder.ToProto(&batch);
  return batch;
}

std::unique_ptr<StatsdAggregator> MakeAggregator() {
  StatsdMetricsConfig config;
  config.enabled = true;
  config.mappings.push_back({"app.*.*", "app_$2", {{"service", "$1"}}});
  return *StatsdAggregator::Create(config);
}

void BM_AddKnownSeries(benchmark::State& state) {
  auto aggregator = MakeAggregator();
  const v1::Batch batch = MakeBatch(500, 0);
  aggregator->Add(batch);  // every series now exists
  uint64_t allocations = 0;
  for (auto _ : state) {
    uint64_t before = g_allocations.load(std::memory_order_relaxed);
    aggregator->Add(batch);
    allocations += g_allocations.load(std::memory_order_relaxed) - before;
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
  state.counters["allocs_per_add"] =
      benchmark::Counter(static_cast<double>(allocations) / state.iterations());
  state.counters["series"] = static_cast<double>(aggregator->GetStats().series);
}
BENCHMARK(BM_AddKnownSeries);

void BM_AddNewSeries(benchmark::State& state) {
  const v1::Batch batch = MakeBatch(kRecords, 0);  // ~every record a new name
  for (auto _ : state) {
    state.PauseTiming();
    auto aggregator = MakeAggregator();
    state.ResumeTiming();
    aggregator->Add(batch);
    state.PauseTiming();
    aggregator.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}
BENCHMARK(BM_AddNewSeries);

void BM_Collect(benchmark::State& state) {
  auto aggregator = MakeAggregator();
  aggregator->Add(MakeBatch(static_cast<int>(state.range(0)), 0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(aggregator->Collect());
  }
  state.counters["series"] = static_cast<double>(aggregator->GetStats().series);
}
BENCHMARK(BM_Collect)->Arg(500)->Arg(4096);

}  // namespace
}  // namespace firehose::relay

BENCHMARK_MAIN();
