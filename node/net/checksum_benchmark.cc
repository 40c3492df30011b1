// Micro-benchmark for software UDP checksum validation (ports[].validate_udp_checksum
// on a NIC that does not report RX checksum status): cost per datagram by size and IP
// version. Run with --config=release; the figures are quoted in docs/network.md.
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "node/net/checksum.h"
#include "node/net/udp_parser.h"
#include "tools/pcapgen/frame_builder.h"

namespace firehose::net {
namespace {

void Run(benchmark::State& state, bool ipv6) {
  const std::string payload(static_cast<size_t>(state.range(0)), 'm');
  pcapgen::FrameBuilder builder;
  if (ipv6) builder.Ipv6({0x20, 1}, {0x20, 2});
  const std::vector<uint8_t> frame = builder.Payload(payload).Build();
  UdpDatagram datagram;
  PacketMeta meta;
  if (ParseUdpFrame(frame.data(), frame.size(), &datagram, &meta).has_value()) {
    state.SkipWithError("frame dropped");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(datagram);
    bool valid = UdpChecksumValid(datagram);
    benchmark::DoNotOptimize(valid);
    if (!valid) {
      state.SkipWithError("checksum rejected");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * (state.range(0) + 8));
}

void BM_UdpChecksumIpv4(benchmark::State& state) { Run(state, false); }
void BM_UdpChecksumIpv6(benchmark::State& state) { Run(state, true); }
// 72 bytes: a typical tagged statsd line; 1400: a full NetFlow/IPFIX export datagram.
BENCHMARK(BM_UdpChecksumIpv4)->Arg(72)->Arg(512)->Arg(1400);
BENCHMARK(BM_UdpChecksumIpv6)->Arg(72)->Arg(512)->Arg(1400);

}  // namespace
}  // namespace firehose::net

BENCHMARK_MAIN();
