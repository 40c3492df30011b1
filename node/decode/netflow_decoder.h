// Decoder for NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export packets,
// registered as "netflow": one UDP port can take all three, told apart by the version
// field every header starts with (routers commonly export several versions to one
// collector port, and nfacctd/nfcapd work the same way).
//
// Files: netflow_v5.cc (fixed 48-byte records), netflow_v9.cc and ipfix.cc (headers and
// set walks), netflow_decoder.cc (dispatch, template records, data records -> FlowRecord).
//
// What is decoded into FlowRecord: see record_sink.h and FlowColumns in ingest.proto.
// Templates and options templates are cached per (exporter address, version, domain /
// source id, template id) in a FlowTemplateCache; options data records update the
// exporter's sampling interval (elements 34, 50, 305) and system init time (160) and are
// not flows. IPFIX template withdrawal (field count 0; set id 2/3 as template id for
// "all") is honoured; v9 has none, templates are replaced when re-sent. Variable-length
// IPFIX fields are supported; enterprise-specific fields are kept raw (up to
// kMaxFlowEnterpriseFields per record). Unknown IANA elements are skipped by length.
//
// Accounting invariant (checked by the fuzz target and the unit tests): every packet
// moves at least one counter, and each unit of the packet is counted exactly once:
//   - the packet, when its header is unusable or it has no set: exactly one of
//     truncated_header, unsupported_version, bad_packet_length, empty_message; nothing
//     else is counted.
//   - otherwise each set (v9 flowset): reserved_set_id or bad_set_length for the set
//     (bad_set_length ends the packet: the next set cannot be found), or
//       template sets: each template record adds to templates_learned() or
//         templates_withdrawn(), or is bad_template / template_cache_full, which ends
//         the set (the next record's start is unknown);
//       data sets: template_missing once for the set (its records cannot be split), or
//         each record becomes one flow record (records()) or one options record
//         (options_records()); a record cut short by the set's end is truncated_record,
//         once, and ends the set. Padding after the last record is not a unit;
//       a set holding no record at all (only padding) is one empty_set.
// v5: each of the header's `count` records becomes one flow record; a packet whose
// length does not match count (1..30) is one bad_packet_length.
//
// Data path: no allocation, locks or syscalls; the cache and the record scratch are
// allocated in the constructor.
#ifndef FIREHOSE_NODE_DECODE_NETFLOW_DECODER_H_
#define FIREHOSE_NODE_DECODE_NETFLOW_DECODER_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "node/common/packet_meta.h"
#include "node/common/relaxed_counter.h"
#include "node/decode/decoder.h"
#include "node/decode/flow_template_cache.h"
#include "node/decode/record_sink.h"

namespace firehose::decode {

enum class NetflowError : uint8_t {
  kTruncatedHeader,
  kUnsupportedVersion,
  kBadPacketLength,
  kEmptyMessage,
  kBadSetLength,
  kReservedSetId,
  kEmptySet,
  kBadTemplate,
  kTemplateCacheFull,
  kTemplateMissing,
  kTruncatedRecord,
  kCount,
};

inline constexpr int kNetflowErrorCount = static_cast<int>(NetflowError::kCount);

inline constexpr std::array<std::string_view, kNetflowErrorCount> kNetflowErrorNames = {
    "truncated_header", "unsupported_version", "bad_packet_length", "empty_message",
    "bad_set_length",   "reserved_set_id",     "empty_set",         "bad_template",
    "template_cache_full", "template_missing", "truncated_record",
};

class NetflowDecoder final : public Decoder {
 public:
  explicit NetflowDecoder(uint32_t template_capacity = FlowTemplateCache::kDefaultCapacity);

  void Decode(std::string_view payload, const PacketMeta& meta, RecordSink& sink) override;
  std::string_view name() const override { return "netflow"; }

  using Decoder::errors;
  uint64_t errors(NetflowError reason) const {
    return Decoder::errors(static_cast<int>(reason));
  }
  // Non-error units: template records learned or replaced, templates withdrawn, and
  // options data records consumed.
  uint64_t templates_learned() const { return templates_learned_.Get(); }
  uint64_t templates_withdrawn() const { return templates_withdrawn_.Get(); }
  uint64_t options_records() const { return options_records_.Get(); }

  // The template cache as bytes and back (see FlowTemplateCache::Export). The failover
  // path exports from the active and imports on the standby; run on the worker's thread
  // or while it is stopped.
  std::string ExportTemplates() const { return cache_.Export(); }
  absl::Status ImportTemplates(std::string_view bytes) { return cache_.Import(bytes); }
  const FlowTemplateCache& cache() const { return cache_; }

 private:
  // Per-packet context shared by the v9 and IPFIX paths.
  struct Export {
    uint8_t version = 0;
    uint32_t domain = 0;
    uint64_t export_unix_millis = 0;
    uint32_t sys_uptime_millis = 0;  // v9 only
    FlowTemplateKey scope;           // exporter + version + domain, template_id 0
  };

  // Fills exp->scope from the sender address, exp->version and exp->domain.
  static void SetScope(const PacketMeta& meta, Export* exp);

  void DecodeV5(const uint8_t* p, size_t len, const PacketMeta& meta, RecordSink& sink);
  void DecodeV9(const uint8_t* p, size_t len, const PacketMeta& meta, RecordSink& sink);
  void DecodeIpfix(const uint8_t* p, size_t len, const PacketMeta& meta, RecordSink& sink);

  // Walks the sets of a v9/IPFIX message body; [p, end) holds whole sets.
  void DecodeSets(const Export& exp, const uint8_t* p, const uint8_t* end,
                  const PacketMeta& meta, RecordSink& sink);
  // Both return how many units (records, templates, errors) they counted.
  int DecodeTemplateSet(const Export& exp, bool options, const uint8_t* p,
                        const uint8_t* end);
  int DecodeDataSet(const Export& exp, const FlowTemplate& tmpl, const uint8_t* p,
                     const uint8_t* end, const PacketMeta& meta, RecordSink& sink);
  // Parses one data record of `tmpl` at [p, end). Returns its length, or 0 when it
  // runs past `end`. Fills record_ (flows) or updates exporter state (options).
  size_t DecodeDataRecord(const Export& exp, const FlowTemplate& tmpl, const uint8_t* p,
                          const uint8_t* end);

  void Count(NetflowError reason) { CountError(static_cast<int>(reason)); }

  FlowTemplateCache cache_;
  FlowRecord record_;           // scratch, reused per flow record
  FlowRecord options_scratch_;  // sink for elements of options records (discarded)
  FlowTemplate scratch_template_;
  RelaxedCounter templates_learned_;
  RelaxedCounter templates_withdrawn_;
  RelaxedCounter options_records_;
};

}  // namespace firehose::decode

#endif  // FIREHOSE_NODE_DECODE_NETFLOW_DECODER_H_
