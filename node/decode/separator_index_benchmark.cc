// Micro-benchmark of SeparatorIndex::Build alone, per builder (SSE2, AVX2, AVX-512BW)
// the CPU has: on the bench capture's payloads (tools/pcapgen, three tagged lines per
// packet, and one line per packet) and on fixed sizes up to a jumbo datagram, so a
// builder change can be judged apart from the parser and the batcher. Run with
// --config=release.
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "node/decode/separator_index.h"
#include "tools/pcapgen/statsd_capture.h"

namespace firehose::decode {
namespace {

std::vector<std::string> CapturePayloads(int lines_per_packet) {
  pcapgen::StatsdCaptureOptions options;  // the bench's capture: 4096 packets
  options.lines_per_packet = lines_per_packet;
  return *pcapgen::StatsdCapturePayloads(options);
}

// Repeats the capture's text up to `size` bytes, so the separator density is statsd's.
std::vector<std::string> FixedSizePayloads(size_t size) {
  const std::vector<std::string> capture = CapturePayloads(3);
  std::string text;
  for (const std::string& payload : capture) {
    if (text.size() >= size) break;
    text += payload;
    text += '\n';
  }
  text.resize(size);
  return {text};
}

// range(0): SeparatorIndexImpl; range(1): lines per packet of the capture (1 or 3), or
// a fixed size in bytes when larger.
void BM_Build(benchmark::State& state) {
  const auto impl = static_cast<SeparatorIndexImpl>(state.range(0));
  if (!SeparatorIndex::Supported(impl)) {
    state.SkipWithError("this CPU lacks the builder");
    return;
  }
  const int64_t shape = state.range(1);
  const std::vector<std::string> payloads =
      shape <= 3 ? CapturePayloads(static_cast<int>(shape)) : FixedSizePayloads(shape);
  state.SetLabel(SeparatorIndexImplName(impl));
  const auto index = std::make_unique<SeparatorIndex>(impl);  // 32 KiB: heap, as the decoder
  size_t next = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const std::string& payload = payloads[next];
    next = next + 1 == payloads.size() ? 0 : next + 1;
    index->Build(payload.data(), payload.size());
    benchmark::DoNotOptimize(index->ascii());
    benchmark::ClobberMemory();
    bytes += static_cast<int64_t>(payload.size());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_Build)
    ->ArgNames({"impl", "lines_or_bytes"})
    ->ArgsProduct({{0, 1, 2, 3}, {1, 3, 1472, 8192}});

}  // namespace
}  // namespace firehose::decode

BENCHMARK_MAIN();
