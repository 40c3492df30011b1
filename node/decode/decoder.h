// The one interface every wire format's decoder implements, and the counters every
// decoder keeps.
//
// A worker (lcore or socket thread) owns one Decoder per format and calls Decode once
// per UDP payload. Decoders read the payload in place and hand records to a RecordSink;
// nothing on that path allocates, locks or makes a syscall. Counters are RelaxedCounters:
// written only by the owning worker, readable by the metrics scrape from any thread.
//
// Accounting rule every decoder keeps: each unit the format defines (a statsd line, a
// NetFlow record, ...) ends up either as exactly one record (records()) or as exactly
// one error under exactly one reason (errors(reason)).
#ifndef FIREHOSE_NODE_DECODE_DECODER_H_
#define FIREHOSE_NODE_DECODE_DECODER_H_

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "node/common/packet_meta.h"
#include "node/common/relaxed_counter.h"
#include "node/decode/record_sink.h"

namespace firehose::decode {

class Decoder {
 public:
  // Most error reasons one decoder may define; sized so the counters live inline.
  static constexpr int kMaxErrorReasons = 32;

  virtual ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes one UDP payload. `payload` and `meta` are valid only during the call;
  // records passed to `sink` point into `payload`. Never fails as a whole: malformed
  // units are counted and skipped, the rest of the payload still decodes.
  virtual void Decode(std::string_view payload, const PacketMeta& meta,
                      RecordSink& sink) = 0;

  // Format name as used in the config and as a metrics label, e.g. "statsd".
  virtual std::string_view name() const = 0;

  // Counters; safe to call from any thread.
  uint64_t records() const { return records_.Get(); }
  int error_reason_count() const { return static_cast<int>(error_names_.size()); }
  // snake_case reason name (a metrics label); "" for an out-of-range index.
  std::string_view error_reason_name(int reason) const {
    return InRange(reason) ? error_names_[reason] : std::string_view();
  }
  // Errors counted under `reason`; 0 for an out-of-range index.
  uint64_t errors(int reason) const {
    return InRange(reason) ? errors_[reason].Get() : 0;
  }
  // Sum over all reasons.
  uint64_t total_errors() const {
    uint64_t total = 0;
    for (int i = 0; i < error_reason_count(); ++i) total += errors_[i].Get();
    return total;
  }

 protected:
  // `error_names` must outlive the decoder (a static table) and hold at most
  // kMaxErrorReasons entries; reason i is counted in errors(i).
  explicit Decoder(std::span<const std::string_view> error_names)
      : error_names_(error_names.first(
            error_names.size() < kMaxErrorReasons ? error_names.size()
                                                  : kMaxErrorReasons)) {}

  // Owner thread only.
  void CountRecord() { records_.Increment(); }
  void CountError(int reason) { errors_[reason].Increment(); }

 private:
  bool InRange(int reason) const {
    return reason >= 0 && reason < error_reason_count();
  }

  std::span<const std::string_view> error_names_;
  RelaxedCounter records_;
  std::array<RelaxedCounter, kMaxErrorReasons> errors_;
};

}  // namespace firehose::decode

#endif  // FIREHOSE_NODE_DECODE_DECODER_H_
