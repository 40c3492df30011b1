// Tests the publisher's runtime role and epoch: a standby node publishes nothing and
// counts what it drops, a promotion into a new epoch restarts seq at 1, and connected
// subscribers hear of the new epoch through an EpochChange notice on their stream. Also
// that the encoded bytes, held in pool blocks, reach streams exactly as encoded.
#include "node/export/publisher.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/rpc_method.h"
#include "grpcpp/support/sync_stream.h"
#include "gtest/gtest.h"
#include "node/export/grpc_server.h"
#include "node/export/ingest_service.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"

namespace firehose::exporter {
namespace {

// Two records per batch, so each AddRecords(2 * n) hands off exactly n batches.
constexpr batch::BatchLimits kLimits{2, 1 << 16};

// Flushes after every second record, as the worker would on the record limit or the
// delay, whichever of the two the batcher applies first.

void AddRecords(batch::Batcher& batcher, int count) {
  decode::StatsdRecord record;
  record.name = "requests";
  record.value = 1;
  PacketMeta meta;
  meta.source_address_len = 4;
  for (int i = 0; i < count; ++i) {
    meta.receive_unix_nanos = i + 1;
    batcher.AddStatsd(record, meta);
    if (i % 2 == 1) batcher.FlushNow();
  }
}

// Every batch queued for `subscription` (waits briefly for none more).
std::vector<PublishedBatch> Drain(Subscription& subscription) {
  std::vector<PublishedBatch> out;
  while (true) {
    SubscriptionItem item = subscription.Next(absl::Milliseconds(10));
    if (item.kind != SubscriptionItem::Kind::kBatch) return out;
    subscription.MarkDelivered(item.batch.seq, item.batch.records);
    out.push_back(item.batch);
  }
}

// A publisher whose hub is served over real gRPC on loopback, without heartbeats (they
// would come between the items the tests expect). Stops hub and server when destroyed.
struct ServedPublisher {
  ServedPublisher(const batch::BatchLimits& limits, std::string node_id, uint64_t epoch)
      : batcher(0, limits, 8, 1'000'000),
        hub(HubOptionsFor()),
        publisher(std::move(node_id), epoch, {&batcher}, &hub),
        service(
            &hub, [this] { return publisher.last_seq(); }, [this] { return publisher.epoch(); },
            ServiceOptions()),
        server(StartGrpcServer({"127.0.0.1:0"}, &service)) {}
  ~ServedPublisher() {
    hub.Close();
    if (!server.ok()) return;
    server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    server->server->Wait();
  }
  static HubOptions HubOptionsFor() {
    HubOptions options;
    options.queue_capacity = 16;
    options.replay_bytes = 1 << 20;
    return options;
  }
  static IngestServiceOptions ServiceOptions() {
    IngestServiceOptions options;
    options.heartbeat_interval = absl::Hours(1);
    return options;
  }
  std::shared_ptr<grpc::Channel> Channel() const {
    return grpc::CreateChannel(server->address, grpc::InsecureChannelCredentials());
  }

  batch::Batcher batcher;
  SubscriberHub hub;
  Publisher publisher;
  IngestService service;
  absl::StatusOr<StartedServer> server;
};

TEST(PublisherTest, StandbyDropsAndCountsAndPromotionRestartsSeq) {
  batch::Batcher batcher(0, kLimits, 8, 1'000'000);
  SubscriberHub hub(16);
  Publisher publisher("node-a", 1, {&batcher}, &hub);
  std::shared_ptr<Subscription> subscription = hub.Add("sub");

  AddRecords(batcher, 4);
  EXPECT_EQ(publisher.PollOnce(), 2);
  std::vector<PublishedBatch> got = Drain(*subscription);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].epoch, 1u);
  EXPECT_EQ(got[1].seq, 2u);

  publisher.SetRole(false, 0);
  AddRecords(batcher, 6);
  EXPECT_EQ(publisher.PollOnce(), 3);
  EXPECT_FALSE(publisher.active());
  EXPECT_TRUE(Drain(*subscription).empty());
  EXPECT_EQ(publisher.counters().standby_dropped_batches.Get(), 3u);
  EXPECT_EQ(publisher.counters().standby_dropped_records.Get(), 6u);
  EXPECT_EQ(publisher.StandbyDroppedRecords(&batcher), 6u);
  EXPECT_EQ(publisher.last_seq(), 2u);
  EXPECT_EQ(publisher.epoch(), 1u);

  publisher.SetRole(true, 7);
  AddRecords(batcher, 4);
  EXPECT_EQ(publisher.PollOnce(), 2);
  EXPECT_TRUE(publisher.active());
  EXPECT_EQ(publisher.epoch(), 7u);
  got = Drain(*subscription);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].epoch, 7u);
  EXPECT_EQ(got[0].seq, 1u);
  ASSERT_NE(got[0].Message(), nullptr);
  EXPECT_EQ(got[0].Message()->batch().seq(), 1u);
  EXPECT_EQ(got[0].Message()->batch().epoch(), 7u);
  EXPECT_EQ(got[1].seq, 2u);
  EXPECT_EQ(got[1].cumulative_records, 4u);

  // Re-asserting the same term (or a standalone controld's epoch 0) keeps counting.
  publisher.SetRole(true, 7);
  publisher.SetRole(true, 0);
  AddRecords(batcher, 2);
  EXPECT_EQ(publisher.PollOnce(), 1);
  EXPECT_EQ(publisher.last_seq(), 3u);
  EXPECT_EQ(publisher.epoch(), 7u);

  // Nothing decoded went unaccounted: received = published + dropped while standby.
  EXPECT_EQ(batcher.counters().records_added.Get(),
            publisher.counters().records_published.Get() +
                publisher.counters().standby_dropped_records.Get());
}

TEST(PublisherTest, PublishesEncodedBytesAndParsesOnlyWhenAsked) {
  batch::Batcher batcher(0, kLimits, 8, 1'000'000);
  HubOptions options;
  options.queue_capacity = 16;
  options.replay_bytes = 1 << 20;
  SubscriberHub hub(options);
  Publisher publisher("node-a", 5, {&batcher}, &hub);
  std::shared_ptr<Subscription> subscription = hub.Add("sub");
  AddRecords(batcher, 2);
  ASSERT_EQ(publisher.PollOnce(), 1);
  std::vector<PublishedBatch> got = Drain(*subscription);
  ASSERT_EQ(got.size(), 1u);
  const PublishedBatch& published = got[0];
  ASSERT_NE(published.encoded, nullptr);
  EXPECT_EQ(published.message, nullptr);
  // The ring is charged the bytes, and nothing was parsed on the export thread.
  EXPECT_EQ(published.bytes, ReplayFootprint(*published.encoded));
  EXPECT_EQ(hub.stats().replay.bytes, published.bytes);
  EXPECT_EQ(published.encoded->parsed_bytes(), 0u);

  v1::SubscribeResponse wire;
  ASSERT_TRUE(wire.ParseFromString(published.encoded->bytes().Flatten()));
  EXPECT_EQ(wire.batch().node_id(), "node-a");
  EXPECT_EQ(wire.batch().epoch(), 5u);
  EXPECT_EQ(wire.batch().seq(), 1u);
  EXPECT_EQ(wire.batch().record_count(), 2u);
  EXPECT_EQ(wire.batch().statsd().name_size(), 2);
  EXPECT_EQ(wire.batch().strings(wire.batch().statsd().name(0)), "requests");

  const v1::SubscribeResponse* message = published.Message();
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->SerializeAsString(), published.encoded->bytes().Flatten());
  EXPECT_GT(published.encoded->parsed_bytes(), 0u);
  EXPECT_EQ(hub.stats().replay.bytes, published.bytes + published.encoded->parsed_bytes());
}

// Over real gRPC: an unfiltered stream receives the encoded bytes as published; a
// filtered one the records of the message parsed from them.
TEST(PublisherTest, FilteredAndUnfilteredStreamsOfEncodedBatches) {
  ServedPublisher served(batch::BatchLimits{8, 1 << 16}, "node-f", 2);
  ASSERT_TRUE(served.server.ok()) << served.server.status();
  batch::Batcher& batcher = served.batcher;
  SubscriberHub& hub = served.hub;
  Publisher& publisher = served.publisher;
  auto stub = v1::Ingest::NewStub(served.Channel());
  grpc::ClientContext all_context, api_context;
  for (grpc::ClientContext* context : {&all_context, &api_context}) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  }
  v1::SubscribeRequest all_request, api_request;
  api_request.add_name_prefixes("api.");
  auto all = stub->Subscribe(&all_context, all_request);
  auto api = stub->Subscribe(&api_context, api_request);
  ASSERT_TRUE(hub.WaitForSubscribers(2, absl::Seconds(10)));

  decode::StatsdRecord record;
  record.value = 1;
  PacketMeta meta;
  meta.source_address_len = 4;
  for (int i = 0; i < 6; ++i) {
    record.name = i % 3 == 0 ? "api.requests" : "db.queries";
    meta.receive_unix_nanos = 100 + i;
    batcher.AddStatsd(record, meta);
  }
  batcher.FlushNow();
  ASSERT_EQ(publisher.PollOnce(), 1);
  const std::optional<PublishedBatch> published = hub.ring().Get(2, 1);
  ASSERT_TRUE(published.has_value());
  ASSERT_NE(published->encoded, nullptr);

  v1::SubscribeResponse got;
  ASSERT_TRUE(all->Read(&got));
  EXPECT_EQ(got.SerializeAsString(), published->encoded->bytes().Flatten());
  EXPECT_EQ(got.batch().record_count(), 6u);

  ASSERT_TRUE(api->Read(&got));
  ASSERT_TRUE(got.has_batch());
  EXPECT_EQ(got.batch().node_id(), "node-f");
  EXPECT_EQ(got.batch().seq(), 1u);
  EXPECT_EQ(got.batch().record_count(), 2u);
  ASSERT_EQ(got.batch().statsd().name_size(), 2);
  for (uint32_t name : got.batch().statsd().name()) {
    EXPECT_EQ(got.batch().strings(static_cast<int>(name)), "api.requests");
  }
  // The filtered stream parsed the batch once, and the ring now counts that message.
  EXPECT_GT(published->encoded->parsed_bytes(), 0u);
  EXPECT_EQ(hub.stats().replay.bytes, published->bytes + published->encoded->parsed_bytes());

  all_context.TryCancel();
  api_context.TryCancel();
}

// Over real gRPC, read as raw bytes: what an unfiltered subscriber receives is
// EncodeResponse's output byte for byte, for a batch held in several blocks and a
// partly filled last one, so every block boundary is crossed on the way.
TEST(PublisherTest, RawSubscriberGetsEncodeResponseBytesAcrossBlockBoundaries) {
  const batch::BatchLimits limits{4096, 1 << 20};
  ServedPublisher served(limits, "node-b", 9);
  ASSERT_TRUE(served.server.ok()) << served.server.status();
  batch::Batcher& batcher = served.batcher;
  SubscriberHub& hub = served.hub;
  Publisher& publisher = served.publisher;
  std::shared_ptr<grpc::Channel> channel = served.Channel();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::SubscribeRequest request;
  request.set_client_name("raw");
  const grpc::internal::RpcMethod method("/firehose.v1.Ingest/Subscribe",
                                         grpc::internal::RpcMethod::SERVER_STREAMING, channel);
  const grpc::Slice request_slice(request.SerializeAsString());
  const grpc::ByteBuffer request_bytes(&request_slice, 1);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(channel.get(), method, &context,
                                                                    request_bytes));
  ASSERT_TRUE(hub.WaitForSubscribers(1, absl::Seconds(10)));

  // The same records into the batcher and into a builder of our own for the expectation.
  batch::BatchBuilder expected_builder(limits);
  std::vector<std::string> names;
  for (int i = 0; i < 700; ++i) names.push_back("service.request.latency." + std::to_string(i));
  decode::StatsdRecord record;
  PacketMeta meta;
  meta.source_address_len = 4;
  for (int i = 0; i < 3000; ++i) {
    record.name = names[static_cast<size_t>(i * 7) % names.size()];
    record.value = i * 0.25;
    meta.receive_unix_nanos = 1'000'000 + i;
    batcher.AddStatsd(record, meta);
    ASSERT_EQ(expected_builder.AddStatsd(record, meta), batch::AddResult::kAdded);
  }
  batcher.FlushNow();
  ASSERT_EQ(publisher.PollOnce(), 1);
  std::string expected;
  expected_builder.EncodeResponse(batch::BatchHeader{"node-b", 9, 1}, &expected);
  ASSERT_GT(expected.size(), 2 * kBlockBytes + 1);
  const std::optional<PublishedBatch> published = hub.ring().Get(9, 1);
  ASSERT_TRUE(published.has_value());
  ASSERT_GE(published->encoded->bytes().block_count(), 3u);

  grpc::ByteBuffer got;
  ASSERT_TRUE(reader->Read(&got));
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(got.Dump(&slices).ok());
  std::string received;
  for (const grpc::Slice& slice : slices) {
    received.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  ASSERT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected) << "bytes differ";

  context.TryCancel();
}

TEST(PublisherTest, SubscriberReceivesEpochChangeNoticeThenNewEpochFromSeqOne) {
  ServedPublisher served(kLimits, "node-a", 3);
  ASSERT_TRUE(served.server.ok()) << served.server.status();
  batch::Batcher& batcher = served.batcher;
  SubscriberHub& hub = served.hub;
  Publisher& publisher = served.publisher;

  auto stub = v1::Ingest::NewStub(served.Channel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::SubscribeRequest request;
  request.set_client_name("epoch-test");
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
      stub->Subscribe(&context, request);
  ASSERT_TRUE(hub.WaitForSubscribers(1, absl::Seconds(10)));

  AddRecords(batcher, 2);
  ASSERT_EQ(publisher.PollOnce(), 1);
  v1::SubscribeResponse response;
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_TRUE(response.has_batch());
  EXPECT_EQ(response.batch().epoch(), 3u);
  EXPECT_EQ(response.batch().seq(), 1u);

  // Demoted: nothing reaches the stream. Promoted into epoch 4 with no traffic yet:
  // the notice comes anyway, before the new term's first batch.
  publisher.SetRole(false, 0);
  AddRecords(batcher, 2);
  ASSERT_EQ(publisher.PollOnce(), 1);
  publisher.SetRole(true, 4);
  ASSERT_EQ(publisher.PollOnce(), 0);
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_TRUE(response.has_notice());
  ASSERT_TRUE(response.notice().has_epoch_change()) << response.DebugString();
  EXPECT_EQ(response.notice().epoch_change().previous_epoch(), 3u);
  EXPECT_EQ(response.notice().epoch_change().epoch(), 4u);
  EXPECT_EQ(response.notice().epoch_change().role(), v1::EpochChange::ROLE_ACTIVE);

  AddRecords(batcher, 2);
  ASSERT_EQ(publisher.PollOnce(), 1);
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_TRUE(response.has_batch()) << response.DebugString();
  EXPECT_EQ(response.batch().epoch(), 4u);
  EXPECT_EQ(response.batch().seq(), 1u);

  context.TryCancel();
}

}  // namespace
}  // namespace firehose::exporter
