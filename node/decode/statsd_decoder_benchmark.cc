// Micro-benchmark for StatsdDecoder: packets and lines decoded per CPU-second on
// typical DogStatsD payloads. Google Benchmark's items/s are per CPU time, which is the
// figure docs/ reports (no PMU on these machines). Run with --config=release.
#include <string>
#include <string_view>

#include "benchmark/benchmark.h"
#include "node/decode/record_sink.h"
#include "node/decode/statsd_decoder.h"

namespace firehose::decode {
namespace {

// Stands in for the batch builder: touches the record so nothing is optimised away.
class SumSink : public RecordSink {
 public:
  void AddStatsd(const StatsdRecord& r, const PacketMeta&) override {
    sum_ += r.value + static_cast<double>(r.name.size() + r.tag_count);
  }
  double sum() const { return sum_; }

 private:
  double sum_ = 0;
};

void Run(benchmark::State& state, std::string_view payload, int lines) {
  StatsdDecoder decoder;
  SumSink sink;
  PacketMeta meta;
  for (auto _ : state) {
    decoder.Decode(payload, meta, sink);
    benchmark::DoNotOptimize(sink.sum());
  }
  state.SetItemsProcessed(state.iterations());  // packets
  state.counters["lines/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * lines), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(state.iterations() * payload.size());
  if (decoder.total_errors() != 0) state.SkipWithError("payload did not decode");
}

void BM_ThreeTaggedLines(benchmark::State& state) {
  Run(state,
      "web.api.requests.count_123:1|c|#env:prod,service:api-7,region:eu-west-1\n"
      "api.http.request.duration.p95.service_17:12.375|ms|@0.5|#env:prod,host:web-12\n"
      "queue.depth_42:-3|g|#env:staging,service:queue-2",
      3);
}
BENCHMARK(BM_ThreeTaggedLines);

void BM_ThreeBareLines(benchmark::State& state) {
  Run(state, "requests.count:1|c\nrequest.time:12.5|ms\nqueue.depth:42|g", 3);
}
BENCHMARK(BM_ThreeBareLines);

void BM_OneLine(benchmark::State& state) {
  Run(state, "web.api.requests.count_123:1|c|#env:prod,service:api-7", 1);
}
BENCHMARK(BM_OneLine);

}  // namespace
}  // namespace firehose::decode

BENCHMARK_MAIN();
