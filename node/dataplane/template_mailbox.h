// A worker's one-slot mailboxes for NetFlow v9/IPFIX template sharing between the
// nodes of a pair (docs/failover.md). A template cache belongs to its worker's thread
// (flow_template_cache.h), so other threads never touch it: they post a request here
// and the worker serves it at its next poll.
//   - import: the control side posts the pair's templates; the worker imports them into
//     each of its NetFlow decoders. A newer post replaces one not yet taken.
//   - export: the control side asks; the worker exports each decoder's cache and
//     leaves the bytes in the out slot for the asker to take.
// Both slots are single atomic pointers (lock-free). The data path pays one relaxed
// load per poll; the allocation and copying happen only while a request is served.
#ifndef FIREHOSE_NODE_DATAPLANE_TEMPLATE_MAILBOX_H_
#define FIREHOSE_NODE_DATAPLANE_TEMPLATE_MAILBOX_H_

#include <array>
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "node/common/relaxed_counter.h"
#include "node/decode/netflow_decoder.h"

namespace firehose::dataplane {

class TemplateMailbox {
 public:
  static constexpr int kMaxDecoders = 16;

  TemplateMailbox() = default;
  ~TemplateMailbox();
  TemplateMailbox(const TemplateMailbox&) = delete;
  TemplateMailbox& operator=(const TemplateMailbox&) = delete;

  // Setup, before the worker runs: a NetFlow decoder of this worker.
  void Attach(decode::NetflowDecoder* decoder);
  bool empty() const { return count_ == 0; }

  // Any thread: the worker imports `templates` into every attached decoder.
  void PostImport(const std::string& templates);
  // Any thread (one asker at a time): the worker's caches, one export per decoder, or
  // nullopt when the worker did not answer within `timeout` (not running).
  std::optional<std::vector<std::string>> Export(absl::Duration timeout);

  // Worker thread, once per poll.
  void Poll() {
    if (pending_.load(std::memory_order_relaxed) != 0) Serve();
  }

  // Imports done / refused (bad bytes), for logs and tests.
  uint64_t imports() const { return imports_.Get(); }
  uint64_t import_errors() const { return import_errors_.Get(); }

 private:
  static constexpr unsigned kImportBit = 1;
  static constexpr unsigned kExportBit = 2;

  void Serve();

  std::array<decode::NetflowDecoder*, kMaxDecoders> decoders_{};
  int count_ = 0;
  // Bits of what is waiting, so the poll reads one word.
  std::atomic<unsigned> pending_{0};
  std::atomic<std::string*> import_{nullptr};
  std::atomic<std::vector<std::string>*> exported_{nullptr};
  RelaxedCounter imports_;
  RelaxedCounter import_errors_;
};

}  // namespace firehose::dataplane

#endif  // FIREHOSE_NODE_DATAPLANE_TEMPLATE_MAILBOX_H_
