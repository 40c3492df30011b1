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
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::batch {
namespace {

constexpr int kRecords = 4096;
constexpr int kNames = 500;
constexpr int kSenders = 64;

void Fill(BatchBuilder& builder) {
  std::vector<std::string> names;
  for (int i = 0; i < kNames; ++i) {
    names.push_back((i % 2 == 0 ? "api." : "db.") + std::string("service.metric.") +
                    std::to_string(i));
  }
  decode::StatsdRecord record;
  record.tags[0] = "env:prod";
  record.tags[1] = "region:eu-west-1";
  PacketMeta meta;
  meta.source_address_len = 4;
  meta.source_address[0] = 10;
  for (int i = 0; i < kRecords; ++i) {
    record.name = names[(i * 7) % kNames];
    record.value = i * 0.5;
    record.tag_count = 1 + i % 2;
    meta.source_address[3] = static_cast<uint8_t>(i % kSenders);
    meta.source_port = static_cast<uint16_t>(40000 + i % kSenders);
    meta.receive_unix_nanos = 1'700'000'000'000'000'000 + int64_t{i} * 250;
    builder.AddStatsd(record, meta);
  }
}

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

// The message path: ToProto on an arena (what the export thread did), then its
// serialisation (what the first stream did).
void BM_ToProtoOnArena(benchmark::State& state) {
  BatchBuilder builder(BatchLimits{kRecords, 1 << 20});
  Fill(builder);
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* message = google::protobuf::Arena::CreateMessage<v1::SubscribeResponse>(&arena);
    builder.ToProto(message->mutable_batch());
    benchmark::DoNotOptimize(message);
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}
BENCHMARK(BM_ToProtoOnArena);

void BM_ToProtoThenSerialize(benchmark::State& state) {
  BatchBuilder builder(BatchLimits{kRecords, 1 << 20});
  Fill(builder);
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* message = google::protobuf::Arena::CreateMessage<v1::SubscribeResponse>(&arena);
    builder.ToProto(message->mutable_batch());
    std::string out = message->SerializeAsString();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}
BENCHMARK(BM_ToProtoThenSerialize);

}  // namespace
}  // namespace firehose::batch

BENCHMARK_MAIN();
