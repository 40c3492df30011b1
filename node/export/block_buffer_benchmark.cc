// What holding encoded batches in pool blocks costs, per full statsd batch (the
// 4096-record benchmark batch, 115,809 bytes), measured on one thread (not a test):
//   - the export thread: EncodeResponse into a fresh string per batch (before) against
//     into the publisher's reused scratch string plus the copy into 4 or 16 KiB blocks;
//   - a filtered stream's one parse per batch: straight from the blocks through
//     BlockInputStream, against concatenating them first (Flatten) and parsing that.
//
//   bazel run --config=release //node/export:block_buffer_benchmark
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "node/batch/batch_builder.h"
#include "node/batch/statsd_bench_batch.h"
#include "node/export/block_buffer.h"
#include "node/export/replay_ring.h"

namespace firehose::exporter {
namespace {

constexpr int kRecords = 4096;

batch::BatchBuilder& BenchBuilder() {
  static batch::BatchBuilder* const builder = [] {
    batch::BatchLimits limits;
    limits.max_records = kRecords;
    limits.max_bytes = 1 << 20;
    auto* b = new batch::BatchBuilder(limits);
    batch::FillStatsdBenchBatch(*b, kRecords);
    return b;
  }();
  return *builder;
}

const batch::BatchHeader kHeader{"bench-node", 1, 1};

void BM_EncodeFreshString(benchmark::State& state) {
  batch::BatchBuilder& builder = BenchBuilder();
  for (auto _ : state) {
    std::string bytes;
    builder.EncodeResponse(kHeader, &bytes);
    benchmark::DoNotOptimize(bytes.data());
  }
}
BENCHMARK(BM_EncodeFreshString);

// Arg: the block size in KiB.
void BM_EncodeScratchThenBlocks(benchmark::State& state) {
  batch::BatchBuilder& builder = BenchBuilder();
  BlockPool pool(static_cast<size_t>(state.range(0)) << 10, 1024);
  std::string scratch;
  size_t held = 0;
  for (auto _ : state) {
    builder.EncodeResponse(kHeader, &scratch);
    const BlockBuffer blocks = BlockBuffer::CopyOf(scratch, pool);
    held = blocks.held_bytes();
    benchmark::DoNotOptimize(blocks.block(0).data());
  }
  state.counters["held_bytes"] = static_cast<double>(held);
  state.counters["wire_bytes"] = static_cast<double>(scratch.size());
}
BENCHMARK(BM_EncodeScratchThenBlocks)->ArgName("block_kib")->Arg(4)->Arg(16);

// The copy alone.
void BM_CopyToBlocks(benchmark::State& state) {
  std::string scratch;
  BenchBuilder().EncodeResponse(kHeader, &scratch);
  BlockPool pool(static_cast<size_t>(state.range(0)) << 10, 1024);
  for (auto _ : state) {
    const BlockBuffer blocks = BlockBuffer::CopyOf(scratch, pool);
    benchmark::DoNotOptimize(blocks.block(0).data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * scratch.size()));
}
BENCHMARK(BM_CopyToBlocks)->ArgName("block_kib")->Arg(4)->Arg(16);

// Arg 0: parse from the blocks; 1: Flatten into a new string, then parse it; 2: the
// same into a string reused from batch to batch (FlattenInto).
void BM_ParseFilteredStreamMessage(benchmark::State& state) {
  std::string scratch;
  BenchBuilder().EncodeResponse(kHeader, &scratch);
  const BlockBuffer blocks = BlockBuffer::CopyOf(scratch);
  std::string flat;
  for (auto _ : state) {
    std::shared_ptr<v1::SubscribeResponse> message = NewBatchMessage();
    bool ok;
    if (state.range(0) == 1) {
      ok = message->ParseFromString(blocks.Flatten());
    } else if (state.range(0) == 2) {
      blocks.FlattenInto(&flat);
      ok = message->ParseFromString(flat);
    } else {
      BlockInputStream stream(blocks);
      ok = message->ParseFromZeroCopyStream(&stream);
    }
    if (!ok) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(message.get());
  }
}
BENCHMARK(BM_ParseFilteredStreamMessage)->ArgName("flatten")->Arg(0)->Arg(1)->Arg(2);

}  // namespace
}  // namespace firehose::exporter

BENCHMARK_MAIN();
