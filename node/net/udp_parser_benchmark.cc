// Micro-benchmark for ParseUdpFrame: frames parsed per CPU-second for the common
// encapsulations. Run with --config=release.
#include <cstdint>
#include <vector>

#include "benchmark/benchmark.h"
#include "node/net/udp_parser.h"
#include "tools/pcapgen/frame_builder.h"

namespace firehose::net {
namespace {

constexpr char kPayload[] =
    "web.api.requests.count_123:1|c|#env:prod,service:api-7,region:eu-west-1";

void Run(benchmark::State& state, const std::vector<uint8_t>& frame) {
  UdpDatagram datagram;
  PacketMeta meta;
  uint64_t bytes = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(frame.data());
    if (ParseUdpFrame(frame.data(), frame.size(), &datagram, &meta).has_value()) {
      state.SkipWithError("frame dropped");
      break;
    }
    bytes += datagram.payload_len;
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Ipv4(benchmark::State& state) {
  Run(state, pcapgen::FrameBuilder().Payload(kPayload).Build());
}
BENCHMARK(BM_Ipv4);

void BM_QinQIpv4(benchmark::State& state) {
  Run(state, pcapgen::FrameBuilder().Vlan(10).Vlan(20).Payload(kPayload).Build());
}
BENCHMARK(BM_QinQIpv4);

void BM_Ipv6(benchmark::State& state) {
  Run(state, pcapgen::FrameBuilder().Ipv6({1}, {2}).Payload(kPayload).Build());
}
BENCHMARK(BM_Ipv6);

}  // namespace
}  // namespace firehose::net

BENCHMARK_MAIN();
