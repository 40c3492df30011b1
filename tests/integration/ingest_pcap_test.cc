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
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/subprocess.h"
#include "tools/pcapgen/frame_builder.h"
#include "tools/pcapgen/pcap_writer.h"

namespace firehose {
namespace {

using pcapgen::FrameBuilder;
using ::testing::UnorderedElementsAreArray;

constexpr int kGeneratedPackets = 500;

// A record in a form that is easy to compare: name|value|type|rate|tags|member.
std::string Key(const std::string& name, double value, const std::string& type, double rate,
                const std::vector<std::string>& tags, const std::string& member = "") {
  return absl::StrCat(name, "|", value, "|", type, "|", rate, "|", absl::StrJoin(tags, ","),
                      "|", member);
}

std::string TypeSuffix(int type) {
  switch (type) {
    case v1::METRIC_TYPE_COUNTER: return "c";
    case v1::METRIC_TYPE_GAUGE: return "g";
    case v1::METRIC_TYPE_TIMER: return "ms";
    case v1::METRIC_TYPE_HISTOGRAM: return "h";
    case v1::METRIC_TYPE_SET: return "s";
    case v1::METRIC_TYPE_DISTRIBUTION: return "d";
  }
  return "?";
}

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
  c.expected_records.push_back(Key("cpu.load", 0.5, "g", 1, {"host:a", "env:prod"}));
  statsd("api.requests:3|c|@0.5\napi.latency:12.5|ms|#route:/v1\n");
  c.expected_records.push_back(Key("api.requests", 3, "c", 0.5, {}));
  c.expected_records.push_back(Key("api.latency", 12.5, "ms", 1, {"route:/v1"}));
  statsd("queue.depth:-4|g\nusers.unique:alice|s\nsize:7|h\nreq.size:250|d|@0.25|#a,b:c");
  c.expected_records.push_back(Key("queue.depth", -4, "g", 1, {}));
  c.expected_records.push_back(Key("users.unique", 0, "s", 1, {}, "alice"));
  c.expected_records.push_back(Key("size", 7, "h", 1, {}));
  c.expected_records.push_back(Key("req.size", 250, "d", 0.25, {"a", "b:c"}));
  // One good line among malformed ones: the good one still decodes.
  statsd("good.one:1|c\nbad_no_colon\nbad.type:1|zz");
  c.expected_records.push_back(Key("good.one", 1, "c", 1, {}));
  c.expected_malformed_lines += 2;
  statsd("\x01\x02garbage without structure");
  c.expected_malformed_lines += 1;
  // An 802.1Q-tagged packet is ours too.
  c.frames.push_back(
      FrameBuilder().Vlan(100).Ports(40001, 8125).Payload("vlan.metric:9|c").Build());
  c.expected_records.push_back(Key("vlan.metric", 9, "c", 1, {}));

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
    c.expected_records.push_back(Key(name, i, "c", 1, {absl::StrCat("i:", i)}));
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

// Collects everything a subscription delivers, on its own thread.
class Collector {
 public:
  explicit Collector(const std::string& address) {
    auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    stub_ = v1::Ingest::NewStub(channel);
    thread_ = std::thread([this] { Run(); });
  }
  ~Collector() {
    context_.TryCancel();
    thread_.join();
  }

  bool WaitForRecords(size_t count, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return records_.size() >= count || done_; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return records_.size() >= count;
  }
  bool WaitForEnd(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto ended = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return done_; };
    return mu_.AwaitWithTimeout(absl::Condition(&ended), timeout);
  }
  std::vector<std::string> records() {
    absl::MutexLock lock(&mu_);
    return records_;
  }
  std::vector<uint64_t> seqs() {
    absl::MutexLock lock(&mu_);
    return seqs_;
  }
  int gaps() {
    absl::MutexLock lock(&mu_);
    return gaps_;
  }
  grpc::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  void Run() {
    v1::SubscribeRequest request;
    request.set_client_name("integration-test");
    auto reader = stub_->Subscribe(&context_, request);
    v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      absl::MutexLock lock(&mu_);
      if (response.has_notice()) {
        if (response.notice().has_gap()) ++gaps_;
        continue;
      }
      const v1::Batch& b = response.batch();
      EXPECT_EQ(b.node_id(), "it-node");
      EXPECT_EQ(b.epoch(), 1u);
      seqs_.push_back(b.seq());
      const v1::StatsdColumns& s = b.statsd();
      EXPECT_EQ(static_cast<int>(b.record_count()), s.name_size());
      int tag_cursor = 0;
      for (int i = 0; i < s.name_size(); ++i) {
        std::vector<std::string> tags;
        for (uint32_t t = 0; t < s.tag_count(i); ++t) tags.push_back(b.strings(s.tags(tag_cursor++)));
        records_.push_back(Key(b.strings(s.name(i)), s.value(i), TypeSuffix(s.type(i)),
                               s.sample_rate(i), tags, b.strings(s.text(i))));
      }
    }
    absl::MutexLock lock(&mu_);
    status_ = reader->Finish();
    done_ = true;
  }

  std::unique_ptr<v1::Ingest::Stub> stub_;
  grpc::ClientContext context_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<std::string> records_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> seqs_ ABSL_GUARDED_BY(mu_);
  int gaps_ ABSL_GUARDED_BY(mu_) = 0;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

TEST(IngestPcapTest, SubscriberReceivesExactlyTheValidRecordsAndMetricsAccountForAll) {
  const std::string dir = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
  const Capture capture = BuildCapture();
  const std::string pcap = dir + "/known.pcap";
  ASSERT_TRUE(pcapgen::WritePcapFile(pcap, capture.frames).ok());
  const std::string config = WriteConfig(dir, pcap);

  absl::StatusOr<testing::Subprocess> ingestd = testing::Subprocess::Start(
      {"node/ingestd", "--config=" + config, "--wait_for_subscribers=1"});
  ASSERT_TRUE(ingestd.ok()) << ingestd.status();
  absl::StatusOr<std::string> ready = ingestd->WaitForLine("READY", absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();
  // READY grpc=HOST:PORT metrics=HOST:PORT
  std::map<std::string, std::string> endpoints;
  for (absl::string_view part : absl::StrSplit(*ready, ' ')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    endpoints[kv.first] = kv.second;
  }

  Collector collector(endpoints["grpc"]);
  ASSERT_TRUE(collector.WaitForRecords(capture.expected_records.size(), absl::Seconds(30)))
      << "received " << collector.records().size() << " of "
      << capture.expected_records.size();

  absl::StatusOr<std::string> page = testing::HttpGet(endpoints["metrics"], "/metrics");
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
  const std::string dir = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
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
