// IPFIX (RFC 7011): a 16-byte message header whose length must match the datagram
// (one message per UDP datagram, RFC 7011 10.3.3), then sets walked by the code shared
// with NetFlow v9 in netflow_decoder.cc.
#include "node/decode/netflow_decoder.h"
#include "node/decode/netflow_wire.h"

namespace firehose::decode {
namespace {

constexpr size_t kIpfixHeaderLen = 16;

}  // namespace

void NetflowDecoder::DecodeIpfix(const uint8_t* p, size_t len, const PacketMeta& meta,
                                 RecordSink& sink) {
  if (len < kIpfixHeaderLen) {
    Count(NetflowError::kTruncatedHeader);
    return;
  }
  if (wire::U16(p + 2) != len) {
    Count(NetflowError::kBadPacketLength);
    return;
  }
  if (len == kIpfixHeaderLen) {
    Count(NetflowError::kEmptyMessage);
    return;
  }
  Export exp;
  exp.version = 10;
  exp.export_unix_millis = static_cast<uint64_t>(wire::U32(p + 4)) * 1000;
  exp.domain = wire::U32(p + 12);
  SetScope(meta, &exp);
  DecodeSets(exp, p + kIpfixHeaderLen, p + len, meta, sink);
}

}  // namespace firehose::decode
