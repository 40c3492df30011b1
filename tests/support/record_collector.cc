// A collecting gRPC subscriber for tests; see the header.
#include "tests/support/record_collector.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace firehose::testing {
namespace {

std::string TypeSuffix(int type) {
  switch (type) {
    case v1::METRIC_TYPE_COUNTER: return "c";
    case v1::METRIC_TYPE_GAUGE: return "g";
    case v1::METRIC_TYPE_TIMER: return "ms";
    case v1::METRIC_TYPE_HISTOGRAM: return "h";
    case v1::METRIC_TYPE_SET: return "s";
    case v1::METRIC_TYPE_DISTRIBUTION: return "d";
  }
  return "?";
}

}  // namespace

std::string StatsdKey(const std::string& name, double value, const std::string& type,
                      double rate, const std::vector<std::string>& tags,
                      const std::string& member) {
  return absl::StrCat(name, "|", value, "|", type, "|", rate, "|", absl::StrJoin(tags, ","),
                      "|", member);
}

RecordCollector::RecordCollector(const std::string& address, const std::string& client_name)
    : stub_(v1::Ingest::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
      client_name_(client_name),
      thread_([this] { Run(); }) {}

RecordCollector::~RecordCollector() {
  context_.TryCancel();
  thread_.join();
}

bool RecordCollector::WaitForRecords(size_t count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return records_.size() >= count || done_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  return records_.size() >= count;
}

bool RecordCollector::WaitForEnd(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ended = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return done_; };
  return mu_.AwaitWithTimeout(absl::Condition(&ended), timeout);
}

std::vector<std::string> RecordCollector::records() {
  absl::MutexLock lock(&mu_);
  return records_;
}
std::vector<std::string> RecordCollector::node_ids() {
  absl::MutexLock lock(&mu_);
  return node_ids_;
}
std::vector<uint64_t> RecordCollector::seqs() {
  absl::MutexLock lock(&mu_);
  return seqs_;
}
int RecordCollector::gaps() {
  absl::MutexLock lock(&mu_);
  return gaps_;
}
grpc::Status RecordCollector::status() {
  absl::MutexLock lock(&mu_);
  return status_;
}

void RecordCollector::Run() {
  v1::SubscribeRequest request;
  request.set_client_name(client_name_);
  auto reader = stub_->Subscribe(&context_, request);
  v1::SubscribeResponse response;
  while (reader->Read(&response)) {
    absl::MutexLock lock(&mu_);
    if (response.has_notice()) {
      if (response.notice().has_gap()) ++gaps_;
      continue;
    }
    const v1::Batch& b = response.batch();
    node_ids_.push_back(b.node_id());
    seqs_.push_back(b.seq());
    const v1::StatsdColumns& s = b.statsd();
    int tag_cursor = 0;
    for (int i = 0; i < s.name_size(); ++i) {
      std::vector<std::string> tags;
      for (uint32_t t = 0; t < s.tag_count(i); ++t) tags.push_back(b.strings(s.tags(tag_cursor++)));
      records_.push_back(StatsdKey(b.strings(s.name(i)), s.value(i), TypeSuffix(s.type(i)),
                                   s.sample_rate(i), tags, b.strings(s.text(i))));
    }
  }
  grpc::Status finished = reader->Finish();
  absl::MutexLock lock(&mu_);
  status_ = finished;
  done_ = true;
}

}  // namespace firehose::testing
