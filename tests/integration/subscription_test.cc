// Subscriptions over real gRPC, end to end through the export stage and the C++ client
// library: consumer groups split the stream with no overlap, filters select what they
// say, resume continues without loss or duplicates (also across a server restart),
// expired resumes and slow subscribers are told exactly what they missed or are
// disconnected with a clear status, idle streams carry heartbeats, and the standard
// health service answers.
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/client_unary_call.h"
#include "gtest/gtest.h"
#include "node/export/record_filter.h"
#include "node/export/replay_ring.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"
#include "tests/integration/subscription_test_node.h"

namespace firehose::testing {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(20);

exporter::HubOptions Hub(
    uint32_t queue = 256, uint64_t replay_bytes = 64 << 20,
    exporter::SlowSubscriberPolicy policy = exporter::SlowSubscriberPolicy::kDropOldest) {
  exporter::HubOptions options;
  options.queue_capacity = queue;
  options.replay_bytes = replay_bytes;
  options.policy = policy;
  return options;
}

client::SubscriberOptions Client(const TestNode& node, const std::string& name) {
  client::SubscriberOptions options;
  options.address = node.address();
  options.request.set_client_name(name);
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(200);
  options.max_attempts = 50;
  return options;
}

std::set<uint64_t> Range(uint64_t from, uint64_t to) {
  std::set<uint64_t> out;
  for (uint64_t v = from; v < to; ++v) out.insert(v);
  return out;
}

TEST(SubscriptionTest, ConsumerGroupShardsSplitTheStreamWithNoOverlap) {
  TestNode node(Hub());
  ASSERT_TRUE(node.start_status().ok()) << node.start_status();
  constexpr uint32_t kShards = 3;
  std::vector<std::unique_ptr<Collected>> shards;
  for (uint32_t i = 0; i < kShards; ++i) {
    client::SubscriberOptions options = Client(node, absl::StrCat("shard", i));
    options.request.mutable_group()->set_shard_index(i);
    options.request.mutable_group()->set_shard_count(kShards);
    shards.push_back(std::make_unique<Collected>(options));
  }
  Collected everything(Client(node, "all"));
  ASSERT_TRUE(node.hub().WaitForSubscribers(kShards + 1, kWait));
  for (int b = 0; b < 20; ++b) node.PublishBatch(100);
  const uint64_t total = node.published_records();
  ASSERT_TRUE(everything.WaitForValues(total, kWait));

  std::multiset<uint64_t> combined;
  for (uint32_t i = 0; i < kShards; ++i) {
    // Each shard sees every batch (seq stays dense), however few records it keeps.
    ASSERT_TRUE(shards[i]->WaitForBatches(20, kWait));
    ASSERT_EQ(shards[i]->seqs().size(), 20u) << "shard " << i;
    const std::multiset<uint64_t> values = shards[i]->values();
    EXPECT_FALSE(values.empty()) << "shard " << i;
    for (uint64_t v : values) {
      EXPECT_EQ(exporter::SourceShardHash(SenderAddress(v)) % kShards, i) << v;
    }
    combined.insert(values.begin(), values.end());
  }
  // Together the shards received every record exactly once.
  EXPECT_EQ(combined.size(), total);
  EXPECT_EQ(std::set<uint64_t>(combined.begin(), combined.end()), Range(0, total));
  EXPECT_EQ(everything.values().size(), total);
}

TEST(SubscriptionTest, NamePrefixAndSourceFiltersSelectWhatTheySay) {
  TestNode node(Hub());
  ASSERT_TRUE(node.start_status().ok());
  client::SubscriberOptions cpu = Client(node, "cpu");
  cpu.request.add_name_prefixes("cpu.");
  client::SubscriberOptions v6 = Client(node, "v6");
  v6.request.add_source_cidrs("2001:db8::/32");
  client::SubscriberOptions none = Client(node, "flows");
  none.request.add_kinds(v1::RECORD_KIND_FLOW);
  Collected cpu_sub(cpu), v6_sub(v6), flow_sub(none);
  ASSERT_TRUE(node.hub().WaitForSubscribers(3, kWait));
  for (int b = 0; b < 4; ++b) node.PublishBatch(128);
  const uint64_t total = node.published_records();
  // cpu.load and cpu.idle: values with v % 4 in {0, 1}; IPv6 senders: v % 64 >= 56.
  std::set<uint64_t> want_cpu, want_v6;
  for (uint64_t v = 0; v < total; ++v) {
    if (v % 4 < 2) want_cpu.insert(v);
    if (v % 64 >= 56) want_v6.insert(v);
  }
  ASSERT_TRUE(cpu_sub.WaitForValues(want_cpu.size(), kWait));
  ASSERT_TRUE(v6_sub.WaitForValues(want_v6.size(), kWait));
  const std::multiset<uint64_t> cpu_values = cpu_sub.values();
  const std::multiset<uint64_t> v6_values = v6_sub.values();
  EXPECT_EQ(std::set<uint64_t>(cpu_values.begin(), cpu_values.end()), want_cpu);
  EXPECT_EQ(cpu_values.size(), want_cpu.size());
  EXPECT_EQ(std::set<uint64_t>(v6_values.begin(), v6_values.end()), want_v6);
  // A subscriber whose filter matches nothing still sees every batch header, so a hole
  // in seq would mean loss.
  ASSERT_TRUE(flow_sub.WaitForBatches(4, kWait));
  EXPECT_EQ(flow_sub.seqs(), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_TRUE(flow_sub.values().empty());
}

TEST(SubscriptionTest, ResumeAfterAPositionContinuesWithoutLossOrDuplicates) {
  TestNode node(Hub());
  ASSERT_TRUE(node.start_status().ok());
  client::Position position;
  {
    Collected first(Client(node, "first"));
    ASSERT_TRUE(node.hub().WaitForSubscribers(1, kWait));
    for (int b = 0; b < 5; ++b) node.PublishBatch(10);
    ASSERT_TRUE(first.WaitForValues(50, kWait));
    position = *first.position();
    first.Stop();
  }
  EXPECT_EQ(position.seq, 5u);
  for (int b = 0; b < 5; ++b) node.PublishBatch(10);  // published while it was away
  client::SubscriberOptions options = Client(node, "resumed");
  options.request.mutable_start()->set_from(v1::StartPosition::FROM_AFTER);
  options.request.mutable_start()->set_epoch(position.epoch);
  options.request.mutable_start()->set_seq(position.seq);
  Collected resumed(options);
  ASSERT_TRUE(resumed.WaitForValues(50, kWait));
  node.PublishBatch(10);  // and live again afterwards
  ASSERT_TRUE(resumed.WaitForValues(60, kWait));
  EXPECT_EQ(resumed.seqs(), (std::vector<uint64_t>{6, 7, 8, 9, 10, 11}));
  const std::multiset<uint64_t> values = resumed.values();
  EXPECT_EQ(std::set<uint64_t>(values.begin(), values.end()), Range(50, 110));
  EXPECT_EQ(values.size(), 60u);
  EXPECT_TRUE(resumed.notices().empty());

  // From the earliest retained batch: the whole ring, in order.
  client::SubscriberOptions earliest = Client(node, "earliest");
  earliest.request.mutable_start()->set_from(v1::StartPosition::FROM_EARLIEST);
  Collected from_start(earliest);
  ASSERT_TRUE(from_start.WaitForValues(110, kWait));
  EXPECT_EQ(from_start.seqs().front(), 1u);
}

TEST(SubscriptionTest, ResumeFromBeyondTheRingIsToldExactlyWhatItMissed) {
  // Each 50-record batch is about 1.5 KB: a 4 KB ring keeps the last two or so.
  TestNode node(Hub(256, 4096));
  ASSERT_TRUE(node.start_status().ok());
  for (int b = 0; b < 10; ++b) node.PublishBatch(50 + b);  // distinct sizes: exact counts
  const uint64_t first_kept = node.hub().ring().FirstRetained(1);
  ASSERT_GT(first_kept, 3u);
  client::SubscriberOptions options = Client(node, "late");
  options.request.mutable_start()->set_from(v1::StartPosition::FROM_AFTER);
  options.request.mutable_start()->set_epoch(1);
  options.request.mutable_start()->set_seq(2);
  Collected late(options);
  uint64_t missed = 0, expected_values = 0;
  for (uint64_t seq = 3; seq < first_kept; ++seq) missed += 50 + (seq - 1);
  for (uint64_t seq = first_kept; seq <= 10; ++seq) expected_values += 50 + (seq - 1);
  ASSERT_TRUE(late.WaitForValues(expected_values, kWait));
  const std::vector<v1::Notice> notices = late.notices();
  ASSERT_EQ(notices.size(), 1u);
  const v1::Gap& gap = notices[0].gap();
  EXPECT_EQ(gap.reason(), v1::Gap::REASON_REPLAY_EXPIRED);
  EXPECT_EQ(gap.first_seq(), 3u);
  EXPECT_EQ(gap.last_seq(), first_kept - 1);
  EXPECT_EQ(gap.batches(), first_kept - 3);
  EXPECT_EQ(gap.records(), missed);
  EXPECT_EQ(late.seqs().front(), first_kept);
  // Resuming from a seq the node never published is refused, not silently served.
  client::SubscriberOptions future = Client(node, "future");
  future.request.mutable_start()->set_from(v1::StartPosition::FROM_AFTER);
  future.request.mutable_start()->set_epoch(1);
  future.request.mutable_start()->set_seq(99);
  Collected refused(future);
  ASSERT_TRUE(refused.WaitForDone(kWait));
  EXPECT_EQ(refused.result().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(SubscriptionTest, ClientReconnectsAndResumesAcrossAServerRestart) {
  TestNode node(Hub());
  ASSERT_TRUE(node.start_status().ok());
  Collected sub(Client(node, "follower"));
  ASSERT_TRUE(node.hub().WaitForSubscribers(1, kWait));
  for (int b = 0; b < 3; ++b) node.PublishBatch(20);
  ASSERT_TRUE(sub.WaitForValues(60, kWait));
  node.StopServer();
  for (int b = 0; b < 3; ++b) node.PublishBatch(20);  // published while it cannot connect
  node.RestartServer();
  ASSERT_TRUE(node.start_status().ok()) << node.start_status();
  ASSERT_TRUE(sub.WaitForValues(120, kWait));
  node.PublishBatch(20);
  ASSERT_TRUE(sub.WaitForValues(140, kWait));
  EXPECT_EQ(sub.seqs(), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(sub.values().size(), 140u);
  EXPECT_GE(sub.stats().connections, 2u);
  EXPECT_EQ(sub.stats().duplicates_skipped, 0u);
  EXPECT_TRUE(sub.notices().empty());
}

// RunOwned (what the relay uses): each response arrives in its own message from the
// factory, which the callback keeps; later reads leave earlier messages untouched.
TEST(SubscriptionTest, RunOwnedHandsOverEveryResponseInItsOwnMessage) {
  TestNode node(Hub());
  ASSERT_TRUE(node.start_status().ok());
  client::Subscriber subscriber(Client(node, "owner"));
  absl::Mutex mu;
  std::vector<std::shared_ptr<v1::SubscribeResponse>> kept;
  int made = 0;
  std::thread reader([&] {
    (void)subscriber.RunOwned(
        [&] {
          ++made;  // only the reading thread calls the factory
          return exporter::NewBatchMessage();
        },
        [&](std::shared_ptr<v1::SubscribeResponse> message) {
          if (!message->has_batch()) return;
          absl::MutexLock lock(&mu);
          kept.push_back(std::move(message));
        });
  });
  ASSERT_TRUE(node.hub().WaitForSubscribers(1, kWait));
  for (int b = 0; b < 3; ++b) node.PublishBatch(10 + b);
  {
    absl::MutexLock lock(&mu);
    mu.AwaitWithTimeout(absl::Condition(
                            +[](std::vector<std::shared_ptr<v1::SubscribeResponse>>* messages) {
                              return messages->size() == 3;
                            },
                            &kept),
                        kWait);
  }
  subscriber.Stop();
  reader.join();
  ASSERT_EQ(kept.size(), 3u);
  for (size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(kept[i]->batch().seq(), i + 1) << "message " << i << " was overwritten";
    EXPECT_EQ(kept[i]->batch().record_count(), 10 + i);
    EXPECT_NE(kept[i]->GetArena(), nullptr);
    if (i > 0) {
      EXPECT_NE(kept[i].get(), kept[i - 1].get());
    }
  }
  EXPECT_GE(made, 4);  // one per response read, plus the one the next read was waiting in
}

// RunRaw (what the relay forwards with): batches as their header and bytes, which parse
// to the batch the header describes; notices parsed; position and stats as in Run().
TEST(SubscriptionTest, RunRawHandsOverBatchBytesWithTheirHeader) {
  exporter::IngestServiceOptions service;
  service.heartbeat_interval = absl::Milliseconds(50);
  TestNode node(Hub(), service);
  ASSERT_TRUE(node.start_status().ok());
  client::Subscriber subscriber(Client(node, "raw"));
  absl::Mutex mu;
  std::vector<client::Subscriber::RawResponse> batches;
  int notices = 0;
  std::thread reader([&] {
    (void)subscriber.RunRaw([&](client::Subscriber::RawResponse response) {
      absl::MutexLock lock(&mu);
      if (response.batch.has_value()) {
        batches.push_back(std::move(response));
      } else if (response.message != nullptr && response.message->has_notice()) {
        ++notices;
      }
    });
  });
  ASSERT_TRUE(node.hub().WaitForSubscribers(1, kWait));
  for (int b = 0; b < 3; ++b) node.PublishBatch(5 + b);
  {
    absl::MutexLock lock(&mu);
    mu.AwaitWithTimeout(absl::Condition(
                            +[](std::vector<client::Subscriber::RawResponse>* received) {
                              return received->size() == 3;
                            },
                            &batches),
                        kWait);
    mu.AwaitWithTimeout(absl::Condition(
                            +[](int* seen) { return *seen >= 2; }, &notices),
                        kWait);
  }
  subscriber.Stop();
  reader.join();
  ASSERT_EQ(batches.size(), 3u);
  for (size_t i = 0; i < batches.size(); ++i) {
    const client::BatchHeader& header = *batches[i].batch;
    std::vector<grpc::Slice> slices;
    ASSERT_TRUE(batches[i].bytes.Dump(&slices).ok());
    std::string bytes;
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    v1::SubscribeResponse parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    EXPECT_EQ(header.seq, i + 1);
    EXPECT_EQ(header.seq, parsed.batch().seq());
    EXPECT_EQ(header.epoch, parsed.batch().epoch());
    EXPECT_EQ(header.node_id, parsed.batch().node_id());
    EXPECT_EQ(header.record_count, 5 + i);
    EXPECT_EQ(parsed.batch().record_count(), 5 + i);
  }
  EXPECT_GE(notices, 2);  // heartbeats, parsed
  EXPECT_EQ(subscriber.stats().batches, 3u);
  EXPECT_EQ(subscriber.stats().records, 5u + 6 + 7);
  EXPECT_GE(subscriber.stats().heartbeats, 2u);
  ASSERT_TRUE(subscriber.position().has_value());
  EXPECT_EQ(subscriber.position()->seq, 3u);
}

TEST(SubscriptionTest, IdleStreamsCarryHeartbeats) {
  exporter::IngestServiceOptions service;
  service.heartbeat_interval = absl::Milliseconds(100);
  TestNode node(Hub(), service);
  ASSERT_TRUE(node.start_status().ok());
  client::SubscriberOptions options = Client(node, "idle");
  // Without heartbeats this timeout would fire and reconnect.
  options.idle_timeout = absl::Milliseconds(600);
  Collected sub(options);
  ASSERT_TRUE(node.hub().WaitForSubscribers(1, kWait));
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_GE(sub.stats().heartbeats, 5u);
  EXPECT_EQ(sub.stats().connections, 1u);
}

// A raw stub reader that does not read until told: a stuck subscriber.
struct StuckReader {
  explicit StuckReader(const std::string& address) {
    stub = v1::Ingest::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    v1::SubscribeRequest request;
    request.set_client_name("stuck");
    reader = stub->Subscribe(&context, request);
  }
  std::unique_ptr<v1::Ingest::Stub> stub;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader;
};

TEST(SubscriptionTest, StuckSubscriberIsDroppedOldestWithExactCountsAndNeverSlowsPublish) {
  TestNode node(Hub(/*queue=*/4));
  ASSERT_TRUE(node.start_status().ok());
  StuckReader stuck(node.address());
  ASSERT_TRUE(node.hub().WaitForSubscribers(1, kWait));
  // ~60 KB per batch: far more than gRPC's flow-control windows hold.
  const absl::Time start = absl::Now();
  for (int b = 0; b < 200; ++b) node.PublishBatch(2000);
  const absl::Duration publish_time = absl::Now() - start;
  EXPECT_LT(publish_time, absl::Seconds(5)) << "publishing waited for the stuck subscriber";
  uint64_t delivered = 0, missed = 0, batches = 0;
  v1::SubscribeResponse message;
  node.hub().Close();  // the stream ends once its queue is drained
  while (stuck.reader->Read(&message)) {
    if (message.has_batch()) {
      delivered += message.batch().record_count();
      ++batches;
    }
    if (message.has_notice() && message.notice().has_gap()) {
      EXPECT_EQ(message.notice().gap().reason(), v1::Gap::REASON_SUBSCRIBER_QUEUE_FULL);
      missed += message.notice().gap().records();
    }
  }
  EXPECT_TRUE(stuck.reader->Finish().ok());
  EXPECT_GT(missed, 0u);
  EXPECT_EQ(delivered + missed, node.published_records());
  EXPECT_LE(batches, 200u);
}

TEST(SubscriptionTest, DisconnectPolicyEndsAStuckStreamWithAClearStatus) {
  TestNode node(Hub(/*queue=*/4, 64 << 20, exporter::SlowSubscriberPolicy::kDisconnect));
  ASSERT_TRUE(node.start_status().ok());
  StuckReader stuck(node.address());
  ASSERT_TRUE(node.hub().WaitForSubscribers(1, kWait));
  for (int b = 0; b < 200; ++b) node.PublishBatch(2000);
  v1::SubscribeResponse message;
  int read = 0;
  while (stuck.reader->Read(&message) && read < 1000) ++read;
  const grpc::Status status = stuck.reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("too slow"));
  EXPECT_THAT(status.error_message(), HasSubstr("resume after epoch 1 seq"));
  const absl::Time deadline = absl::Now() + kWait;
  while (node.hub().stats().disconnected_slow == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(node.hub().stats().disconnected_slow, 1u);
}

// grpc.health.v1.Health/Check with an empty service name, as raw protobuf bytes:
// request {} and response {status: N} = 0x08 N.
int HealthStatus(const std::string& address) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::ByteBuffer request, response;
  grpc::Slice empty("");
  request = grpc::ByteBuffer(&empty, 1);
  const grpc::internal::RpcMethod method("/grpc.health.v1.Health/Check",
                                         grpc::internal::RpcMethod::NORMAL_RPC);
  grpc::Status status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel.get(), method, &context, request, &response);
  if (!status.ok()) return -status.error_code();
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return -100;
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (bytes.size() != 2 || bytes[0] != 0x08) return -101;
  return bytes[1];
}

TEST(SubscriptionTest, HealthServiceReportsServingThenNotServingWhileDraining) {
  TestNode node(Hub());
  ASSERT_TRUE(node.start_status().ok());
  EXPECT_EQ(HealthStatus(node.address()), 1);  // SERVING
  exporter::SetServing(node.server(), false);
  EXPECT_EQ(HealthStatus(node.address()), 2);  // NOT_SERVING
}

}  // namespace
}  // namespace firehose::testing
