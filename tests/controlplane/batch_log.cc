// Recording subscriber for failover tests; see batch_log.h.
#include "tests/controlplane/batch_log.h"

#include <cstdlib>
#include <optional>

#include "absl/strings/match.h"

namespace firehose::testing {

BatchLog::BatchLog(const std::string& address)
    : stub_(v1::Ingest::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
      thread_([this] { Run(); }) {}

BatchLog::~BatchLog() {
  context_.TryCancel();
  thread_.join();
}

std::vector<BatchSeen> BatchLog::batches() {
  absl::MutexLock lock(&mu_);
  return batches_;
}

std::optional<BatchSeen> BatchLog::WaitForEpochAbove(uint64_t epoch, absl::Duration timeout,
                                                     int flows) {
  absl::MutexLock lock(&mu_);
  std::optional<BatchSeen> found;
  auto seen = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    int total = 0;
    for (const BatchSeen& b : batches_) {
      if (b.epoch <= epoch) continue;
      total += b.flows;
      if (total >= flows) {
        found = b;
        return true;
      }
    }
    return false;
  };
  mu_.AwaitWithTimeout(absl::Condition(&seen), timeout);
  return found;
}

void BatchLog::Run() {
  v1::SubscribeRequest request;
  request.set_client_name("batch-log");
  auto reader = stub_->Subscribe(&context_, request);
  v1::SubscribeResponse response;
  while (reader->Read(&response)) {
    if (!response.has_batch()) continue;
    const v1::Batch& b = response.batch();
    BatchSeen seen;
    seen.node_id = b.node_id();
    seen.epoch = b.epoch();
    seen.seq = b.seq();
    seen.at = absl::Now();
    seen.flows = b.flows().version_size();
    for (int i = 0; i < b.statsd().name_size(); ++i) {
      const std::string& name = b.strings(b.statsd().name(i));
      if (absl::StartsWith(name, "n.")) seen.numbers.push_back(std::strtoull(name.c_str() + 2, nullptr, 10));
    }
    absl::MutexLock lock(&mu_);
    batches_.push_back(std::move(seen));
  }
  reader->Finish();
}

}  // namespace firehose::testing
