// The standby side of template sharing: polls the pair's templates key in etcd and
// hands every new revision to a callback (the ControlService, which puts it on the
// role stream to ingestd). etcd filters by mod_revision on the server, so an unchanged
// key costs one tiny request per poll. Polls only while the node is standby: an active
// is the writer and has the freshest templates in its own workers already.
#ifndef FIREHOSE_CONTROLPLANE_CONTROLD_TEMPLATE_RELAY_H_
#define FIREHOSE_CONTROLPLANE_CONTROLD_TEMPLATE_RELAY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "controlplane/etcd/template_store.h"

namespace firehose::controld {

class TemplateRelay {
 public:
  using Callback = std::function<void(std::string templates, uint64_t revision)>;

  // `store` must outlive the relay.
  TemplateRelay(etcd::TemplateStore* store, absl::Duration interval,
                std::function<bool()> is_active, Callback on_new);
  ~TemplateRelay();  // Stop()

  void Start();
  void Stop();

 private:
  void Run();

  etcd::TemplateStore* const store_;
  const absl::Duration interval_;
  const std::function<bool()> is_active_;
  const Callback on_new_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace firehose::controld

#endif  // FIREHOSE_CONTROLPLANE_CONTROLD_TEMPLATE_RELAY_H_
