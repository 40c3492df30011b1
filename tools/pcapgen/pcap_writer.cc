// PcapWriter on top of libpcap's "dead" handle + dumper API: no capture device is
// opened, libpcap only formats the file.
#include "tools/pcapgen/pcap_writer.h"

#include <pcap/pcap.h>

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"

namespace firehose::pcapgen {

absl::StatusOr<std::unique_ptr<PcapWriter>> PcapWriter::Open(const std::string& path) {
  pcap_t* handle = pcap_open_dead(DLT_EN10MB, kPcapSnapLen);
  if (handle == nullptr) {
    return absl::InternalError("pcap_open_dead(DLT_EN10MB) failed");
  }
  pcap_dumper_t* dumper = pcap_dump_open(handle, path.c_str());
  if (dumper == nullptr) {
    std::string error = pcap_geterr(handle);
    pcap_close(handle);
    return absl::UnavailableError(
        absl::StrCat("cannot create pcap file ", path, ": ", error));
  }
  return std::unique_ptr<PcapWriter>(new PcapWriter(handle, dumper, path));
}

PcapWriter::~PcapWriter() { (void)Close(); }

absl::Status PcapWriter::Write(std::span<const uint8_t> frame, int64_t unix_nanos) {
  if (dumper_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(path_, " is already closed"));
  }
  if (frame.size() > static_cast<size_t>(kPcapSnapLen)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "frame of ", frame.size(), " bytes exceeds the snap length ", kPcapSnapLen));
  }
  pcap_pkthdr header = {};
  header.ts.tv_sec = static_cast<time_t>(unix_nanos / 1'000'000'000);
  header.ts.tv_usec = static_cast<suseconds_t>((unix_nanos % 1'000'000'000) / 1000);
  header.caplen = static_cast<bpf_u_int32>(frame.size());
  header.len = header.caplen;
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, frame.data());
  // pcap_dump returns nothing; the stdio stream remembers write errors.
  if (std::ferror(pcap_dump_file(dumper_))) {
    return absl::DataLossError(absl::StrCat("write to ", path_, " failed"));
  }
  ++frames_written_;
  return absl::OkStatus();
}

absl::Status PcapWriter::Close() {
  absl::Status status;
  if (dumper_ != nullptr) {
    if (pcap_dump_flush(dumper_) != 0 || std::ferror(pcap_dump_file(dumper_))) {
      status = absl::DataLossError(absl::StrCat("flushing ", path_, " failed"));
    }
    pcap_dump_close(dumper_);
    dumper_ = nullptr;
  }
  if (handle_ != nullptr) {
    pcap_close(handle_);
    handle_ = nullptr;
  }
  return status;
}

absl::Status WritePcapFile(const std::string& path,
                           const std::vector<std::vector<uint8_t>>& frames,
                           int64_t start_unix_nanos, int64_t interval_nanos) {
  absl::StatusOr<std::unique_ptr<PcapWriter>> writer = PcapWriter::Open(path);
  if (!writer.ok()) return writer.status();
  int64_t nanos = start_unix_nanos;
  for (const std::vector<uint8_t>& frame : frames) {
    if (absl::Status s = (*writer)->Write(frame, nanos); !s.ok()) return s;
    nanos += interval_nanos;
  }
  return (*writer)->Close();
}

}  // namespace firehose::pcapgen
