// Shared templates in etcd; see template_store.h.
#include "controlplane/etcd/template_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"

namespace firehose::etcd {
namespace {

constexpr absl::Duration kCallTimeout = absl::Milliseconds(500);

void SetDeadline(grpc::ClientContext* context) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
}

}  // namespace

std::string TemplatesKey(const std::string& election) {
  const size_t slash = election.rfind('/');
  if (slash == std::string::npos || slash == 0) return election + ".templates";
  return election.substr(0, slash) + "/templates";
}

TemplateStore::TemplateStore(const std::string& target, std::string key)
    : channel_(grpc::CreateChannel(target, grpc::InsecureChannelCredentials())),
      key_(std::move(key)) {}

absl::StatusOr<uint64_t> TemplateStore::Put(const std::string& templates,
                                            const std::string& leader_key, uint64_t epoch) {
  auto stub = etcdserverpb::KV::NewStub(channel_);
  etcdserverpb::TxnRequest txn;
  etcdserverpb::Compare* still_leader = txn.add_compare();
  still_leader->set_key(leader_key);
  still_leader->set_target(etcdserverpb::Compare::CREATE);
  still_leader->set_result(etcdserverpb::Compare::EQUAL);
  still_leader->set_create_revision(static_cast<int64_t>(epoch));
  etcdserverpb::PutRequest* put = txn.add_success()->mutable_request_put();
  put->set_key(key_);
  put->set_value(templates);
  etcdserverpb::TxnResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  const grpc::Status status = stub->Txn(&context, txn, &response);
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat("etcd put ", key_, ": ", status.error_message()));
  }
  if (!response.succeeded()) {
    return absl::FailedPreconditionError(
        absl::StrCat("not the leader of epoch ", epoch, " any more; templates not stored"));
  }
  return static_cast<uint64_t>(response.header().revision());
}

absl::StatusOr<std::optional<TemplateStore::Stored>> TemplateStore::GetNewer(uint64_t after) {
  auto stub = etcdserverpb::KV::NewStub(channel_);
  etcdserverpb::RangeRequest range;
  range.set_key(key_);
  // etcd filters on the server: nothing crosses the wire while the value is unchanged.
  range.set_min_mod_revision(static_cast<int64_t>(after + 1));
  etcdserverpb::RangeResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  const grpc::Status status = stub->Range(&context, range, &response);
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat("etcd get ", key_, ": ", status.error_message()));
  }
  if (response.kvs_size() == 0) return std::optional<Stored>();
  Stored stored;
  stored.templates = response.kvs(0).value();
  stored.revision = static_cast<uint64_t>(response.kvs(0).mod_revision());
  return std::optional<Stored>(std::move(stored));
}

}  // namespace firehose::etcd
