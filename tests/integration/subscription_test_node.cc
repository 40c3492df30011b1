// In-process export stage and client collector for subscription tests; see the header.
#include "tests/integration/subscription_test_node.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace firehose::testing {

constexpr uint64_t kSenders = 64;
constexpr uint64_t kV6Senders = 8;

std::string SenderAddress(uint64_t value) {
  const uint64_t sender = value % kSenders;
  if (sender >= kSenders - kV6Senders) {
    std::string bytes(16, '\0');
    bytes[0] = 0x20;
    bytes[1] = 0x01;
    bytes[2] = 0x0d;
    bytes[3] = static_cast<char>(0xb8);
    bytes[15] = static_cast<char>(sender);
    return bytes;
  }
  return std::string({10, 0, 0, static_cast<char>(sender)});
}

TestNode::TestNode(exporter::HubOptions hub_options, exporter::IngestServiceOptions service_options,
                   exporter::GrpcServerOptions server_options)
    : hub_(hub_options),
      service_options_(std::move(service_options)),
      server_options_(std::move(server_options)) {
  StartServer(server_options_.listen);
}

TestNode::~TestNode() {
  hub_.Close();
  StopServer();
}

void TestNode::StartServer(const std::string& listen) {
  service_ = std::make_unique<exporter::IngestService>(
      &hub_, [this] { return last_seq_.load(); }, [] { return uint64_t{1}; }, service_options_);
  exporter::GrpcServerOptions options = server_options_;
  options.listen = listen;
  absl::StatusOr<exporter::StartedServer> started =
      exporter::StartGrpcServer(options, service_.get());
  start_status_ = started.status();
  if (!started.ok()) return;
  server_ = std::move(started->server);
  address_ = started->address;
}

void TestNode::StopServer() {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  server_->Wait();
  server_.reset();
}

void TestNode::RestartServer() {
  StopServer();
  StartServer(address_);
}

void TestNode::PublishBatch(int records) {
  auto message = std::make_shared<v1::SubscribeResponse>();
  v1::Batch* batch = message->mutable_batch();
  const uint64_t seq = last_seq_.load() + 1;
  batch->set_node_id("test-node");
  batch->set_epoch(1);
  batch->set_seq(seq);
  batch->add_strings("");
  for (const std::string& name : TestNames()) batch->add_strings(name);
  for (uint64_t s = 0; s < kSenders; ++s) {
    v1::Endpoint* e = batch->add_sources();
    e->set_address(SenderAddress(s));
    e->set_port(static_cast<uint32_t>(40000 + s));
  }
  v1::StatsdColumns* statsd = batch->mutable_statsd();
  for (int i = 0; i < records; ++i) {
    const uint64_t value = next_value_++;
    statsd->add_name(static_cast<uint32_t>(1 + value % TestNames().size()));
    statsd->add_value(static_cast<double>(value));
    statsd->add_type(v1::METRIC_TYPE_COUNTER);
    statsd->add_sample_rate(1);
    statsd->add_tag_count(0);
    statsd->add_source(static_cast<uint32_t>(value % kSenders));
    statsd->add_receive_offset_nanos(0);
    statsd->add_flags(0);
    statsd->add_text(0);
  }
  batch->set_record_count(records);
  cumulative_ += records;
  exporter::PublishedBatch published;
  published.bytes = message->ByteSizeLong();
  published.message = std::move(message);
  published.serialized = std::make_shared<exporter::SerializedOnce>();
  published.epoch = 1;
  published.seq = seq;
  published.records = records;
  published.cumulative_records = cumulative_;
  hub_.Publish(published);
  last_seq_.store(seq);
}

Collected::Collected(client::SubscriberOptions options) : subscriber_(std::move(options)) {
  thread_ = std::thread([this] {
    absl::Status result = subscriber_.Run([this](const v1::SubscribeResponse& message) {
      absl::MutexLock lock(&mu_);
      if (message.has_batch()) {
        seqs_.push_back(message.batch().seq());
        for (double v : message.batch().statsd().value()) values_.insert(static_cast<uint64_t>(v));
        batches_.push_back(message.batch());
      } else if (message.has_notice()) {
        if (!message.notice().has_heartbeat()) notices_.push_back(message.notice());
      }
    });
    absl::MutexLock lock(&mu_);
    result_ = result;
    done_ = true;
  });
}

Collected::~Collected() { Stop(); }

void Collected::Stop() {
  subscriber_.Stop();
  if (thread_.joinable()) thread_.join();
}

bool Collected::WaitForValues(size_t count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, count]()
                    ABSL_SHARED_LOCKS_REQUIRED(mu_) { return values_.size() >= count || done_; };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout) && values_.size() >= count;
}

bool Collected::WaitForBatches(size_t count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, count]()
                    ABSL_SHARED_LOCKS_REQUIRED(mu_) { return seqs_.size() >= count || done_; };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout) && seqs_.size() >= count;
}

bool Collected::WaitForDone(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return done_; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

std::multiset<uint64_t> Collected::values() const {
  absl::MutexLock lock(&mu_);
  return values_;
}

std::vector<uint64_t> Collected::seqs() const {
  absl::MutexLock lock(&mu_);
  return seqs_;
}

std::vector<v1::Notice> Collected::notices() const {
  absl::MutexLock lock(&mu_);
  return notices_;
}

std::vector<v1::Batch> Collected::batches() const {
  absl::MutexLock lock(&mu_);
  return batches_;
}

absl::Status Collected::result() const {
  absl::MutexLock lock(&mu_);
  return result_;
}

}  // namespace firehose::testing
