// Generates a realistic, deterministic statsd/DogStatsD traffic capture: the frames
// pcapgen writes, produced one packet at a time so captures of any size stream to disk.
//
// Traffic shape: a fixed population of metric names ("api.http.request.duration.p95.
// service_17", "web.api.requests.count_123"), each with one metric type as real clients
// do (c 35%, ms 20%, g 15%, h 10%, d 10%, s 10%); typical values; ~15% of c/ms/h/d
// lines sampled (@0.5, @0.25, @0.1); ~10% of gauges sent as deltas (+n/-n); most lines
// tagged with 1-4 of env/service/region/host/version/az. Packets come from four
// sources (10.1.0.11-14) to 10.0.1.1:dst_port, lines joined by '\n' with no trailing
// newline. Identical options (seed included) give byte-identical output.
#ifndef FIREHOSE_TOOLS_PCAPGEN_STATSD_CAPTURE_H_
#define FIREHOSE_TOOLS_PCAPGEN_STATSD_CAPTURE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace firehose::pcapgen {

struct StatsdCaptureOptions {
  int64_t packets = 4096;
  int names = 1500;
  int lines_per_packet = 3;
  uint16_t dst_port = 8125;
  uint64_t seed = 1;
  // A packet ends early (fewer lines) rather than exceed this UDP payload size; the
  // default fits a 1500-byte MTU. The first line of a packet is always included.
  size_t max_payload = 1472;
  // Capture timestamps: first packet at start_unix_nanos, then every interval_nanos.
  int64_t start_unix_nanos = 1'700'000'000'000'000'000;
  int64_t interval_nanos = 10'000;
};

struct StatsdPacket {
  std::vector<uint8_t> frame;  // Ethernet frame, ready for PcapWriter
  std::string payload;         // the UDP payload inside it
  int lines = 0;
  int64_t unix_nanos = 0;
};

class StatsdCaptureGenerator {
 public:
  // InvalidArgument for non-positive names/lines_per_packet, negative packets, or a
  // max_payload that cannot hold a line.
  static absl::StatusOr<StatsdCaptureGenerator> Create(const StatsdCaptureOptions& options);

  // The next packet. Call options.packets times (more calls keep producing packets).
  StatsdPacket Next();

  const std::vector<std::string>& names() const { return names_; }

 private:
  StatsdCaptureGenerator(const StatsdCaptureOptions& options);
  uint64_t Random();                 // splitmix64: fixed across platforms/libraries
  uint64_t Uniform(uint64_t bound);  // [0, bound)
  std::string Line();

  StatsdCaptureOptions options_;
  uint64_t state_;
  int64_t packet_index_ = 0;
  std::vector<std::string> names_;
  std::vector<char> types_;  // per name: 'c','m'(ms),'g','h','d','s'
};

// The UDP payloads of the capture `options` describes, in order (options.packets of
// them): what benchmarks replay without the frames. Create()'s error for bad options.
absl::StatusOr<std::vector<std::string>> StatsdCapturePayloads(const StatsdCaptureOptions& options);

}  // namespace firehose::pcapgen

#endif  // FIREHOSE_TOOLS_PCAPGEN_STATSD_CAPTURE_H_
