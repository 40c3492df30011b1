// Micro-benchmark of StringDictionary::Intern alone, on the strings the bench's capture
// (tools/pcapgen, 1500 names, three tagged statsd lines per packet) hands it: per line
// the name, the set member (empty except for sets), the container id (empty) and each
// tag, in packet order, with a Clear() every 4096 lines as a full batch would. One
// iteration is one packet. It isolates the dictionary from the decoder and the batch
// columns (see worker_path_benchmark for the whole worker path). Run with
// --config=release.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "node/batch/string_dictionary.h"
#include "tools/pcapgen/statsd_capture.h"

namespace firehose::batch {
namespace {

struct Packet {
  std::string payload;
  std::vector<std::string_view> strings;  // into payload, in Intern order
};

// name:value|type[|@rate][|#tag,tag...] per line; only sets ('s') carry a member.
void SplitLine(std::string_view line, std::vector<std::string_view>* out) {
  const size_t colon = line.find(':');
  const size_t bar = line.find('|');
  out->push_back(line.substr(0, colon));
  const std::string_view type = line.substr(bar + 1, line.find('|', bar + 1) - bar - 1);
  out->push_back(type == "s" ? line.substr(colon + 1, bar - colon - 1) : std::string_view());
  out->push_back(std::string_view());  // container id
  const size_t tags = line.find("|#");
  if (tags == std::string_view::npos) return;
  std::string_view rest = line.substr(tags + 2);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    out->push_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
}

std::vector<Packet> CapturePackets() {
  // The bench's capture: 4096 packets.
  std::vector<std::string> payloads = *pcapgen::StatsdCapturePayloads({});
  std::vector<Packet> packets(payloads.size());
  for (size_t i = 0; i < packets.size(); ++i) {
    Packet& packet = packets[i];
    packet.payload = std::move(payloads[i]);
    std::string_view rest = packet.payload;
    while (!rest.empty()) {
      const size_t newline = rest.find('\n');
      SplitLine(rest.substr(0, newline), &packet.strings);
      if (newline == std::string_view::npos) break;
      rest.remove_prefix(newline + 1);
    }
  }
  return packets;
}

void BM_InternPacket(benchmark::State& state) {
  const std::vector<Packet> packets = CapturePackets();
  // Sized as BatchBuilder sizes a 4096-record batch's dictionary.
  StringDictionary dict(4096 * 2 + 1024, 256 * 1024);
  size_t next = 0;
  uint32_t lines = 0;
  uint64_t interned = 0;
  uint64_t non_empty = 0;
  for (auto _ : state) {
    const Packet& packet = packets[next];
    next = next + 1 == packets.size() ? 0 : next + 1;
    for (std::string_view s : packet.strings) {
      non_empty += !s.empty();
      const uint32_t index = dict.Intern(s);
      benchmark::DoNotOptimize(index);
    }
    interned += packet.strings.size();
    lines += 3;
    if (lines >= 4096) {
      dict.Clear();
      lines = 0;
    }
  }
  state.SetItemsProcessed(state.iterations());  // packets
  state.counters["interns_per_packet"] =
      static_cast<double>(interned) / static_cast<double>(state.iterations());
  state.counters["non_empty_per_packet"] =
      static_cast<double>(non_empty) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_InternPacket);

}  // namespace
}  // namespace firehose::batch

BENCHMARK_MAIN();
