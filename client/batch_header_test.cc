// ReadBatchHeader against protobuf's own serialisation: the header of a full batch,
// nothing for notices, last-wins for appended fields (as a parse gives), and an error
// for bytes that are not a message.
#include "client/batch_header.h"

#include <string>

#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"
#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::client {
namespace {

absl::StatusOr<std::optional<BatchHeader>> Read(const std::string& bytes) {
  // Small chunks, so fields and skipped columns straddle the stream's buffers.
  google::protobuf::io::ArrayInputStream input(bytes.data(), static_cast<int>(bytes.size()),
                                               /*block_size=*/7);
  return ReadBatchHeader(&input);
}

v1::SubscribeResponse FullBatch() {
  v1::SubscribeResponse response;
  v1::Batch* batch = response.mutable_batch();
  batch->set_node_id("node-a");
  batch->set_epoch(42);
  batch->set_seq(1'000'000'007);
  batch->set_first_receive_unix_nanos(1'700'000'000'000'000'000);
  batch->set_record_count(300);
  batch->add_strings("");
  for (int i = 0; i < 300; ++i) {
    batch->add_strings("metric.name." + std::to_string(i));
    batch->mutable_statsd()->add_name(i + 1);
    batch->mutable_statsd()->add_value(i * 0.5);
    batch->mutable_statsd()->add_type(v1::METRIC_TYPE_GAUGE);
  }
  batch->add_sources()->set_address(std::string("\x0a\x00\x00\x01", 4));
  batch->set_queue_id(3);
  batch->set_origin_pair("edge");
  return response;
}

TEST(BatchHeaderTest, ReadsTheHeaderOfAFullBatch) {
  const absl::StatusOr<std::optional<BatchHeader>> header = Read(FullBatch().SerializeAsString());
  ASSERT_TRUE(header.ok()) << header.status();
  ASSERT_TRUE(header->has_value());
  EXPECT_EQ((*header)->node_id, "node-a");
  EXPECT_EQ((*header)->epoch, 42u);
  EXPECT_EQ((*header)->seq, 1'000'000'007u);
  EXPECT_EQ((*header)->record_count, 300u);
}

TEST(BatchHeaderTest, NoticesAndEmptyResponsesHaveNoHeader) {
  v1::SubscribeResponse notice;
  notice.mutable_notice()->mutable_heartbeat()->set_epoch(7);
  absl::StatusOr<std::optional<BatchHeader>> header = Read(notice.SerializeAsString());
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_FALSE(header->has_value());
  header = Read("");
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_FALSE(header->has_value());
}

TEST(BatchHeaderTest, AppendedFieldsReadAsTheParsedMessage) {
  v1::SubscribeResponse stamp;
  stamp.mutable_batch()->set_node_id("relay-1");
  stamp.mutable_batch()->set_seq(9);
  const std::string bytes = FullBatch().SerializeAsString() + stamp.SerializeAsString();
  v1::SubscribeResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  const absl::StatusOr<std::optional<BatchHeader>> header = Read(bytes);
  ASSERT_TRUE(header.ok()) << header.status();
  ASSERT_TRUE(header->has_value());
  EXPECT_EQ((*header)->node_id, parsed.batch().node_id());
  EXPECT_EQ((*header)->node_id, "relay-1");
  EXPECT_EQ((*header)->epoch, parsed.batch().epoch());
  EXPECT_EQ((*header)->seq, 9u);
  EXPECT_EQ((*header)->record_count, parsed.batch().record_count());

  // A notice after a batch replaces it (a oneof), as in the parsed message.
  v1::SubscribeResponse notice;
  notice.mutable_notice()->mutable_heartbeat()->set_epoch(1);
  ASSERT_TRUE(parsed.ParseFromString(bytes + notice.SerializeAsString()));
  ASSERT_FALSE(parsed.has_batch());
  const absl::StatusOr<std::optional<BatchHeader>> replaced =
      Read(bytes + notice.SerializeAsString());
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_FALSE(replaced->has_value());
}

TEST(BatchHeaderTest, MalformedBytesAreAnErrorNotAHeader) {
  const std::string bytes = FullBatch().SerializeAsString();
  // Cut inside the columns, inside the header, and inside the outer length.
  for (size_t cut : {bytes.size() - 1, bytes.size() / 2, size_t{5}, size_t{1}}) {
    v1::SubscribeResponse parsed;
    EXPECT_FALSE(parsed.ParseFromString(bytes.substr(0, cut))) << cut;
    EXPECT_FALSE(Read(bytes.substr(0, cut)).ok()) << "cut at " << cut;
  }
  // Field number 0 is not a valid tag.
  EXPECT_FALSE(Read(std::string("\x00\x01", 2)).ok());
  // A group end with no start.
  EXPECT_FALSE(Read("\x0c").ok());
}

}  // namespace
}  // namespace firehose::client
