// The relay's stamps appended to a node's batch parse as the stamped batch: the
// relay's identity, the node's as origin, every column untouched, and zero-valued
// stamps replacing non-zero ones.
#include "relay/relay_stamps.h"

#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::relay {
namespace {

v1::SubscribeResponse NodeBatch() {
  v1::SubscribeResponse response;
  v1::Batch* batch = response.mutable_batch();
  batch->set_node_id("node-a");
  batch->set_epoch(12);
  batch->set_seq(345);
  batch->set_record_count(2);
  batch->add_strings("");
  batch->add_strings("cpu.load");
  batch->mutable_statsd()->add_name(1);
  batch->mutable_statsd()->add_name(1);
  batch->mutable_statsd()->add_value(0.5);
  batch->mutable_statsd()->add_value(2);
  return response;
}

TEST(RelayStampsTest, NodeBytesPlusStampsParseAsTheStampedBatch) {
  const v1::SubscribeResponse node = NodeBatch();
  const std::string bytes = node.SerializeAsString() + EncodeRelayStamps(RelayStamps{
                                                           .node_id = "relay-1",
                                                           .epoch = 99,
                                                           .seq = 7,
                                                           .origin_pair = "edge",
                                                           .origin_node_id = "node-a",
                                                           .origin_epoch = 12,
                                                           .origin_seq = 345,
                                                       });
  v1::SubscribeResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  v1::SubscribeResponse want = node;
  v1::Batch* batch = want.mutable_batch();
  batch->set_node_id("relay-1");
  batch->set_epoch(99);
  batch->set_seq(7);
  batch->set_origin_pair("edge");
  batch->set_origin_node_id("node-a");
  batch->set_origin_epoch(12);
  batch->set_origin_seq(345);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, want))
      << parsed.DebugString();
}

TEST(RelayStampsTest, ZeroAndEmptyStampsStillReplaceTheNodesValues) {
  // A batch that already carries origin fields (a relay behind a relay): the stamps
  // replace them all, zeros included.
  v1::SubscribeResponse node = NodeBatch();
  node.mutable_batch()->set_origin_pair("far");
  node.mutable_batch()->set_origin_node_id("far-node");
  node.mutable_batch()->set_origin_epoch(5);
  node.mutable_batch()->set_origin_seq(6);
  v1::SubscribeResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(node.SerializeAsString() +
                                     EncodeRelayStamps(RelayStamps{.node_id = "relay-1"})));
  const v1::Batch& batch = parsed.batch();
  EXPECT_EQ(batch.node_id(), "relay-1");
  EXPECT_EQ(batch.epoch(), 0u);
  EXPECT_EQ(batch.seq(), 0u);
  EXPECT_EQ(batch.origin_pair(), "");
  EXPECT_EQ(batch.origin_node_id(), "");
  EXPECT_EQ(batch.origin_epoch(), 0u);
  EXPECT_EQ(batch.origin_seq(), 0u);
  EXPECT_EQ(batch.statsd().value_size(), 2);
}

}  // namespace
}  // namespace firehose::relay
