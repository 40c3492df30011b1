// Writes Ethernet frames to a classic pcap file (microsecond timestamps, DLT_EN10MB)
// through libpcap, so captures replay through DPDK's net_pcap PMD (rx_pcap=FILE) and
// open in tcpdump/Wireshark.
#ifndef FIREHOSE_TOOLS_PCAPGEN_PCAP_WRITER_H_
#define FIREHOSE_TOOLS_PCAPGEN_PCAP_WRITER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// libpcap's handle types, kept out of this header so users need not see pcap.h.
struct pcap;
struct pcap_dumper;

namespace firehose::pcapgen {

// Largest frame a capture holds without cutting it.
inline constexpr int kPcapSnapLen = 65535;

class PcapWriter {
 public:
  // Creates (or truncates) `path` and writes the pcap file header.
  static absl::StatusOr<std::unique_ptr<PcapWriter>> Open(const std::string& path);

  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  // Closes the file if Close() was not called; errors at that point are lost.
  ~PcapWriter();

  // Appends one frame with the given receive time (nanoseconds since the Unix epoch,
  // stored with microsecond precision). Frames longer than kPcapSnapLen are refused.
  absl::Status Write(std::span<const uint8_t> frame, int64_t unix_nanos);

  // Flushes and closes the file; reports write errors (e.g. disk full).
  absl::Status Close();

  int64_t frames_written() const { return frames_written_; }

 private:
  PcapWriter(pcap* handle, pcap_dumper* dumper, std::string path)
      : handle_(handle), dumper_(dumper), path_(std::move(path)) {}

  pcap* handle_;
  pcap_dumper* dumper_;
  std::string path_;
  int64_t frames_written_ = 0;
};

// Convenience: writes `frames` to `path`, timestamps starting at start_unix_nanos and
// spaced by interval_nanos.
absl::Status WritePcapFile(const std::string& path,
                           const std::vector<std::vector<uint8_t>>& frames,
                           int64_t start_unix_nanos = 0, int64_t interval_nanos = 1000);

}  // namespace firehose::pcapgen

#endif  // FIREHOSE_TOOLS_PCAPGEN_PCAP_WRITER_H_
