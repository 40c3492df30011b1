// Micro-benchmark of a worker's own work per packet: statsd decode plus columnar
// batching, on the same capture `make bench` replays (tools/pcapgen's generator: 1500
// names, three tagged lines per packet; also one line per packet), without the PMD. It
// shows what decode + batch cost by themselves, so changes to the decoder or the string
// dictionary can be judged apart from net_pcap and the machine's noise. Each payload is
// first copied into one receive buffer, as the PMD copies a packet into an mbuf just
// before the worker reads it (so the decoder starts on warm bytes, and the copy is
// charged here). Full batches are handed back at once, as a prompt export thread
// would. BM_DecodeOnly runs the decoder alone on the same packets, BM_DecodeOnlyOneShape
// on lines that all have one shape. Run with --config=release.
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmark/benchmark.h"
#include "node/batch/batcher.h"
#include "node/common/packet_meta.h"
#include "node/decode/statsd_decoder.h"
#include "tools/pcapgen/statsd_capture.h"

namespace firehose::batch {
namespace {

// Copies of `payloads` made one after another, so they lie in address order as
// net_pcap's mbufs do. Strings built by appends end up scattered over the heap, which
// cost the copy into the receive buffer ~20-60 ns a packet in cache misses that no PMD
// pays.
std::vector<std::string> InAddressOrder(const std::vector<std::string>& payloads) {
  return std::vector<std::string>(payloads.begin(), payloads.end());
}

// The bench's capture (1500 names) with `lines_per_packet` lines and `packets` packets.
std::vector<std::string> CapturePayloads(int64_t lines_per_packet, int64_t packets) {
  pcapgen::StatsdCaptureOptions options;
  options.lines_per_packet = static_cast<int>(lines_per_packet);
  options.packets = packets;
  return InAddressOrder(*pcapgen::StatsdCapturePayloads(options));
}

// Benchmarks over the capture take (lines per packet, packets). 4096 packets is the
// capture `make bench` replays in a loop; 65536 distinct packets check what replaying so
// short a loop flatters (the CPU may learn part of it; live traffic never repeats):
// 5-10 % of decode + batch on the EPYC host (docs/benchmarks.md, "Decode + batch:
// walking a line whole, and does the CPU learn the capture?").
void CaptureArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"lines_per_packet", "packets"})->Args({3, 4096})->Args({1, 4096})->Args({3, 65536});
}

void BM_DecodeAndBatch(benchmark::State& state) {
  const std::vector<std::string> payloads = CapturePayloads(state.range(0), state.range(1));
  char receive_buffer[2048];
  decode::StatsdDecoder decoder;
  Batcher batcher(/*queue_id=*/0, BatchLimits{}, /*pool_size=*/8,
                  /*max_delay_nanos=*/1'000'000'000);
  PacketMeta meta;
  meta.source_address_len = 4;
  meta.source_address[0] = 10;
  meta.source_port = 40000;
  meta.destination_port = 8125;
  size_t next = 0;
  int64_t lines = 0;
  for (auto _ : state) {
    const std::string& payload = payloads[next];
    next = next + 1 == payloads.size() ? 0 : next + 1;
    meta.source_address[3] = static_cast<uint8_t>(11 + (next & 3));
    meta.receive_unix_nanos += 10'000;
    const size_t size = std::min(payload.size(), sizeof(receive_buffer));
    std::memcpy(receive_buffer, payload.data(), size);
    decoder.Decode(std::string_view(receive_buffer, size), meta, batcher);
    while (BatchBuilder* full = batcher.TakeFull()) {
      lines += full->record_count();
      batcher.Release(full);
    }
  }
  state.SetItemsProcessed(state.iterations());  // packets
  state.counters["records"] = static_cast<double>(lines);
  if (decoder.total_errors() != 0) state.SkipWithError("capture did not decode");
  if (batcher.counters().handoff_full_batches.Get() != 0) state.SkipWithError("hand-off full");
}
BENCHMARK(BM_DecodeAndBatch)->Apply(CaptureArgs);

// Reads what the batch builder reads from each record, and keeps nothing: stands in for
// a builder that cost nothing.
class TouchSink : public decode::RecordSink {
 public:
  void AddStatsd(const decode::StatsdRecord& record, const PacketMeta& meta) override {
    uint64_t sum = record.name.size() + record.text.size() + record.container_id.size();
    for (int i = 0; i < record.tag_count; ++i) sum += record.tags[i].size();
    sum_ += sum + static_cast<uint64_t>(record.value) + meta.source_port;
    ++records_;
  }
  int64_t records() const { return records_; }
  uint64_t sum() const { return sum_; }

 private:
  uint64_t sum_ = 0;
  int64_t records_ = 0;
};

// Decodes `payloads` in turn, each first copied into one receive buffer, into a sink
// that only reads the records: the decoder's cost alone.
void DecodeOnly(benchmark::State& state, const std::vector<std::string>& payloads) {
  char receive_buffer[2048];
  decode::StatsdDecoder decoder;
  TouchSink sink;
  PacketMeta meta;
  size_t next = 0;
  for (auto _ : state) {
    const std::string& payload = payloads[next];
    next = next + 1 == payloads.size() ? 0 : next + 1;
    const size_t size = std::min(payload.size(), sizeof(receive_buffer));
    std::memcpy(receive_buffer, payload.data(), size);
    decoder.Decode(std::string_view(receive_buffer, size), meta, sink);
  }
  benchmark::DoNotOptimize(sink.sum());
  state.SetItemsProcessed(state.iterations());  // packets
  state.counters["records"] = static_cast<double>(sink.records());
  if (decoder.total_errors() != 0) state.SkipWithError("payloads did not decode");
}

// The same loop with the decoder alone: the parse's share of BM_DecodeAndBatch, so the
// builder's share is measured rather than inferred. Even a free builder leaves this.
void BM_DecodeOnly(benchmark::State& state) {
  DecodeOnly(state, CapturePayloads(state.range(0), state.range(1)));
}
BENCHMARK(BM_DecodeOnly)->Apply(CaptureArgs);

// Packets of three lines of one shape: the capture's names, each line
// "NAME:12.375|ms|#env:prod,host:web-12,region:eu-west-1" (longer than the capture's
// average line, always three tags). Set beside BM_DecodeOnly/3 it shows what the
// capture's varying shapes (type, value length, sample rate, tag count) cost the parse:
// ~100 ns per packet here against ~165 ns for the capture on the EPYC host (2026-11-23).
// Branch-free value and type parses did not recover it (docs/benchmarks.md).
void BM_DecodeOnlyOneShape(benchmark::State& state) {
  const absl::StatusOr<pcapgen::StatsdCaptureGenerator> generator =
      pcapgen::StatsdCaptureGenerator::Create(pcapgen::StatsdCaptureOptions{});
  const std::vector<std::string>& names = generator->names();
  std::vector<std::string> payloads(4096);
  size_t name = 0;
  for (std::string& payload : payloads) {
    for (int line = 0; line < 3; ++line) {
      if (line > 0) payload += '\n';
      payload += names[name] + ":12.375|ms|#env:prod,host:web-12,region:eu-west-1";
      name = (name + 7) % names.size();  // 7 and 1500 are coprime: every name in turn
    }
  }
  DecodeOnly(state, InAddressOrder(payloads));
}
BENCHMARK(BM_DecodeOnlyOneShape);

}  // namespace
}  // namespace firehose::batch

BENCHMARK_MAIN();
