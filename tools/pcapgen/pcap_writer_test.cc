// Tests that PcapWriter produces a file libpcap reads back frame for frame, with
// timestamps, and that I/O problems surface as Status errors.
#include "tools/pcapgen/pcap_writer.h"

#include <pcap/pcap.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/pcapgen/frame_builder.h"

namespace firehose::pcapgen {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

struct ReadFrame {
  std::vector<uint8_t> bytes;
  int64_t micros;
};

std::vector<ReadFrame> ReadBack(const std::string& path, int* link_type) {
  char error[PCAP_ERRBUF_SIZE];
  pcap_t* in = pcap_open_offline(path.c_str(), error);
  EXPECT_NE(in, nullptr) << error;
  std::vector<ReadFrame> frames;
  if (in == nullptr) return frames;
  *link_type = pcap_datalink(in);
  pcap_pkthdr* header;
  const u_char* data;
  while (pcap_next_ex(in, &header, &data) == 1) {
    EXPECT_EQ(header->caplen, header->len);
    frames.push_back({std::vector<uint8_t>(data, data + header->caplen),
                      header->ts.tv_sec * 1'000'000LL + header->ts.tv_usec});
  }
  pcap_close(in);
  return frames;
}

TEST(PcapWriterTest, RoundTripsFramesAndTimestamps) {
  const std::string path = TempPath("roundtrip.pcap");
  std::vector<std::vector<uint8_t>> frames = {
      FrameBuilder().Payload("a:1|c").Build(),
      FrameBuilder().Vlan(7).Payload(std::string(1400, 'x')).Build(),
      BuildArpRequest({2, 0, 0, 0, 0, 1}, {10, 0, 0, 1}, {10, 0, 0, 2}),
  };
  auto writer = PcapWriter::Open(path);
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (size_t i = 0; i < frames.size(); ++i) {
    ASSERT_TRUE((*writer)->Write(frames[i], 1'700'000'000'123'456'789LL + i * 1000).ok());
  }
  EXPECT_EQ((*writer)->frames_written(), 3);
  ASSERT_TRUE((*writer)->Close().ok());

  int link_type = -1;
  std::vector<ReadFrame> read = ReadBack(path, &link_type);
  EXPECT_EQ(link_type, DLT_EN10MB);
  ASSERT_EQ(read.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(read[i].bytes, frames[i]) << i;
    EXPECT_EQ(read[i].micros, 1'700'000'000'123'456LL + static_cast<int64_t>(i)) << i;
  }
}

TEST(PcapWriterTest, WritePcapFileConvenience) {
  const std::string path = TempPath("convenience.pcap");
  std::vector<std::vector<uint8_t>> frames(5, FrameBuilder().Payload("b:2|g").Build());
  ASSERT_TRUE(WritePcapFile(path, frames, 2'000'000'000, 1'000'000).ok());
  int link_type;
  std::vector<ReadFrame> read = ReadBack(path, &link_type);
  ASSERT_EQ(read.size(), 5u);
  EXPECT_EQ(read[0].micros, 2'000'000);
  EXPECT_EQ(read[4].micros, 2'000'000 + 4 * 1000);
}

TEST(PcapWriterTest, EmptyCaptureIsValid) {
  const std::string path = TempPath("empty.pcap");
  ASSERT_TRUE(WritePcapFile(path, {}).ok());
  int link_type = -1;
  EXPECT_TRUE(ReadBack(path, &link_type).empty());
  EXPECT_EQ(link_type, DLT_EN10MB);
}

TEST(PcapWriterTest, OpenFailsInMissingDirectory) {
  auto writer = PcapWriter::Open(TempPath("no/such/dir/x.pcap"));
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.status().message().find("no/such/dir/x.pcap"), std::string_view::npos)
      << writer.status();
}

TEST(PcapWriterTest, RejectsOversizedFrameAndWriteAfterClose) {
  auto writer = PcapWriter::Open(TempPath("misuse.pcap"));
  ASSERT_TRUE(writer.ok());
  std::vector<uint8_t> huge(kPcapSnapLen + 1, 0);
  EXPECT_EQ((*writer)->Write(huge, 0).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE((*writer)->Close().ok());
  std::vector<uint8_t> frame = FrameBuilder().Build();
  EXPECT_EQ((*writer)->Write(frame, 0).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*writer)->Close().ok());  // idempotent
}

TEST(PcapWriterTest, ReportsDiskFull) {
  // /dev/full accepts the open and fails every write with ENOSPC.
  auto writer = PcapWriter::Open("/dev/full");
  if (!writer.ok()) GTEST_SKIP() << "/dev/full not available: " << writer.status();
  std::vector<uint8_t> frame = FrameBuilder().Payload(std::string(1000, 'x')).Build();
  absl::Status status;
  for (int i = 0; i < 100 && status.ok(); ++i) status = (*writer)->Write(frame, 0);
  if (status.ok()) status = (*writer)->Close();
  EXPECT_FALSE(status.ok());
}

}  // namespace
}  // namespace firehose::pcapgen
