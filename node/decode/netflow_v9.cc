// NetFlow v9 (RFC 3954): a 20-byte header, then flowsets walked by the code shared with
// IPFIX in netflow_decoder.cc. The header's record count is not trusted (exporters
// disagree on whether it counts template records); set lengths are.
#include "node/decode/netflow_decoder.h"
#include "node/decode/netflow_wire.h"

namespace firehose::decode {
namespace {

constexpr size_t kV9HeaderLen = 20;

}  // namespace

void NetflowDecoder::DecodeV9(const uint8_t* p, size_t len, const PacketMeta& meta,
                              RecordSink& sink) {
  if (len < kV9HeaderLen) {
    Count(NetflowError::kTruncatedHeader);
    return;
  }
  if (len - kV9HeaderLen < 4) {  // no room for a flowset header: padding at most
    Count(NetflowError::kEmptyMessage);
    return;
  }
  Export exp;
  exp.version = 9;
  exp.sys_uptime_millis = wire::U32(p + 4);
  exp.export_unix_millis = static_cast<uint64_t>(wire::U32(p + 8)) * 1000;
  exp.domain = wire::U32(p + 16);
  SetScope(meta, &exp);
  DecodeSets(exp, p + kV9HeaderLen, p + len, meta, sink);
}

}  // namespace firehose::decode
