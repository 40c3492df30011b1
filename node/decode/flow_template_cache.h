// The NetFlow v9 / IPFIX template cache: what each exporter told us its data records
// look like, plus per-exporter state learned from options records (sampling interval,
// system init time).
//
// Templates are keyed by (exporter address, export version, observation domain / source
// id, template id), as RFC 7011 section 8 and RFC 3954 section 5 scope them. All memory
// is allocated in the constructor: a fixed open-addressing table with linear probing and
// backward-shift deletion, so learning, replacing and withdrawing templates on the data
// path never allocates. One cache belongs to one decoder on one worker; RSS keeps an
// exporter's packets on one queue, so no cache is shared between threads.
//
// Export()/Import() serialise the whole cache so a promoted standby can decode flows at
// once (the failover issue ships the bytes through etcd). They allocate and must run on
// the owning thread, or while the worker is stopped.
#ifndef FIREHOSE_NODE_DECODE_FLOW_TEMPLATE_CACHE_H_
#define FIREHOSE_NODE_DECODE_FLOW_TEMPLATE_CACHE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace firehose::decode {

// A template field length meaning "variable length" (IPFIX, RFC 7011 section 7).
inline constexpr uint16_t kVariableFieldLength = 65535;
// Most fields one template may have; longer templates are rejected as bad_template.
// Real exporters stay far below (softflowd ~20, Cisco ~60).
inline constexpr int kMaxTemplateFields = 96;

struct FlowFieldSpec {
  uint16_t id = 0;          // information element id, enterprise bit cleared
  uint16_t length = 0;      // bytes, or kVariableFieldLength
  uint32_t enterprise = 0;  // private enterprise number; 0 for IANA elements
};

struct FlowTemplateKey {
  uint8_t exporter[16] = {};  // address bytes, network order
  uint8_t exporter_len = 0;   // 4 or 16 (0 in tests without a sender)
  uint8_t version = 0;        // 9 or 10
  uint16_t template_id = 0;   // >= 256
  uint32_t domain = 0;        // IPFIX observation domain / v9 source id

  bool operator==(const FlowTemplateKey& other) const;
};

struct FlowTemplate {
  FlowTemplateKey key;
  bool options = false;       // an options template: its records describe the exporter
  uint16_t scope_count = 0;   // options templates: leading scope fields
  uint16_t field_count = 0;
  // Smallest encoded record: fixed lengths plus 1 byte per variable-length field. Used
  // to tell padding at the end of a set from a truncated record.
  uint32_t min_record_length = 0;
  FlowFieldSpec fields[kMaxTemplateFields];
};

// What options records told us about one exporter's observation domain.
struct ExporterState {
  FlowTemplateKey key;        // template_id 0
  uint32_t sampling_interval = 0;        // 0 = unknown
  uint64_t system_init_unix_millis = 0;  // IPFIX element 160; 0 = unknown
};

class FlowTemplateCache {
 public:
  // Default capacity: templates over all exporters one worker serves.
  static constexpr uint32_t kDefaultCapacity = 1024;
  static constexpr uint32_t kExporterStates = 256;

  explicit FlowTemplateCache(uint32_t capacity = kDefaultCapacity);
  FlowTemplateCache(const FlowTemplateCache&) = delete;
  FlowTemplateCache& operator=(const FlowTemplateCache&) = delete;

  // The template for `key`, or nullptr.
  const FlowTemplate* Find(const FlowTemplateKey& key) const;

  // Adds or replaces the template under tmpl.key. False when the cache is full of other
  // templates (the caller counts template_cache_full).
  bool Put(const FlowTemplate& tmpl);

  // Removes one template; false if it was not there.
  bool Withdraw(const FlowTemplateKey& key);
  // Removes every template of key's exporter, version and domain whose options flag is
  // `options` (IPFIX "withdraw all" for set id 2 or 3). Returns how many.
  uint32_t WithdrawAll(const FlowTemplateKey& key, bool options);

  // Per-exporter state for key (template_id ignored), created on first use; when the
  // table is full the least recently created entry is reused.
  ExporterState& State(const FlowTemplateKey& key);
  // Read-only lookup; nullptr when nothing is known.
  const ExporterState* FindState(const FlowTemplateKey& key) const;

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }

  // Every template and exporter state as bytes, in a versioned little format
  // ("FHTC", version 1; see the .cc). Not for the data path: allocates.
  std::string Export() const;
  // Replaces the cache's contents with what Export() produced. Validates every byte;
  // on error the cache is left empty and the status names the problem.
  absl::Status Import(std::string_view bytes);
  // Several Export() outputs (e.g. one per worker) merged into one; a later export wins
  // where two hold the same key. Fails naming the bad input, or when the union holds
  // more than `capacity` templates. Allocates (control plane only).
  static absl::StatusOr<std::string> MergeExports(std::span<const std::string> exports,
                                                  uint32_t capacity = kDefaultCapacity);

  void Clear();

 private:
  struct Slot {
    bool used = false;
    FlowTemplate tmpl;
  };

  uint32_t Home(const FlowTemplateKey& key) const;
  void EraseSlot(uint32_t index);

  const uint32_t capacity_;
  const uint32_t mask_;  // slots - 1; slots = 2 * capacity rounded up to a power of two
  std::unique_ptr<Slot[]> slots_;
  uint32_t size_ = 0;
  std::unique_ptr<ExporterState[]> states_;
  uint32_t state_count_ = 0;
  uint32_t next_state_victim_ = 0;
};

}  // namespace firehose::decode

#endif  // FIREHOSE_NODE_DECODE_FLOW_TEMPLATE_CACHE_H_
