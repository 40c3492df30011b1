// FakeNode: a hand-fed ingest node on loopback; see the header.
#include "relay/fake_node.h"

#include <chrono>
#include <cstdlib>
#include <utility>

#include "node/export/block_buffer.h"
#include "node/export/grpc_server.h"
#include "node/export/replay_ring.h"
#include "spdlog/spdlog.h"

namespace firehose::relay {

FakeNode::FakeNode(std::string id, uint64_t epoch, bool active, uint64_t replay_bytes)
    : id_(std::move(id)), epoch_(epoch), active_(active) {
  exporter::HubOptions hub_options;
  hub_options.replay_bytes = replay_bytes;
  hub_ = std::make_unique<exporter::SubscriberHub>(hub_options);
  exporter::IngestServiceOptions options;
  options.heartbeat_interval = absl::Milliseconds(100);
  options.active = [this] { return active_.load(); };
  service_ = std::make_unique<exporter::IngestService>(
      hub_.get(), [this] { return seq_.load(); }, [this] { return epoch_.load(); },
      std::move(options));
  exporter::GrpcServerOptions server_options;
  server_options.listen = "127.0.0.1:0";
  auto started = exporter::StartGrpcServer(server_options, service_.get());
  if (!started.ok()) {
    // Loopback with an ephemeral port: nothing a caller could fix or retry.
    spdlog::critical("fake node {}: {}", id_, std::string(started.status().message()));
    std::abort();
  }
  server_ = std::move(started->server);
  address_ = started->address;
}

FakeNode::~FakeNode() { Shutdown(); }

void FakeNode::Shutdown() {
  if (server_ == nullptr) return;
  hub_->Close();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_.reset();
}

void FakeNode::SetRole(bool active, uint64_t epoch) {
  if (active && epoch != epoch_.load()) {
    seq_.store(0);
    cumulative_ = 0;
    epoch_.store(epoch);
  }
  active_.store(active);
}

void FakeNode::Publish(uint32_t records) {
  auto message = std::make_shared<v1::SubscribeResponse>();
  v1::Batch* batch = message->mutable_batch();
  batch->set_node_id(id_);
  batch->set_epoch(epoch_.load());
  batch->set_seq(seq_.load() + 1);
  batch->set_record_count(records);
  batch->add_strings("");
  batch->add_strings("m");
  for (uint32_t i = 0; i < records; ++i) {
    batch->mutable_statsd()->add_name(1);
    batch->mutable_statsd()->add_value(1);
    batch->mutable_statsd()->add_type(v1::METRIC_TYPE_COUNTER);
  }
  exporter::PublishedBatch published;
  published.message = message;
  published.records = records;
  published.bytes = message->ByteSizeLong();
  PublishNext(std::move(published));
}

void FakeNode::PublishEncoded(const batch::BatchBuilder& builder) {
  builder.EncodeResponse(batch::BatchHeader{id_, epoch_.load(), seq_.load() + 1}, &scratch_);
  exporter::PublishedBatch published;
  published.encoded =
      std::make_shared<exporter::EncodedBatch>(exporter::BlockBuffer::CopyOf(scratch_));
  published.records = builder.record_count();
  published.bytes = exporter::ReplayFootprint(*published.encoded);
  PublishNext(std::move(published));
}

void FakeNode::PublishNext(exporter::PublishedBatch published) {
  cumulative_ += published.records;
  published.epoch = epoch_.load();
  published.seq = seq_.load() + 1;
  published.cumulative_records = cumulative_;
  hub_->Publish(published);
  seq_.store(published.seq);
}

}  // namespace firehose::relay
