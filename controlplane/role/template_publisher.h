// The ingestd side of template sharing, toward controld: while this node is active,
// hands its NetFlow v9/IPFIX templates (every worker's caches, merged) to controld's
// PublishTemplates whenever they changed -- templates learned or withdrawn since the
// last hand-over -- and once on every promotion. controld stores them in etcd for the
// standby (controlplane/etcd/template_store.h). Checked every `interval`, so a new
// template reaches etcd within about that long.
//
// ingestd's main() supplies the hooks (IngestNode's template export and counters, the
// RoleFollower's view); this class only knows the control API.
#ifndef FIREHOSE_CONTROLPLANE_ROLE_TEMPLATE_PUBLISHER_H_
#define FIREHOSE_CONTROLPLANE_ROLE_TEMPLATE_PUBLISHER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace firehose::role {

class TemplatePublisher {
 public:
  struct Hooks {
    // A number that moves whenever any template was learned or withdrawn.
    std::function<uint64_t()> changes;
    // The merged template caches (allocates; asks the workers).
    std::function<absl::StatusOr<std::string>()> export_templates;
    // Whether the node publishes as active now.
    std::function<bool()> active;
  };

  TemplatePublisher(std::string socket, std::string node_id, Hooks hooks,
                    absl::Duration interval = absl::Milliseconds(500));
  ~TemplatePublisher();  // Stop()

  void Start();
  void Stop();

 private:
  void Run();

  const std::string socket_;
  const std::string node_id_;
  const Hooks hooks_;
  const absl::Duration interval_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace firehose::role

#endif  // FIREHOSE_CONTROLPLANE_ROLE_TEMPLATE_PUBLISHER_H_
