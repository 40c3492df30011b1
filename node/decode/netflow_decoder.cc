// NetflowDecoder: version dispatch, and what NetFlow v9 and IPFIX share — the set walk,
// template records and the mapping of information elements onto FlowRecord. The
// version-specific headers live in netflow_v5.cc, netflow_v9.cc and ipfix.cc.
#include "node/decode/netflow_decoder.h"

#include <cstring>

#include "node/decode/netflow_wire.h"

namespace firehose::decode {
namespace {

// Information element ids (IANA IPFIX registry; v9 uses the same numbers for these).
enum Element : uint16_t {
  kOctetDeltaCount = 1,
  kPacketDeltaCount = 2,
  kProtocolIdentifier = 4,
  kIpClassOfService = 5,
  kTcpControlBits = 6,
  kSourceTransportPort = 7,
  kSourceIpv4Address = 8,
  kIngressInterface = 10,
  kDestinationTransportPort = 11,
  kDestinationIpv4Address = 12,
  kEgressInterface = 14,
  kIpNextHopIpv4Address = 15,
  kBgpSourceAsNumber = 16,
  kBgpDestinationAsNumber = 17,
  kBgpNextHopIpv4Address = 18,
  kFlowEndSysUpTime = 21,
  kFlowStartSysUpTime = 22,
  kSourceIpv6Address = 27,
  kDestinationIpv6Address = 28,
  kSamplingInterval = 34,
  kSamplerRandomInterval = 50,
  kIpNextHopIpv6Address = 62,
  kBgpNextHopIpv6Address = 63,
  kOctetTotalCount = 85,
  kPacketTotalCount = 86,
  kFlowStartSeconds = 150,
  kFlowEndSeconds = 151,
  kFlowStartMilliseconds = 152,
  kFlowEndMilliseconds = 153,
  kFlowStartMicroseconds = 154,
  kFlowEndMicroseconds = 155,
  kFlowStartNanoseconds = 156,
  kFlowEndNanoseconds = 157,
  kSystemInitTimeMilliseconds = 160,
  kSamplingPacketInterval = 305,
};

constexpr size_t kSetHeaderLen = 4;
constexpr uint16_t kMinDataSetId = 256;

// Per-record facts gathered while walking fields, resolved once the record is complete
// (times need the whole record: IPFIX 21/22 are relative to element 160).
struct Pending {
  bool has_uptime_start = false;
  bool has_uptime_end = false;
  uint32_t uptime_start = 0;
  uint32_t uptime_end = 0;
  bool has_total_octets = false;
  bool has_delta_octets = false;
  bool has_total_packets = false;
  bool has_delta_packets = false;
  uint64_t total_octets = 0;
  uint64_t total_packets = 0;
  bool has_ip_next_hop = false;
  uint64_t system_init_millis = 0;
  uint32_t sampling_interval = 0;
};

void SetAddress(const uint8_t* v, uint16_t len, uint8_t* out16, uint8_t* ip_version) {
  if (len == 4) {
    wire::MapV4(v, out16);
    if (*ip_version == 0) *ip_version = 4;
  } else if (len == 16) {
    std::memcpy(out16, v, 16);
    *ip_version = 6;
  }
  // Other lengths are malformed templates for this element: ignored, not guessed.
}

// Applies one IANA element to the record. Unknown elements are skipped.
void ApplyElement(uint16_t id, const uint8_t* v, uint16_t len, FlowRecord* r,
                  Pending* pend) {
  const uint64_t n = wire::Uint(v, len);
  switch (id) {
    case kOctetDeltaCount:
      r->bytes = n;
      pend->has_delta_octets = true;
      break;
    case kPacketDeltaCount:
      r->packets = n;
      pend->has_delta_packets = true;
      break;
    case kOctetTotalCount:
      pend->total_octets = n;
      pend->has_total_octets = true;
      break;
    case kPacketTotalCount:
      pend->total_packets = n;
      pend->has_total_packets = true;
      break;
    case kProtocolIdentifier:
      r->protocol = static_cast<uint8_t>(n);
      break;
    case kIpClassOfService:
      r->tos = static_cast<uint8_t>(n);
      break;
    case kTcpControlBits:
      // RFC 7011 widened this to 16 bits; the classic flags are the low byte.
      r->tcp_flags = static_cast<uint8_t>(n);
      break;
    case kSourceTransportPort:
      r->src_port = static_cast<uint16_t>(n);
      break;
    case kDestinationTransportPort:
      r->dst_port = static_cast<uint16_t>(n);
      break;
    case kSourceIpv4Address:
    case kSourceIpv6Address:
      SetAddress(v, len, r->src_address, &r->ip_version);
      break;
    case kDestinationIpv4Address:
    case kDestinationIpv6Address:
      SetAddress(v, len, r->dst_address, &r->ip_version);
      break;
    case kIpNextHopIpv4Address:
    case kIpNextHopIpv6Address:
      if (len == 4) wire::MapV4(v, r->next_hop);
      if (len == 16) std::memcpy(r->next_hop, v, 16);
      pend->has_ip_next_hop = true;
      break;
    case kBgpNextHopIpv4Address:
    case kBgpNextHopIpv6Address:
      // Only when no IP next hop is (or will be) present: the IP next hop wins.
      if (!pend->has_ip_next_hop) {
        if (len == 4) wire::MapV4(v, r->next_hop);
        if (len == 16) std::memcpy(r->next_hop, v, 16);
      }
      break;
    case kIngressInterface:
      r->input_interface = static_cast<uint32_t>(n);
      break;
    case kEgressInterface:
      r->output_interface = static_cast<uint32_t>(n);
      break;
    case kBgpSourceAsNumber:
      r->src_as = static_cast<uint32_t>(n);
      break;
    case kBgpDestinationAsNumber:
      r->dst_as = static_cast<uint32_t>(n);
      break;
    case kFlowStartSysUpTime:
      pend->has_uptime_start = true;
      pend->uptime_start = static_cast<uint32_t>(n);
      break;
    case kFlowEndSysUpTime:
      pend->has_uptime_end = true;
      pend->uptime_end = static_cast<uint32_t>(n);
      break;
    case kFlowStartSeconds:
      r->start_unix_millis = n * 1000;
      break;
    case kFlowEndSeconds:
      r->end_unix_millis = n * 1000;
      break;
    case kFlowStartMilliseconds:
      r->start_unix_millis = n;
      break;
    case kFlowEndMilliseconds:
      r->end_unix_millis = n;
      break;
    case kFlowStartMicroseconds:
    case kFlowStartNanoseconds:
      if (len == 8) r->start_unix_millis = wire::NtpToUnixMillis(n);
      break;
    case kFlowEndMicroseconds:
    case kFlowEndNanoseconds:
      if (len == 8) r->end_unix_millis = wire::NtpToUnixMillis(n);
      break;
    case kSamplingInterval:
    case kSamplerRandomInterval:
    case kSamplingPacketInterval:
      pend->sampling_interval = static_cast<uint32_t>(n);
      break;
    case kSystemInitTimeMilliseconds:
      pend->system_init_millis = n;
      break;
    default:
      break;
  }
}

}  // namespace

NetflowDecoder::NetflowDecoder(uint32_t template_capacity)
    : Decoder(kNetflowErrorNames), cache_(template_capacity) {}

void NetflowDecoder::Decode(std::string_view payload, const PacketMeta& meta,
                            RecordSink& sink) {
  const auto* p = reinterpret_cast<const uint8_t*>(payload.data());
  if (payload.size() < 2) {
    Count(NetflowError::kTruncatedHeader);
    return;
  }
  switch (wire::U16(p)) {
    case 5:
      DecodeV5(p, payload.size(), meta, sink);
      return;
    case 9:
      DecodeV9(p, payload.size(), meta, sink);
      return;
    case 10:
      DecodeIpfix(p, payload.size(), meta, sink);
      return;
    default:
      Count(NetflowError::kUnsupportedVersion);
      return;
  }
}

void NetflowDecoder::SetScope(const PacketMeta& meta, Export* exp) {
  exp->scope = FlowTemplateKey();
  exp->scope.exporter_len = meta.source_address_len <= 16 ? meta.source_address_len : 16;
  std::memcpy(exp->scope.exporter, meta.source_address, exp->scope.exporter_len);
  exp->scope.version = exp->version;
  exp->scope.domain = exp->domain;
}

void NetflowDecoder::DecodeSets(const Export& exp, const uint8_t* p, const uint8_t* end,
                                const PacketMeta& meta, RecordSink& sink) {
  // v9 template/options set ids are 0/1, IPFIX's 2/3; both put data at >= 256.
  const uint16_t template_set = exp.version == 9 ? 0 : 2;
  const uint16_t options_set = exp.version == 9 ? 1 : 3;
  while (p < end) {
    if (end - p < static_cast<ptrdiff_t>(kSetHeaderLen)) {
      // v9 exporters may pad the packet to a 4-byte boundary after the last set.
      if (exp.version == 9) return;
      Count(NetflowError::kBadSetLength);
      return;
    }
    const uint16_t set_id = wire::U16(p);
    const uint16_t set_len = wire::U16(p + 2);
    if (set_len < kSetHeaderLen || set_len > end - p) {
      Count(NetflowError::kBadSetLength);
      return;
    }
    const uint8_t* body = p + kSetHeaderLen;
    const uint8_t* set_end = p + set_len;
    p = set_end;
    if (set_id == template_set || set_id == options_set) {
      if (DecodeTemplateSet(exp, set_id == options_set, body, set_end) == 0) {
        Count(NetflowError::kEmptySet);
      }
    } else if (set_id >= kMinDataSetId) {
      FlowTemplateKey key = exp.scope;
      key.template_id = set_id;
      const FlowTemplate* tmpl = cache_.Find(key);
      if (tmpl == nullptr) {
        Count(NetflowError::kTemplateMissing);
      } else if (DecodeDataSet(exp, *tmpl, body, set_end, meta, sink) == 0) {
        Count(NetflowError::kEmptySet);
      }
    } else {
      Count(NetflowError::kReservedSetId);
    }
  }
}

int NetflowDecoder::DecodeTemplateSet(const Export& exp, bool options, const uint8_t* p,
                                      const uint8_t* end) {
  int units = 0;
  const bool ipfix = exp.version == 10;
  // Each record starts with a template id and a field count (IPFIX) or, for v9 options
  // templates, the byte lengths of the scope and option field lists. Fewer than 4 bytes
  // left is set padding (RFC 7011 3.3.1, RFC 3954 5.3).
  while (end - p >= 4) {
    FlowTemplate& t = scratch_template_;
    t.key = exp.scope;
    t.key.template_id = wire::U16(p);
    t.options = options;
    uint32_t field_count = wire::U16(p + 2);
    uint32_t scope_count = 0;

    if (ipfix && field_count == 0) {
      // Withdrawal (RFC 7011 8.1): 4 bytes, also in an options template set. Template
      // id 2 or 3 (the set id) withdraws all templates of that kind.
      p += 4;
      if (t.key.template_id == 2 || t.key.template_id == 3) {
        cache_.WithdrawAll(t.key, t.key.template_id == 3);
      } else if (t.key.template_id >= kMinDataSetId) {
        cache_.Withdraw(t.key);
      } else {
        Count(NetflowError::kBadTemplate);
        return units + 1;
      }
      templates_withdrawn_.Increment();
      ++units;
      continue;
    }
    if (options) {
      if (end - p < 6) {
        Count(NetflowError::kBadTemplate);
        return units + 1;
      }
      if (ipfix) {
        scope_count = wire::U16(p + 4);
      } else {
        const uint16_t scope_bytes = wire::U16(p + 2);
        const uint16_t option_bytes = wire::U16(p + 4);
        if (scope_bytes % 4 != 0 || option_bytes % 4 != 0) {
          Count(NetflowError::kBadTemplate);
          return units + 1;
        }
        scope_count = scope_bytes / 4u;
        field_count = scope_count + option_bytes / 4u;
      }
      p += 6;
    } else {
      p += 4;
    }
    if (t.key.template_id < kMinDataSetId || field_count == 0 ||
        field_count > static_cast<uint32_t>(kMaxTemplateFields) ||
        scope_count > field_count || (options && ipfix && scope_count == 0)) {
      Count(NetflowError::kBadTemplate);
      return units + 1;
    }
    t.field_count = static_cast<uint16_t>(field_count);
    t.scope_count = static_cast<uint16_t>(scope_count);
    t.min_record_length = 0;
    for (uint32_t f = 0; f < field_count; ++f) {
      if (end - p < 4) {
        Count(NetflowError::kBadTemplate);
        return units + 1;
      }
      FlowFieldSpec& spec = t.fields[f];
      spec.id = wire::U16(p);
      spec.length = wire::U16(p + 2);
      spec.enterprise = 0;
      p += 4;
      if (ipfix && (spec.id & 0x8000)) {
        if (end - p < 4) {
          Count(NetflowError::kBadTemplate);
          return units + 1;
        }
        spec.id &= 0x7fff;
        spec.enterprise = wire::U32(p);
        p += 4;
      }
      // Zero-length fields would let a data set hold infinitely many records; v9 has no
      // variable length, so 65535 there is a (silly but legal) fixed length.
      if (spec.length == 0) {
        Count(NetflowError::kBadTemplate);
        return units + 1;
      }
      const bool variable = ipfix && spec.length == kVariableFieldLength;
      t.min_record_length += variable ? 1 : spec.length;
    }
    // Records must have a size; a v9 template of only 65535-byte fields is useless but
    // harmless (no record fits a UDP packet), so keep the bound check simple.
    if (!cache_.Put(t)) {
      Count(NetflowError::kTemplateCacheFull);
      return units + 1;
    }
    templates_learned_.Increment();
    ++units;
  }
  // Fewer bytes than a record header left: set padding (RFC 7011 3.3.1).
  return units;
}

int NetflowDecoder::DecodeDataSet(const Export& exp, const FlowTemplate& tmpl,
                                  const uint8_t* p, const uint8_t* end,
                                  const PacketMeta& meta, RecordSink& sink) {
  int units = 0;
  while (end - p > 0) {
    if (static_cast<size_t>(end - p) < tmpl.min_record_length) {
      // Shorter than the smallest record: padding if it is all zeros and shorter than
      // 4 bytes-aligned filler could be, else a record cut short.
      bool zeros = true;
      for (const uint8_t* q = p; q < end; ++q) zeros &= *q == 0;
      if (zeros) return units;
      Count(NetflowError::kTruncatedRecord);
      return units + 1;
    }
    const size_t used = DecodeDataRecord(exp, tmpl, p, end);
    if (used == 0) {
      Count(NetflowError::kTruncatedRecord);
      return units + 1;
    }
    p += used;
    ++units;
    if (tmpl.options) {
      options_records_.Increment();
    } else {
      sink.AddFlow(record_, meta);
      CountRecord();
    }
  }
  return units;
}

size_t NetflowDecoder::DecodeDataRecord(const Export& exp, const FlowTemplate& tmpl,
                                        const uint8_t* p, const uint8_t* end) {
  const uint8_t* const start = p;
  const bool ipfix = exp.version == 10;
  Pending pend;
  FlowRecord& r = record_;
  if (!tmpl.options) {
    r = FlowRecord();
    r.version = exp.version;
    r.observation_domain = exp.domain;
  }
  for (int f = 0; f < tmpl.field_count; ++f) {
    const FlowFieldSpec& spec = tmpl.fields[f];
    size_t len = spec.length;
    if (ipfix && spec.length == kVariableFieldLength) {
      // RFC 7011 7: one length byte, or 255 followed by a two-byte length.
      if (end - p < 1) return 0;
      len = *p++;
      if (len == 255) {
        if (end - p < 2) return 0;
        len = wire::U16(p);
        p += 2;
      }
    }
    if (static_cast<size_t>(end - p) < len) return 0;
    const uint8_t* value = p;
    p += len;
    if (spec.enterprise != 0) {
      if (tmpl.options) continue;
      if (r.enterprise_count == kMaxFlowEnterpriseFields) {
        r.flags |= kFlowFlagEnterpriseTruncated;
        continue;
      }
      FlowEnterpriseField& e = r.enterprise[r.enterprise_count++];
      e.enterprise = spec.enterprise;
      e.element = spec.id;
      e.value = std::string_view(reinterpret_cast<const char*>(value), len);
      continue;
    }
    if (tmpl.options) {
      // Options records only matter for what they say about the exporter; scope fields
      // (which sampler, which interface) are not distinguished.
      ApplyElement(spec.id, value, static_cast<uint16_t>(len), &options_scratch_, &pend);
      continue;
    }
    ApplyElement(spec.id, value, static_cast<uint16_t>(len), &r, &pend);
  }

  if (tmpl.options) {
    if (pend.sampling_interval != 0 || pend.system_init_millis != 0) {
      ExporterState& state = cache_.State(exp.scope);
      if (pend.sampling_interval != 0) state.sampling_interval = pend.sampling_interval;
      if (pend.system_init_millis != 0) {
        state.system_init_unix_millis = pend.system_init_millis;
      }
    }
    return static_cast<size_t>(p - start);
  }

  // Totals stand in for deltas only when the exporter sends no deltas.
  if (!pend.has_delta_octets && pend.has_total_octets) r.bytes = pend.total_octets;
  if (!pend.has_delta_packets && pend.has_total_packets) r.packets = pend.total_packets;

  const ExporterState* state =
      (pend.sampling_interval == 0 || pend.has_uptime_start || pend.has_uptime_end)
          ? cache_.FindState(exp.scope)
          : nullptr;
  r.sampling_interval = pend.sampling_interval;
  if (r.sampling_interval == 0 && state != nullptr) {
    r.sampling_interval = state->sampling_interval;
  }
  if (pend.has_uptime_start || pend.has_uptime_end) {
    if (!ipfix) {
      if (pend.has_uptime_start) {
        r.start_unix_millis = wire::UptimeToUnixMillis(exp.export_unix_millis,
                                                       exp.sys_uptime_millis, pend.uptime_start);
      }
      if (pend.has_uptime_end) {
        r.end_unix_millis = wire::UptimeToUnixMillis(exp.export_unix_millis,
                                                     exp.sys_uptime_millis, pend.uptime_end);
      }
      r.flags |= kFlowFlagUptimeRelative;
    } else {
      // IPFIX 21/22 count from systemInitTimeMilliseconds (element 160), in the record
      // or from an options record; without it the times stay unknown.
      uint64_t init = pend.system_init_millis;
      if (init == 0 && state != nullptr) init = state->system_init_unix_millis;
      if (init != 0) {
        if (pend.has_uptime_start) r.start_unix_millis = init + pend.uptime_start;
        if (pend.has_uptime_end) r.end_unix_millis = init + pend.uptime_end;
        r.flags |= kFlowFlagUptimeRelative;
      }
    }
  }
  return static_cast<size_t>(p - start);
}

}  // namespace firehose::decode
