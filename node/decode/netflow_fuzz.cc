// libFuzzer entry point for NetflowDecoder (v5, v9, IPFIX): any byte string is a UDP
// payload. One decoder lives for the whole run, as on a worker, so templates learned
// from one input steer the next (that is where cache bugs hide); the sender address is
// taken from the input's length so several exporters share the cache.
//
// Aborts (a finding) when: a packet moves no counter; the records the sink saw differ
// from records(); a record breaks its guarantees (version, ip_version, enterprise
// count, enterprise values inside the payload); or the template cache does not survive
// an export/import round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "node/common/packet_meta.h"
#include "node/decode/netflow_decoder.h"
#include "node/decode/record_sink.h"

namespace {

using firehose::PacketMeta;
using firehose::decode::FlowRecord;
using firehose::decode::NetflowDecoder;
using firehose::decode::RecordSink;
using firehose::decode::StatsdRecord;

class CheckingSink : public RecordSink {
 public:
  explicit CheckingSink(std::string_view payload) : payload_(payload) {}
  void AddStatsd(const StatsdRecord&, const PacketMeta&) override { std::abort(); }
  void AddFlow(const FlowRecord& r, const PacketMeta&) override {
    ++records_;
    if (r.version != 5 && r.version != 9 && r.version != 10) std::abort();
    if (r.ip_version != 0 && r.ip_version != 4 && r.ip_version != 6) std::abort();
    if (r.enterprise_count < 0 ||
        r.enterprise_count > firehose::decode::kMaxFlowEnterpriseFields) {
      std::abort();
    }
    for (int i = 0; i < r.enterprise_count; ++i) {
      const std::string_view v = r.enterprise[i].value;
      if (v.data() < payload_.data() ||
          v.data() + v.size() > payload_.data() + payload_.size()) {
        std::abort();
      }
      if (r.enterprise[i].enterprise == 0) std::abort();
    }
  }
  uint64_t records() const { return records_; }

 private:
  std::string_view payload_;
  uint64_t records_ = 0;
};

uint64_t Units(const NetflowDecoder& d) {
  return d.records() + d.total_errors() + d.templates_learned() + d.templates_withdrawn() +
         d.options_records();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Small capacity so the fuzzer also reaches template_cache_full.
  static NetflowDecoder decoder(/*template_capacity=*/64);
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  PacketMeta meta;
  meta.source_address_len = 4;
  meta.source_address[0] = 192;
  meta.source_address[3] = static_cast<uint8_t>(size % 3);
  const uint64_t records_before = decoder.records();
  const uint64_t units_before = Units(decoder);

  CheckingSink sink(payload);
  decoder.Decode(payload, meta, sink);

  if (decoder.records() - records_before != sink.records()) std::abort();
  if (Units(decoder) == units_before) std::abort();

  if (size % 61 == 0) {
    const std::string exported = decoder.ExportTemplates();
    NetflowDecoder copy(64);
    if (!copy.ImportTemplates(exported).ok()) std::abort();
    if (copy.cache().size() != decoder.cache().size()) std::abort();
  }
  return 0;
}
