// End-to-end test of the first slice: ingestd on DPDK's net_pcap virtual device reads
// a capture of known frames (valid statsd, malformed lines, non-UDP, wrong port,
// fragments, truncated frames), and a real gRPC subscriber must receive exactly the
// valid records — names, values, types, rates, tags — while /metrics accounts for every
// frame: received = delivered + named drops.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/ingestd_process.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/record_collector.h"
#include "tests/support/subprocess.h"
#include "tools/pcapgen/frame_builder.h"
#include "tools/pcapgen/pcap_writer.h"

namespace firehose {
namespace {

using pcapgen::FrameBuilder;
using ::testing::UnorderedElementsAreArray;

constexpr int kGeneratedPackets = 500;

using testing::StatsdKey;

struct Capture {
  std::vector<std::vector<uint8_t>> frames;
  std::vector<std::string> expected_records;
  int expected_malformed_lines = 0;
  std::map<std::string, int> expected_drops;  // reason -> frames
};

Capture BuildCapture() {
  Capture c;
  auto statsd = [&](std::string payload) {
    c.frames.push_back(FrameBuilder().Ports(40000, 8125).Payload(payload).Build());
  };
  statsd("cpu.load:0.5|g|#host:a,env:prod");
  c.expected_records.push_back(StatsdKey("cpu.load", 0.5, "g", 1, {"host:a", "env:prod"}));
  statsd("api.requests:3|c|@0.5\napi.latency:12.5|ms|#route:/v1\n");
  c.expected_records.push_back(StatsdKey("api.requests", 3, "c", 0.5, {}));
  c.expected_records.push_back(StatsdKey("api.latency", 12.5, "ms", 1, {"route:/v1"}));
  statsd("queue.depth:-4|g\nusers.unique:alice|s\nsize:7|h\nreq.size:250|d|@0.25|#a,b:c");
  c.expected_records.push_back(StatsdKey("queue.depth", -4, "g", 1, {}));
  c.expected_records.push_back(StatsdKey("users.unique", 0, "s", 1, {}, "alice"));
  c.expected_records.push_back(StatsdKey("size", 7, "h", 1, {}));
  c.expected_records.push_back(StatsdKey("req.size", 250, "d", 0.25, {"a", "b:c"}));
  // One good line among malformed ones: the good one still decodes.
  statsd("good.one:1|c\nbad_no_colon\nbad.type:1|zz");
  c.expected_records.push_back(StatsdKey("good.one", 1, "c", 1, {}));
  c.expected_malformed_lines += 2;
  statsd("\x01\x02garbage without structure");
  c.expected_malformed_lines += 1;
  // An 802.1Q-tagged packet is ours too.
  c.frames.push_back(
      FrameBuilder().Vlan(100).Ports(40001, 8125).Payload("vlan.metric:9|c").Build());
  c.expected_records.push_back(StatsdKey("vlan.metric", 9, "c", 1, {}));

  // Frames that are not ours, each under its own reason.
  c.frames.push_back(FrameBuilder().EtherType(pcapgen::kEtherTypeArp).Payload("arp").Build());
  c.expected_drops["not_ip"] = 1;
  c.frames.push_back(
      FrameBuilder().IpProtocol(pcapgen::kIpProtoIcmp).Payload("ping").Build());
  c.expected_drops["not_udp"] = 1;
  c.frames.push_back(FrameBuilder().Ports(40000, 9999).Payload("x:1|c").Build());
  c.expected_drops["unknown_port"] = 1;
  c.frames.push_back(
      FrameBuilder().Fragment(true, 0).Ports(40000, 8125).Payload("frag:1|c").Build());
  c.expected_drops["ip_fragment"] = 1;
  c.frames.push_back(
      FrameBuilder().Ports(40000, 8125).Payload("cut:1|c").TruncateTo(20).Build());
  c.expected_drops["truncated_ip_header"] = 1;

  // Enough ordinary traffic for many batches; the last frame is valid so that once its
  // record arrives every earlier frame has been counted.
  for (int i = 0; i < kGeneratedPackets; ++i) {
    const std::string name = absl::StrCat("gen.metric.", i % 50);
    statsd(absl::StrCat(name, ":", i, "|c|#i:", i));
    c.expected_records.push_back(StatsdKey(name, i, "c", 1, {absl::StrCat("i:", i)}));
  }
  return c;
}

std::string WriteConfig(const std::string& dir, const std::string& pcap) {
  const std::string path = dir + "/ingestd.yaml";
  std::ofstream out(path);
  out << "node_id: it-node\n"
      << "eal:\n  file_prefix: fh-it-" << getpid() << "\n"
      << "  args: [--no-huge, --no-shconf, -m, '256', --no-pci, --no-telemetry]\n"
      << "ports:\n  - device: net_pcap0,rx_pcap=" << pcap << "\n"
      << "lcores:\n  main: 0\n  workers: [1]\n"
      << "decoders:\n  '8125': statsd\n"
      << "batch:\n  max_records: 64\n  max_bytes: 65536\n  max_delay_us: 2000\n"
      << "mempool:\n  mbufs_per_queue: 4095\n"
      << "grpc:\n  listen: 127.0.0.1:0\n"
      << "metrics:\n  listen: 127.0.0.1:0\n";
  return path;
}

TEST(IngestPcapTest, SubscriberReceivesExactlyTheValidRecordsAndMetricsAccountForAll) {
  const std::string dir = testing::TestTempDir();
  const Capture capture = BuildCapture();
  const std::string pcap = dir + "/known.pcap";
  ASSERT_TRUE(pcapgen::WritePcapFile(pcap, capture.frames).ok());
  const std::string config = WriteConfig(dir, pcap);

  absl::StatusOr<testing::IngestdProcess> node =
      testing::StartIngestd("node/ingestd", config, {"--wait_for_subscribers=1"});
  ASSERT_TRUE(node.ok()) << node.status();
  testing::Subprocess* ingestd = &node->process;
  testing::RecordCollector collector(node->grpc_address, "integration-test");
  ASSERT_TRUE(collector.WaitForRecords(capture.expected_records.size(), absl::Seconds(30)))
      << "received " << collector.records().size() << " of "
      << capture.expected_records.size();

  absl::StatusOr<std::string> page = testing::HttpGet(node->metrics_address, "/metrics");
  ASSERT_TRUE(page.ok()) << page.status();
  const std::vector<testing::Sample> m = testing::ParsePrometheusText(*page);

  ingestd->Signal(SIGTERM);
  absl::StatusOr<int> exit_code = ingestd->Wait(absl::Seconds(20));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);
  ASSERT_TRUE(collector.WaitForEnd(absl::Seconds(10)));
  EXPECT_TRUE(collector.status().ok()) << collector.status().error_message();

  // Exactly the valid records, each once.
  EXPECT_THAT(collector.records(), UnorderedElementsAreArray(capture.expected_records));
  EXPECT_EQ(collector.gaps(), 0);
  for (const std::string& node_id : collector.node_ids()) EXPECT_EQ(node_id, "it-node");
  const std::vector<uint64_t> seqs = collector.seqs();
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1) << "seq must step by one";

  // Every frame accounted for: received = delivered + named drops.
  const double received = testing::SumSamples(m, "firehose_rx_packets_total");
  const double delivered = testing::SumSamples(m, "firehose_rx_delivered_packets_total");
  const double dropped = testing::SumSamples(m, "firehose_rx_dropped_packets_total");
  EXPECT_EQ(received, static_cast<double>(capture.frames.size()));
  EXPECT_EQ(received, delivered + dropped);
  int expected_dropped = 0;
  for (const auto& [reason, count] : capture.expected_drops) {
    EXPECT_EQ(testing::SumSamples(m, "firehose_rx_dropped_packets_total", {{"reason", reason}}),
              count)
        << reason;
    expected_dropped += count;
  }
  EXPECT_EQ(dropped, expected_dropped);

  // Every statsd line accounted for: decoded records + malformed lines, and every
  // decoded record published and delivered.
  const double decoded = testing::SumSamples(m, "firehose_decoder_records_total");
  EXPECT_EQ(decoded, static_cast<double>(capture.expected_records.size()));
  EXPECT_EQ(testing::SumSamples(m, "firehose_decoder_errors_total"),
            capture.expected_malformed_lines);
  EXPECT_EQ(decoded, testing::SumSamples(m, "firehose_batch_records_total") +
                         testing::SumSamples(m, "firehose_batch_dropped_records_total"));
  EXPECT_EQ(testing::SumSamples(m, "firehose_batch_dropped_records_total"), 0);
  EXPECT_EQ(testing::SumSamples(m, "firehose_published_records_total"), decoded);
  EXPECT_EQ(testing::SumSamples(m, "firehose_subscriber_dropped_records_total"), 0);
  EXPECT_EQ(testing::SumSamples(m, "firehose_nic_rx_packets_total"),
            static_cast<double>(capture.frames.size()));
}

TEST(IngestPcapTest, BadConfigNamesFileAndFieldAndExitsNonZero) {
  const std::string dir = testing::TestTempDir();
  const std::string path = dir + "/bad.yaml";
  std::ofstream(path) << "node_id: x\nports:\n  - device: net_null0\nbatch:\n  max_records: 0\n";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    execl("node/ingestd", "node/ingestd", ("--config=" + path).c_str(), nullptr);
    _exit(127);
  }
  close(fds[1]);
  std::string err;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) err.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_THAT(err, ::testing::HasSubstr("bad.yaml"));
  EXPECT_THAT(err, ::testing::HasSubstr("batch.max_records"));
}

}  // namespace
}  // namespace firehose
