// NetFlow v5: a 24-byte header and 1-30 fixed 48-byte records (Cisco's published
// format). No templates; sampling comes from the header.
#include <cstring>

#include "node/decode/netflow_decoder.h"
#include "node/decode/netflow_wire.h"

namespace firehose::decode {
namespace {

constexpr size_t kV5HeaderLen = 24;
constexpr size_t kV5RecordLen = 48;
constexpr uint16_t kV5MaxRecords = 30;  // what fits a 1500-byte packet, per Cisco

}  // namespace

void NetflowDecoder::DecodeV5(const uint8_t* p, size_t len, const PacketMeta& meta,
                              RecordSink& sink) {
  if (len < kV5HeaderLen) {
    Count(NetflowError::kTruncatedHeader);
    return;
  }
  const uint16_t count = wire::U16(p + 2);
  // The packet must hold exactly `count` records: a longer one is not v5 as any
  // exporter writes it, a shorter one lost records we cannot name.
  if (count == 0 || count > kV5MaxRecords || len != kV5HeaderLen + count * kV5RecordLen) {
    Count(NetflowError::kBadPacketLength);
    return;
  }
  const uint32_t sys_uptime = wire::U32(p + 4);
  const uint64_t export_millis =
      static_cast<uint64_t>(wire::U32(p + 8)) * 1000 + wire::U32(p + 12) / 1000000;
  const uint32_t domain = static_cast<uint32_t>(p[20]) << 8 | p[21];  // engine type, id
  // Top 2 bits: sampling mode; low 14 bits: the interval (0 = not sampled/unknown).
  const uint32_t sampling = wire::U16(p + 22) & 0x3fff;

  FlowRecord& r = record_;
  for (uint16_t i = 0; i < count; ++i) {
    const uint8_t* rec = p + kV5HeaderLen + i * kV5RecordLen;
    r = FlowRecord();
    r.version = 5;
    r.ip_version = 4;
    r.observation_domain = domain;
    r.sampling_interval = sampling;
    r.flags = kFlowFlagUptimeRelative;
    wire::MapV4(rec + 0, r.src_address);
    wire::MapV4(rec + 4, r.dst_address);
    wire::MapV4(rec + 8, r.next_hop);
    r.input_interface = wire::U16(rec + 12);
    r.output_interface = wire::U16(rec + 14);
    r.packets = wire::U32(rec + 16);
    r.bytes = wire::U32(rec + 20);
    r.start_unix_millis = wire::UptimeToUnixMillis(export_millis, sys_uptime, wire::U32(rec + 24));
    r.end_unix_millis = wire::UptimeToUnixMillis(export_millis, sys_uptime, wire::U32(rec + 28));
    r.src_port = wire::U16(rec + 32);
    r.dst_port = wire::U16(rec + 34);
    r.tcp_flags = rec[37];
    r.protocol = rec[38];
    r.tos = rec[39];
    r.src_as = wire::U16(rec + 40);
    r.dst_as = wire::U16(rec + 42);
    sink.AddFlow(r, meta);
    CountRecord();
  }
}

}  // namespace firehose::decode
