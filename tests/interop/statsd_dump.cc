// Decodes a file of captured statsd datagrams (4-byte big-endian length, then the bytes,
// as interop_util.py writes them) with firehose's StatsdDecoder and prints one line per
// record, tab-separated, in the spelling statsd_client.py uses for what it sent:
//   name  value(%.17g)  type  sample_rate(%.9g)  gauge_delta(0/1)  set_member  tags(,)
// A summary goes to stderr; exits 1 if any line was counted as an error.
//
// Usage: statsd_dump FILE.dgrams
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "node/common/packet_meta.h"
#include "node/decode/record_sink.h"
#include "node/decode/statsd_decoder.h"

namespace {

using firehose::PacketMeta;
using firehose::decode::MetricType;
using firehose::decode::StatsdRecord;

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "c";
    case MetricType::kGauge:
      return "g";
    case MetricType::kTimer:
      return "ms";
    case MetricType::kHistogram:
      return "h";
    case MetricType::kSet:
      return "s";
    case MetricType::kDistribution:
      return "d";
  }
  return "?";
}

class PrintingSink : public firehose::decode::RecordSink {
 public:
  void AddStatsd(const StatsdRecord& r, const PacketMeta&) override {
    std::string tags;
    for (int i = 0; i < r.tag_count; ++i) {
      if (i > 0) tags += ',';
      tags.append(r.tags[i]);
    }
    std::printf("%.*s\t%.17g\t%s\t%.9g\t%d\t%.*s\t%s\n", static_cast<int>(r.name.size()),
                r.name.data(), r.value, TypeName(r.type), static_cast<double>(r.sample_rate),
                (r.flags & firehose::decode::kStatsdFlagGaugeDelta) ? 1 : 0,
                static_cast<int>(r.text.size()), r.text.data(), tags.c_str());
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: statsd_dump FILE.dgrams\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  const std::string blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  firehose::decode::StatsdDecoder decoder;
  PrintingSink sink;
  size_t pos = 0;
  int datagrams = 0;
  while (pos + 4 <= blob.size()) {
    const auto* p = reinterpret_cast<const uint8_t*>(blob.data() + pos);
    const size_t len = static_cast<size_t>(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3];
    if (pos + 4 + len > blob.size()) break;
    decoder.Decode(std::string_view(blob.data() + pos + 4, len), PacketMeta(), sink);
    pos += 4 + len;
    ++datagrams;
  }
  std::fprintf(stderr, "statsd_dump: datagrams=%d records=%llu errors=%llu\n", datagrams,
               static_cast<unsigned long long>(decoder.records()),
               static_cast<unsigned long long>(decoder.total_errors()));
  return decoder.total_errors() == 0 ? 0 : 1;
}
