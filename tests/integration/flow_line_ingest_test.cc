// End-to-end test for the flow and line-protocol decoders: ingestd on DPDK's net_pcap
// reads a capture with NetFlow v5 and IPFIX export packets on port 2055, InfluxDB line
// protocol on 8089 and statsd on 8125, plus malformed packets of each; a real gRPC
// subscriber must receive exactly the valid flows and points in the batches' flow and
// line-protocol columns, and /metrics must account for everything:
//   rx_packets = rx_delivered + named rx drops,
//   per decoder: units = records + named errors (as each decoder documents them),
//   decoder records = batch records = published records.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "node/decode/flow_packet_builder.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"
#include "tests/support/ingestd_process.h"
#include "tests/support/prometheus_text.h"
#include "tools/pcapgen/frame_builder.h"
#include "tools/pcapgen/pcap_writer.h"

namespace firehose {
namespace {

using decode::testing::BuildV5;
using decode::testing::FlowPacketBuilder;
using decode::testing::V5Flow;
using pcapgen::FrameBuilder;
using ::testing::UnorderedElementsAreArray;

// Subscribes on its own thread and flattens every flow and line-protocol record into a
// comparable string.
class Collector {
 public:
  explicit Collector(const std::string& address)
      : stub_(v1::Ingest::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        thread_([this] { Run(); }) {}
  ~Collector() {
    context_.TryCancel();
    thread_.join();
  }

  bool WaitFor(size_t count, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return flows_.size() + points_.size() >= count || done_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return flows_.size() + points_.size() >= count;
  }
  std::vector<std::string> flows() {
    absl::MutexLock lock(&mu_);
    return flows_;
  }
  std::vector<std::string> points() {
    absl::MutexLock lock(&mu_);
    return points_;
  }

 private:
  void Run() {
    v1::SubscribeRequest request;
    request.set_client_name("flow-line-test");
    auto reader = stub_->Subscribe(&context_, request);
    v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      if (!response.has_batch()) continue;
      absl::MutexLock lock(&mu_);
      Flatten(response.batch());
    }
    reader->Finish();
    absl::MutexLock lock(&mu_);
    done_ = true;
  }

  void Flatten(const v1::Batch& b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const v1::FlowColumns& f = b.flows();
    for (int i = 0; i < f.version_size(); ++i) {
      const auto* src = reinterpret_cast<const uint8_t*>(f.src_address().data()) + 16 * i;
      const auto* dst = reinterpret_cast<const uint8_t*>(f.dst_address().data()) + 16 * i;
      flows_.push_back(absl::StrCat(
          "v", f.version(i), " ", src[12], ".", src[13], ".", src[14], ".", src[15], ":",
          f.src_port(i), ">", dst[12], ".", dst[13], ".", dst[14], ".", dst[15], ":",
          f.dst_port(i), " p", f.protocol(i), " ", f.packets(i), "pkt ", f.bytes(i), "B"));
    }
    const v1::LineProtocolColumns& l = b.line_protocol();
    int tag = 0, field = 0, floats = 0, ints = 0, strings = 0;
    for (int i = 0; i < l.measurement_size(); ++i) {
      std::string s = b.strings(l.measurement(i));
      for (uint32_t t = 0; t < l.tag_count(i); ++t, ++tag) {
        absl::StrAppend(&s, ",", b.strings(l.tag_key(tag)), "=", b.strings(l.tag_value(tag)));
      }
      for (uint32_t k = 0; k < l.field_count(i); ++k, ++field) {
        absl::StrAppend(&s, k ? "," : " ", b.strings(l.field_key(field)), "=");
        switch (l.field_type(field)) {
          case v1::FIELD_TYPE_FLOAT:
            absl::StrAppend(&s, l.float_value(floats++));
            break;
          case v1::FIELD_TYPE_INTEGER:
            absl::StrAppend(&s, l.int_value(ints++), "i");
            break;
          case v1::FIELD_TYPE_STRING:
            absl::StrAppend(&s, "\"", b.strings(l.string_value(strings++)), "\"");
            break;
          default:
            absl::StrAppend(&s, "?");
        }
      }
      absl::StrAppend(&s, " ", l.timestamp_unix_nanos(i));
      points_.push_back(s);
    }
  }

  std::unique_ptr<v1::Ingest::Stub> stub_;
  grpc::ClientContext context_;
  absl::Mutex mu_;
  std::vector<std::string> flows_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> points_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts after every member above exists
};

std::vector<uint8_t> Frame(uint16_t port, const std::string& payload) {
  return FrameBuilder().Ports(40000, port).Payload(payload).Build();
}

TEST(FlowLineIngestTest, FlowsAndPointsArriveExactlyAndEveryUnitIsCounted) {
  std::vector<std::vector<uint8_t>> frames;
  std::vector<std::string> expected_flows;
  std::vector<std::string> expected_points;

  // NetFlow v5: two flows.
  V5Flow a;
  a.src = 0x0a000001;
  a.dst = 0x0a000002;
  a.src_port = 1234;
  a.dst_port = 80;
  a.protocol = 6;
  a.packets = 3;
  a.bytes = 180;
  V5Flow b = a;
  b.src_port = 1235;
  b.protocol = 17;
  frames.push_back(Frame(2055, BuildV5(1000, 1700000000, 0, 0, 0, 0, {a, b})));
  expected_flows.push_back("v5 10.0.0.1:1234>10.0.0.2:80 p6 3pkt 180B");
  expected_flows.push_back("v5 10.0.0.1:1235>10.0.0.2:80 p17 3pkt 180B");
  // IPFIX: data before its template (template_missing), then template + data.
  auto ipfix_data = [](uint32_t seq) {
    return FlowPacketBuilder::Ipfix(1700000000, seq, 1)
        .BeginSet(300)
        .Ipv4(192, 0, 2, 1).Ipv4(192, 0, 2, 2).U16(53).U16(5353).U8(17).U32(2).U32(120)
        .EndSet()
        .Finish();
  };
  frames.push_back(Frame(2055, ipfix_data(1)));
  frames.push_back(Frame(2055, FlowPacketBuilder::Ipfix(1700000000, 2, 1)
                                   .BeginSet(2)
                                   .Template(300, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1},
                                                   {2, 4}, {1, 4}})
                                   .EndSet()
                                   .Finish()));
  frames.push_back(Frame(2055, ipfix_data(3)));
  expected_flows.push_back("v10 192.0.2.1:53>192.0.2.2:5353 p17 2pkt 120B");
  // Malformed: truncated v9 header, unknown version.
  frames.push_back(Frame(2055, std::string("\x00\x09\x00\x01", 4)));
  frames.push_back(Frame(2055, std::string("\x00\x07\x00\x00", 4)));

  // Line protocol: three points (one with escapes), one malformed line.
  frames.push_back(Frame(8089,
                         "cpu,host=a usage=0.5,count=3i 1700000000000000000\n"
                         "weather,city=New\\ York temp=21.5,note=\"sunny, warm\" 17\n"
                         "bad_line_without_fields\n"
                         "disk,dev=sda1 free=100i 1700000000000000001\n"));
  expected_points.push_back("cpu,host=a usage=0.5,count=3i 1700000000000000000");
  expected_points.push_back("weather,city=New York temp=21.5,note=\"sunny, warm\" 17");
  expected_points.push_back("disk,dev=sda1 free=100i 1700000000000000001");
  // Not ours: a port without a decoder.
  frames.push_back(Frame(9999, "x"));
  // Last frame valid, so its arrival means every earlier frame was counted.
  frames.push_back(Frame(8089, "last v=1i 5"));
  expected_points.push_back("last v=1i 5");

  const std::string dir = testing::TestTempDir();
  const std::string pcap = dir + "/flows.pcap";
  ASSERT_TRUE(pcapgen::WritePcapFile(pcap, frames).ok());
  const std::string config = dir + "/ingestd.yaml";
  std::ofstream(config) << "node_id: flow-node\n"
                        << "eal:\n  file_prefix: fh-flow-" << getpid() << "\n"
                        << "  args: [--no-huge, --no-shconf, -m, '256', --no-pci, "
                           "--no-telemetry]\n"
                        << "ports:\n  - device: net_pcap0,rx_pcap=" << pcap << "\n"
                        << "lcores:\n  main: 0\n  workers: [1]\n"
                        << "decoders:\n  '8125': statsd\n  '2055': netflow\n"
                        << "  '8089': influx\n"
                        << "batch:\n  max_records: 64\n  max_bytes: 65536\n"
                        << "  max_delay_us: 2000\n"
                        << "mempool:\n  mbufs_per_queue: 4095\n"
                        << "grpc:\n  listen: 127.0.0.1:0\n"
                        << "metrics:\n  listen: 127.0.0.1:0\n";

  absl::StatusOr<testing::IngestdProcess> node =
      testing::StartIngestd("node/ingestd", config, {"--wait_for_subscribers=1"});
  ASSERT_TRUE(node.ok()) << node.status();
  Collector collector(node->grpc_address);
  const size_t expected = expected_flows.size() + expected_points.size();
  ASSERT_TRUE(collector.WaitFor(expected, absl::Seconds(30)))
      << "flows " << collector.flows().size() << " points " << collector.points().size();

  absl::StatusOr<std::string> page = testing::HttpGet(node->metrics_address, "/metrics");
  ASSERT_TRUE(page.ok()) << page.status();
  const std::vector<testing::Sample> m = testing::ParsePrometheusText(*page);
  node->process.Signal(SIGTERM);
  absl::StatusOr<int> exit_code = node->process.Wait(absl::Seconds(20));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);

  EXPECT_THAT(collector.flows(), UnorderedElementsAreArray(expected_flows));
  EXPECT_THAT(collector.points(), UnorderedElementsAreArray(expected_points));

  const double received = testing::SumSamples(m, "firehose_rx_packets_total");
  EXPECT_EQ(received, static_cast<double>(frames.size()));
  EXPECT_EQ(received, testing::SumSamples(m, "firehose_rx_delivered_packets_total") +
                          testing::SumSamples(m, "firehose_rx_dropped_packets_total"));
  EXPECT_EQ(testing::SumSamples(m, "firehose_rx_dropped_packets_total",
                                {{"reason", "unknown_port"}}),
            1);
  auto records = [&](const char* decoder) {
    return testing::SumSamples(m, "firehose_decoder_records_total", {{"decoder", decoder}});
  };
  auto error = [&](const char* decoder, const char* reason) {
    return testing::SumSamples(m, "firehose_decoder_errors_total",
                               {{"decoder", decoder}, {"reason", reason}});
  };
  EXPECT_EQ(records("netflow"), 3);
  EXPECT_EQ(error("netflow", "template_missing"), 1);
  EXPECT_EQ(error("netflow", "truncated_header"), 1);
  EXPECT_EQ(error("netflow", "unsupported_version"), 1);
  EXPECT_EQ(testing::SumSamples(m, "firehose_decoder_errors_total", {{"decoder", "netflow"}}),
            3);
  EXPECT_EQ(records("influx"), 4);
  EXPECT_EQ(error("influx", "missing_fields"), 1);
  const double decoded = testing::SumSamples(m, "firehose_decoder_records_total");
  EXPECT_EQ(decoded, static_cast<double>(expected));
  EXPECT_EQ(decoded, testing::SumSamples(m, "firehose_batch_records_total") +
                         testing::SumSamples(m, "firehose_batch_dropped_records_total"));
  EXPECT_EQ(testing::SumSamples(m, "firehose_published_records_total"), decoded);
}

}  // namespace
}  // namespace firehose
