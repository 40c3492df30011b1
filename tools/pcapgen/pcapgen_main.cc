// pcapgen: writes a realistic statsd capture (see statsd_capture.h) to a pcap file, to
// replay through DPDK's net_pcap PMD or the kernel backend in tests and benchmarks.
//
//   pcapgen --out=statsd.pcap --packets=4096 --names=1500 --lines_per_packet=3
//           --dst_port=8125 --seed=1
//
// Prints one summary line to stderr; exit status 1 on bad flags or I/O errors.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "tools/pcapgen/pcap_writer.h"
#include "tools/pcapgen/statsd_capture.h"

ABSL_FLAG(std::string, out, "", "Output pcap file (required).");
ABSL_FLAG(int64_t, packets, 4096, "Number of packets to write.");
ABSL_FLAG(int, names, 1500, "Number of distinct metric names.");
ABSL_FLAG(int, lines_per_packet, 3,
          "statsd lines per packet, joined by '\\n' (fewer if max_payload is reached).");
ABSL_FLAG(int, dst_port, 8125, "Destination UDP port.");
ABSL_FLAG(uint64_t, seed, 1, "Random seed; the same seed gives the same file.");
ABSL_FLAG(int, max_payload, 1472, "Largest UDP payload in bytes (1472 fits MTU 1500).");

namespace firehose::pcapgen {
namespace {

absl::Status Run() {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) return absl::InvalidArgumentError("--out is required");
  const int dst_port = absl::GetFlag(FLAGS_dst_port);
  if (dst_port < 1 || dst_port > 65535) {
    return absl::InvalidArgumentError("--dst_port must be in [1, 65535]");
  }
  if (absl::GetFlag(FLAGS_max_payload) < 0) {
    return absl::InvalidArgumentError("--max_payload must be positive");
  }
  StatsdCaptureOptions options;
  options.packets = absl::GetFlag(FLAGS_packets);
  options.names = absl::GetFlag(FLAGS_names);
  options.lines_per_packet = absl::GetFlag(FLAGS_lines_per_packet);
  options.dst_port = static_cast<uint16_t>(dst_port);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.max_payload = static_cast<size_t>(absl::GetFlag(FLAGS_max_payload));
  absl::StatusOr<StatsdCaptureGenerator> generator = StatsdCaptureGenerator::Create(options);
  if (!generator.ok()) return generator.status();

  absl::StatusOr<std::unique_ptr<PcapWriter>> writer = PcapWriter::Open(out);
  if (!writer.ok()) return writer.status();
  int64_t lines = 0;
  int64_t payload_bytes = 0;
  int64_t frame_bytes = 0;
  for (int64_t i = 0; i < options.packets; ++i) {
    StatsdPacket packet = generator->Next();
    if (absl::Status s = (*writer)->Write(packet.frame, packet.unix_nanos); !s.ok()) {
      return s;
    }
    lines += packet.lines;
    payload_bytes += static_cast<int64_t>(packet.payload.size());
    frame_bytes += static_cast<int64_t>(packet.frame.size());
  }
  if (absl::Status s = (*writer)->Close(); !s.ok()) return s;
  std::fprintf(stderr,
               "pcapgen: wrote %lld packets, %lld lines, %lld payload bytes, %lld frame "
               "bytes to %s (seed %llu)\n",
               static_cast<long long>(options.packets), static_cast<long long>(lines),
               static_cast<long long>(payload_bytes), static_cast<long long>(frame_bytes),
               out.c_str(), static_cast<unsigned long long>(options.seed));
  return absl::OkStatus();
}

}  // namespace
}  // namespace firehose::pcapgen

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::Status s = firehose::pcapgen::Run(); !s.ok()) {
    std::fprintf(stderr, "pcapgen: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
