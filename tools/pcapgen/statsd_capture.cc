// StatsdCaptureGenerator: a seeded name population, then one packet of statsd lines
// per Next() call, wrapped in Ethernet/IPv4/UDP by FrameBuilder.
#include "tools/pcapgen/statsd_capture.h"

#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/pcapgen/frame_builder.h"

namespace firehose::pcapgen {
namespace {

constexpr std::array<const char*, 12> kPrefixes = {"api",     "web",     "db",      "cache",
                                                   "queue",   "auth",    "billing", "search",
                                                   "storage", "gateway", "worker",  "cdn"};
constexpr std::array<const char*, 12> kAreas = {
    "http.request", "http.response", "api",  "query", "pool", "job",
    "session",      "rpc",           "disk", "net",   "gc",   "kafka.consumer"};
constexpr std::array<const char*, 11> kMetrics = {"duration", "requests.count", "bytes",  "errors",
                                                  "latency",  "size",           "active", "retries",
                                                  "hits",     "misses",         "lag"};
constexpr std::array<const char*, 7> kStats = {"p50", "p95", "p99", "avg", "max", "min", "count"};
constexpr std::array<const char*, 3> kEnvs = {"prod", "staging", "dev"};
constexpr std::array<const char*, 4> kRegions = {"eu-west-1", "us-east-1", "ap-south-1",
                                                 "us-west-2"};
constexpr std::array<const char*, 3> kZones = {"a", "b", "c"};
constexpr std::array<const char*, 3> kSampleRates = {"0.5", "0.25", "0.1"};
constexpr int kTagKinds = 6;  // env, service, region, host, version, az

struct Source {
  MacAddress mac;
  Ipv4Address ip;
  uint16_t port;
};
constexpr std::array<Source, 4> kSources = {{
    {{0x02, 0, 0, 0x01, 0, 0x11}, {10, 1, 0, 11}, 40001},
    {{0x02, 0, 0, 0x01, 0, 0x12}, {10, 1, 0, 12}, 40002},
    {{0x02, 0, 0, 0x01, 0, 0x13}, {10, 1, 0, 13}, 40003},
    {{0x02, 0, 0, 0x01, 0, 0x14}, {10, 1, 0, 14}, 40004},
}};
constexpr MacAddress kNodeMac = {0x02, 0, 0, 0x02, 0, 0x01};
constexpr Ipv4Address kNodeIp = {10, 0, 1, 1};

// Longest line Line() can produce, with margin: name <= ~70, value <= 12, rate,
// 4 tags <= ~80.
constexpr size_t kMaxLineLen = 256;

}  // namespace

absl::StatusOr<StatsdCaptureGenerator> StatsdCaptureGenerator::Create(
    const StatsdCaptureOptions& options) {
  if (options.packets < 0) return absl::InvalidArgumentError("packets must be >= 0");
  if (options.names <= 0) return absl::InvalidArgumentError("names must be > 0");
  if (options.lines_per_packet <= 0) {
    return absl::InvalidArgumentError("lines_per_packet must be > 0");
  }
  if (options.max_payload < kMaxLineLen || options.max_payload > 65507) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_payload must be in [", kMaxLineLen, ", 65507]"));
  }
  return StatsdCaptureGenerator(options);
}

StatsdCaptureGenerator::StatsdCaptureGenerator(const StatsdCaptureOptions& options)
    : options_(options), state_(options.seed) {
  names_.reserve(options.names);
  types_.reserve(options.names);
  for (int i = 0; i < options.names; ++i) {
    const char* prefix = kPrefixes[Uniform(kPrefixes.size())];
    const char* area = kAreas[Uniform(kAreas.size())];
    const char* metric = kMetrics[Uniform(kMetrics.size())];
    // The index suffix keeps names distinct however the words fall.
    if (Uniform(2) == 0) {
      names_.push_back(absl::StrCat(prefix, ".", area, ".", metric, ".",
                                    kStats[Uniform(kStats.size())], ".service_", i));
    } else {
      names_.push_back(absl::StrCat(prefix, ".", area, ".", metric, "_", i));
    }
    const uint64_t pick = Uniform(100);
    types_.push_back(pick < 35   ? 'c'
                     : pick < 55 ? 'm'
                     : pick < 70 ? 'g'
                     : pick < 80 ? 'h'
                     : pick < 90 ? 'd'
                                 : 's');
  }
}

uint64_t StatsdCaptureGenerator::Random() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t StatsdCaptureGenerator::Uniform(uint64_t bound) { return Random() % bound; }

std::string StatsdCaptureGenerator::Line() {
  const size_t index = Uniform(names_.size());
  const char type = types_[index];
  std::string line = absl::StrCat(names_[index], ":");
  bool sampled = false;
  switch (type) {
    case 'c':
      absl::StrAppend(&line, Uniform(10) < 7 ? 1 : 1 + Uniform(100), "|c");
      sampled = Uniform(100) < 15;
      break;
    case 'm':
      absl::StrAppend(&line, absl::StrFormat("%.3f", Uniform(2'000'000) / 1000.0), "|ms");
      sampled = Uniform(100) < 15;
      break;
    case 'g':
      if (Uniform(10) == 0) {
        absl::StrAppend(&line, Uniform(2) ? "+" : "-", 1 + Uniform(20), "|g");
      } else {
        absl::StrAppend(&line, absl::StrFormat("%.1f", Uniform(100'000) / 10.0), "|g");
      }
      break;
    case 'h':
    case 'd':
      absl::StrAppend(&line, absl::StrFormat("%.2f", Uniform(500'000) / 100.0),
                      type == 'h' ? "|h" : "|d");
      sampled = Uniform(100) < 15;
      break;
    default:  // 's'
      absl::StrAppend(&line, "user_", Uniform(10'000), "|s");
      break;
  }
  if (sampled) absl::StrAppend(&line, "|@", kSampleRates[Uniform(kSampleRates.size())]);
  if (Uniform(100) < 80) {
    const uint64_t tag_count = 1 + Uniform(4);
    const uint64_t first_kind = Uniform(kTagKinds);
    line += "|#";
    for (uint64_t t = 0; t < tag_count; ++t) {
      if (t > 0) line += ',';
      switch ((first_kind + t) % kTagKinds) {
        case 0:
          absl::StrAppend(&line, "env:", kEnvs[Uniform(kEnvs.size())]);
          break;
        case 1:
          absl::StrAppend(&line, "service:api-", Uniform(16));
          break;
        case 2:
          absl::StrAppend(&line, "region:", kRegions[Uniform(kRegions.size())]);
          break;
        case 3:
          absl::StrAppend(&line, "host:web-", Uniform(64));
          break;
        case 4:
          absl::StrAppend(&line, "version:1.", Uniform(10), ".", Uniform(21));
          break;
        default:
          absl::StrAppend(&line, "az:", kZones[Uniform(kZones.size())]);
          break;
      }
    }
  }
  return line;
}

StatsdPacket StatsdCaptureGenerator::Next() {
  StatsdPacket packet;
  packet.unix_nanos = options_.start_unix_nanos + packet_index_ * options_.interval_nanos;
  for (int i = 0; i < options_.lines_per_packet; ++i) {
    std::string line = Line();
    const size_t grown = packet.payload.size() + (i > 0 ? 1 : 0) + line.size();
    if (i > 0 && grown > options_.max_payload) break;
    if (i > 0) packet.payload += '\n';
    packet.payload += line;
    ++packet.lines;
  }
  const Source& source = kSources[Uniform(kSources.size())];
  packet.frame = FrameBuilder()
                     .SourceMac(source.mac)
                     .DestinationMac(kNodeMac)
                     .Ipv4(source.ip, kNodeIp)
                     .Ports(source.port, options_.dst_port)
                     .Identification(static_cast<uint16_t>(packet_index_))
                     .DontFragment(true)  // as Linux sends UDP below the path MTU
                     .Payload(packet.payload)
                     .Build();
  ++packet_index_;
  return packet;
}

absl::StatusOr<std::vector<std::string>> StatsdCapturePayloads(
    const StatsdCaptureOptions& options) {
  absl::StatusOr<StatsdCaptureGenerator> generator = StatsdCaptureGenerator::Create(options);
  if (!generator.ok()) return generator.status();
  std::vector<std::string> payloads;
  payloads.reserve(static_cast<size_t>(options.packets));
  for (int64_t i = 0; i < options.packets; ++i) payloads.push_back(generator->Next().payload);
  return payloads;
}

}  // namespace firehose::pcapgen
