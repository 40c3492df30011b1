// Decodes a file of captured NetFlow/IPFIX datagrams (4-byte big-endian length, then the
// bytes, as tests/interop/interop_util.py writes them) with firehose's NetflowDecoder and
// prints one CSV row per flow in the column order and spelling of pmacct's nfacctd
// print plugin (csv), so the interop test can compare the two decoders line by line:
//   SRC_AS,DST_AS,PEER_SRC_IP,IN_IFACE,OUT_IFACE,SRC_IP,DST_IP,SRC_PORT,DST_PORT,
//   TCP_FLAGS,PROTOCOL,TOS,TIMESTAMP_START,TIMESTAMP_END,PACKETS,BYTES
// A summary (records, each non-zero error reason, templates) goes to stderr.
//
// Usage: flow_dump FILE.dgrams [--exporter=127.0.0.1]
#include <arpa/inet.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "node/common/packet_meta.h"
#include "node/decode/netflow_decoder.h"
#include "node/decode/record_sink.h"

namespace {

using firehose::PacketMeta;
using firehose::decode::FlowRecord;

std::string Address(const uint8_t* a16, int ip_version) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ip_version == 6) {
    inet_ntop(AF_INET6, a16, buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET, a16 + 12, buf, sizeof(buf));
  }
  return buf;
}

std::string Protocol(uint8_t p) {
  switch (p) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 58:
      return "ipv6-icmp";
    default:
      return std::to_string(p);
  }
}

std::string Seconds(uint64_t millis) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%llu.%06llu", static_cast<unsigned long long>(millis / 1000),
                static_cast<unsigned long long>(millis % 1000 * 1000));
  return buf;
}

class CsvSink : public firehose::decode::RecordSink {
 public:
  void AddStatsd(const firehose::decode::StatsdRecord&, const PacketMeta&) override {}
  void AddFlow(const FlowRecord& r, const PacketMeta& meta) override {
    char peer[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, meta.source_address, peer, sizeof(peer));
    std::printf("%u,%u,%s,%u,%u,%s,%s,%u,%u,%u,%s,%u,%s,%s,%llu,%llu\n", r.src_as, r.dst_as,
                peer, r.input_interface, r.output_interface,
                Address(r.src_address, r.ip_version).c_str(),
                Address(r.dst_address, r.ip_version).c_str(), r.src_port, r.dst_port,
                r.tcp_flags, Protocol(r.protocol).c_str(), r.tos,
                Seconds(r.start_unix_millis).c_str(), Seconds(r.end_unix_millis).c_str(),
                static_cast<unsigned long long>(r.packets),
                static_cast<unsigned long long>(r.bytes));
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: flow_dump FILE.dgrams\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "flow_dump: cannot read %s\n", argv[1]);
    return 2;
  }
  const std::string blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  firehose::decode::NetflowDecoder decoder;
  PacketMeta meta;
  meta.source_address_len = 4;
  meta.source_address[0] = 127;
  meta.source_address[3] = 1;
  CsvSink sink;
  size_t pos = 0;
  int datagrams = 0;
  while (pos + 4 <= blob.size()) {
    const auto* p = reinterpret_cast<const uint8_t*>(blob.data() + pos);
    const size_t len = static_cast<size_t>(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3];
    if (pos + 4 + len > blob.size()) break;
    decoder.Decode(std::string_view(blob.data() + pos + 4, len), meta, sink);
    pos += 4 + len;
    ++datagrams;
  }
  std::fprintf(stderr, "flow_dump: datagrams=%d records=%llu templates=%llu options=%llu",
               datagrams, static_cast<unsigned long long>(decoder.records()),
               static_cast<unsigned long long>(decoder.templates_learned()),
               static_cast<unsigned long long>(decoder.options_records()));
  for (int i = 0; i < decoder.error_reason_count(); ++i) {
    if (decoder.errors(i) != 0) {
      std::fprintf(stderr, " %s=%llu", std::string(decoder.error_reason_name(i)).c_str(),
                   static_cast<unsigned long long>(decoder.errors(i)));
    }
  }
  std::fprintf(stderr, "\n");
  return decoder.total_errors() == 0 ? 0 : 1;
}
