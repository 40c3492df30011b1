// The worker's template mailboxes; see the header.
#include "node/dataplane/template_mailbox.h"

#include <memory>
#include <thread>

#include "absl/time/clock.h"

namespace firehose::dataplane {

TemplateMailbox::~TemplateMailbox() {
  delete import_.exchange(nullptr);
  delete exported_.exchange(nullptr);
}

void TemplateMailbox::Attach(decode::NetflowDecoder* decoder) {
  if (count_ < kMaxDecoders) decoders_[count_++] = decoder;
}

void TemplateMailbox::PostImport(const std::string& templates) {
  if (empty()) return;
  // A post the worker has not taken yet is replaced: only the newest matters.
  delete import_.exchange(new std::string(templates), std::memory_order_acq_rel);
  pending_.fetch_or(kImportBit, std::memory_order_release);
}

std::optional<std::vector<std::string>> TemplateMailbox::Export(absl::Duration timeout) {
  if (empty()) return std::vector<std::string>();
  // A late answer to an earlier ask that timed out is stale: drop it first.
  delete exported_.exchange(nullptr, std::memory_order_acquire);
  pending_.fetch_or(kExportBit, std::memory_order_release);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (std::unique_ptr<std::vector<std::string>> answer(
            exported_.exchange(nullptr, std::memory_order_acquire));
        answer != nullptr) {
      return std::move(*answer);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::nullopt;
}

void TemplateMailbox::Serve() {
  const unsigned bits = pending_.exchange(0, std::memory_order_acquire);
  if ((bits & kImportBit) != 0) {
    if (std::unique_ptr<std::string> templates(import_.exchange(nullptr, std::memory_order_acquire));
        templates != nullptr) {
      for (int i = 0; i < count_; ++i) {
        if (decoders_[i]->ImportTemplates(*templates).ok()) {
          imports_.Increment();
        } else {
          import_errors_.Increment();
        }
      }
    }
  }
  if ((bits & kExportBit) != 0) {
    auto answer = std::make_unique<std::vector<std::string>>();
    for (int i = 0; i < count_; ++i) answer->push_back(decoders_[i]->ExportTemplates());
    delete exported_.exchange(answer.release(), std::memory_order_release);
  }
}

}  // namespace firehose::dataplane
