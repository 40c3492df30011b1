// Polling the shared templates key; see template_relay.h.
#include "controlplane/controld/template_relay.h"

#include <utility>

#include "spdlog/spdlog.h"

namespace firehose::controld {

TemplateRelay::TemplateRelay(etcd::TemplateStore* store, absl::Duration interval,
                             std::function<bool()> is_active, Callback on_new)
    : store_(store),
      interval_(interval),
      is_active_(std::move(is_active)),
      on_new_(std::move(on_new)) {}

TemplateRelay::~TemplateRelay() { Stop(); }

void TemplateRelay::Start() { thread_ = std::thread([this] { Run(); }); }

void TemplateRelay::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void TemplateRelay::Run() {
  uint64_t revision = 0;
  std::string last_error;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_)) return;
    }
    if (is_active_()) continue;
    absl::StatusOr<std::optional<etcd::TemplateStore::Stored>> newer = store_->GetNewer(revision);
    if (!newer.ok()) {
      // Logged once per distinct error: etcd being away is the elector's story to tell.
      if (std::string(newer.status().message()) != last_error) {
        last_error = std::string(newer.status().message());
        spdlog::warn("templates: {}", last_error);
      }
      continue;
    }
    last_error.clear();
    if (!newer->has_value()) continue;
    revision = (*newer)->revision;
    spdlog::info("templates: revision {} ({} bytes) from etcd for ingestd", revision,
                 (*newer)->templates.size());
    on_new_(std::move((*newer)->templates), revision);
  }
}

}  // namespace firehose::controld
