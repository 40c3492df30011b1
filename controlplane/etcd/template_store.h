// The pair's shared NetFlow v9/IPFIX templates in etcd: the active's controld writes
// them, the standby's controld reads them, so a promoted standby decodes flows at once.
//
// Key: beside the election, not under it -- "<dir of election>/templates" for an
// election "/firehose/pairs/a/leader" -- because every key under "<election>/" is a
// candidate in etcd's Election API and would be taken for a leader.
//
// Writes are fenced by leadership: a transaction puts the value only while the
// writer's leader key still exists with create revision = its epoch, so a demoted
// active can never overwrite its successor's templates. The key has no lease: the
// templates outlive the active that wrote them (that is the point), and stale ones
// are harmless -- exporters re-send their templates, which replace them.
#ifndef FIREHOSE_CONTROLPLANE_ETCD_TEMPLATE_STORE_H_
#define FIREHOSE_CONTROLPLANE_ETCD_TEMPLATE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace firehose::etcd {

// "/firehose/pairs/a/leader" -> "/firehose/pairs/a/templates"; without a '/', the
// election name + ".templates".
std::string TemplatesKey(const std::string& election);

class TemplateStore {
 public:
  struct Stored {
    std::string templates;
    uint64_t revision = 0;  // the key's mod_revision
  };

  TemplateStore(const std::string& target, std::string key);

  // Writes `templates` if `leader_key` still exists with create revision `epoch`.
  // Returns the write's revision; FAILED_PRECONDITION when no longer leader.
  absl::StatusOr<uint64_t> Put(const std::string& templates, const std::string& leader_key,
                               uint64_t epoch);
  // The stored value if its mod_revision is above `after`; nullopt when there is none
  // or nothing newer.
  absl::StatusOr<std::optional<Stored>> GetNewer(uint64_t after);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  const std::string key_;
};

}  // namespace firehose::etcd

#endif  // FIREHOSE_CONTROLPLANE_ETCD_TEMPLATE_STORE_H_
