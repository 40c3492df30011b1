// Tests for how `ingestctl tail` prints NetFlow/IPFIX records: whole text and NDJSON
// lines (so any change of output shows), IPv4 and IPv6 flows, and that a flow section
// whose columns disagree is refused naming the column.
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/ingestctl/record_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firehose::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 2023-11-14T22:13:20Z.
constexpr int64_t kFirstReceiveNanos = 1'700'000'000'000'000'000;

// The 16-byte column slot of an address: IPv4 as ::ffff:a.b.c.d, IPv6 as is.
std::string Slot(std::string_view bytes) {
  if (bytes.size() == 4) {
    return std::string(10, '\0') + "\xff\xff" + std::string(bytes);
  }
  return std::string(bytes);
}

const std::string kV6Exporter("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x09", 16);  // 2001:db8::9
const std::string kV6Src("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);       // 2001:db8::1
const std::string kV6Dst("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);       // 2001:db8::2

struct Flow {
  uint32_t version = 10;
  uint32_t observation_domain = 0;
  uint32_t ip_version = 4;
  std::string src, dst, next_hop;  // 4 or 16 bytes
  uint32_t src_port = 0, dst_port = 0, protocol = 17, tcp_flags = 0, tos = 0;
  uint64_t bytes = 0, packets = 0, start_unix_millis = 0, end_unix_millis = 0;
  uint32_t input_interface = 0, output_interface = 0, src_as = 0, dst_as = 0;
  uint32_t sampling_interval = 0;
  uint64_t offset_nanos = 0;
};

// A batch of `flows` from one exporter, [2001:db8::9]:4739, laid out as a node does.
v1::Batch FlowBatch(const std::vector<Flow>& flows) {
  v1::Batch batch;
  batch.set_node_id("node-b");
  batch.set_epoch(3);
  batch.set_seq(7);
  batch.set_first_receive_unix_nanos(kFirstReceiveNanos);
  batch.add_strings("");
  v1::Endpoint* exporter = batch.add_sources();
  exporter->set_address(kV6Exporter);
  exporter->set_port(4739);
  v1::FlowColumns* f = batch.mutable_flows();
  for (const Flow& flow : flows) {
    f->add_version(flow.version);
    f->add_exporter(0);
    f->add_observation_domain(flow.observation_domain);
    f->add_ip_version(flow.ip_version);
    f->mutable_src_address()->append(Slot(flow.src));
    f->mutable_dst_address()->append(Slot(flow.dst));
    f->mutable_next_hop()->append(Slot(flow.next_hop));
    f->add_src_port(flow.src_port);
    f->add_dst_port(flow.dst_port);
    f->add_protocol(flow.protocol);
    f->add_tcp_flags(flow.tcp_flags);
    f->add_tos(flow.tos);
    f->add_bytes(flow.bytes);
    f->add_packets(flow.packets);
    f->add_start_unix_millis(flow.start_unix_millis);
    f->add_end_unix_millis(flow.end_unix_millis);
    f->add_input_interface(flow.input_interface);
    f->add_output_interface(flow.output_interface);
    f->add_src_as(flow.src_as);
    f->add_dst_as(flow.dst_as);
    f->add_sampling_interval(flow.sampling_interval);
    f->add_flags(0);
    f->add_receive_offset_nanos(flow.offset_nanos);
    f->add_enterprise_count(0);
  }
  batch.set_record_count(flows.size());
  return batch;
}

// A DNS answer over IPv4, unsampled, received 1.5 ms and 250 ns after the batch opened.
Flow DnsFlow() {
  return {.observation_domain = 7,
          .src = std::string("\x0a\x01\x02\x03", 4),       // 10.1.2.3
          .dst = std::string("\xc0\x00\x02\xc8", 4),       // 192.0.2.200
          .next_hop = std::string("\x0a\x01\x02\xfe", 4),  // 10.1.2.254
          .src_port = 53,
          .dst_port = 33000,
          .tos = 32,
          .bytes = 140,
          .packets = 2,
          .start_unix_millis = 1'699'999'999'000,
          .end_unix_millis = 1'700'000'000'000,
          .input_interface = 4,
          .output_interface = 5,
          .src_as = 64500,
          .dst_as = 64501,
          .sampling_interval = 1,
          .offset_nanos = 1'500'250};
}

// An HTTPS flow over IPv6 from a v9 exporter sampling 1 in 512.
Flow HttpsFlow() {
  return {.version = 9,
          .ip_version = 6,
          .src = kV6Src,
          .dst = kV6Dst,
          .next_hop = std::string(16, '\0'),
          .src_port = 50000,
          .dst_port = 443,
          .protocol = 6,
          .tcp_flags = 0x1b,
          .bytes = 9000,
          .packets = 12,
          .sampling_interval = 512};
}

TEST(RecordFormatFlowTest, TextLinesInFull) {
  absl::StatusOr<std::vector<std::string>> lines = TextLines(FlowBatch({DnsFlow(), HttpsFlow()}));
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_THAT(*lines,
              ElementsAre("2023-11-14T22:13:20.001500Z node-b #7 [2001:db8::9]:4739 flow v10 "
                          "10.1.2.3:53 > 192.0.2.200:33000 proto 17 2 pkts 140 B if 4>5 "
                          "as 64500>64501 tos 32 flags 0x00",
                          "2023-11-14T22:13:20.000000Z node-b #7 [2001:db8::9]:4739 flow v9 "
                          "2001:db8::1:50000 > 2001:db8::2:443 proto 6 12 pkts 9000 B if 0>0 "
                          "as 0>0 tos 0 flags 0x1b sampled 1/512"));
}

TEST(RecordFormatFlowTest, JsonLinesInFull) {
  absl::StatusOr<std::vector<std::string>> lines = JsonLines(FlowBatch({DnsFlow(), HttpsFlow()}));
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_THAT(
      *lines,
      ElementsAre("{\"node_id\":\"node-b\",\"epoch\":3,\"seq\":7,"
                  "\"time\":\"2023-11-14T22:13:20.001500250Z\",\"kind\":\"flow\","
                  "\"exporter\":\"[2001:db8::9]:4739\",\"version\":10,\"observation_domain\":7,"
                  "\"src\":\"10.1.2.3\",\"dst\":\"192.0.2.200\",\"next_hop\":\"10.1.2.254\","
                  "\"src_port\":53,\"dst_port\":33000,\"protocol\":17,\"tcp_flags\":0,\"tos\":32,"
                  "\"bytes\":140,\"packets\":2,\"start_unix_millis\":1699999999000,"
                  "\"end_unix_millis\":1700000000000,\"input_interface\":4,\"output_interface\":5,"
                  "\"src_as\":64500,\"dst_as\":64501,\"sampling_interval\":1}",
                  "{\"node_id\":\"node-b\",\"epoch\":3,\"seq\":7,"
                  "\"time\":\"2023-11-14T22:13:20.000000000Z\",\"kind\":\"flow\","
                  "\"exporter\":\"[2001:db8::9]:4739\",\"version\":9,\"observation_domain\":0,"
                  "\"src\":\"2001:db8::1\",\"dst\":\"2001:db8::2\",\"next_hop\":\"::\","
                  "\"src_port\":50000,\"dst_port\":443,\"protocol\":6,\"tcp_flags\":27,\"tos\":0,"
                  "\"bytes\":9000,\"packets\":12,\"start_unix_millis\":0,\"end_unix_millis\":0,"
                  "\"input_interface\":0,\"output_interface\":0,\"src_as\":0,\"dst_as\":0,"
                  "\"sampling_interval\":512}"));
}

// ip_version 0 (the record carried no address) reads the slots as IPv4, all zero.
TEST(RecordFormatFlowTest, FlowWithoutAddressesPrintsZeros) {
  Flow flow;
  flow.ip_version = 0;
  flow.src = flow.dst = flow.next_hop = std::string(16, '\0');
  absl::StatusOr<std::vector<std::string>> lines = JsonLines(FlowBatch({flow}));
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_THAT((*lines)[0],
              HasSubstr("\"src\":\"0.0.0.0\",\"dst\":\"0.0.0.0\",\"next_hop\":\"0.0.0.0\""));
}

TEST(RecordFormatFlowTest, InconsistentColumnsAreRefusedNamingTheColumn) {
  struct Case {
    void (*damage)(v1::Batch&);
    std::string message;
  };
  const Case cases[] = {
      {[](v1::Batch& b) { b.mutable_flows()->clear_bytes(); },
       "flows.bytes has 0 entries for 2 records"},
      {[](v1::Batch& b) { b.mutable_flows()->add_enterprise_count(0); },
       "flows.enterprise_count has 3 entries for 2 records"},
      {[](v1::Batch& b) { b.mutable_flows()->mutable_dst_address()->push_back('x'); },
       "flows.dst_address has 33 bytes for 2 records"},
      {[](v1::Batch& b) { b.mutable_flows()->mutable_next_hop()->resize(16); },
       "flows.next_hop has 16 bytes for 2 records"},
      {[](v1::Batch& b) { b.mutable_flows()->set_exporter(1, 1); },
       "flows.exporter[1] is past the sources"},
  };
  for (const Case& c : cases) {
    v1::Batch batch = FlowBatch({DnsFlow(), HttpsFlow()});
    c.damage(batch);
    for (const auto& lines : {TextLines(batch), JsonLines(batch)}) {
      ASSERT_FALSE(lines.ok()) << c.message;
      EXPECT_EQ(lines.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(lines.status().message(), c.message);
    }
  }
}

}  // namespace
}  // namespace firehose::ctl
