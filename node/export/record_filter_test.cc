// Tests record selection: kinds vs token, name prefixes, IPv4/IPv6 networks, and that
// consumer-group shards split a batch with no overlap and nothing left out.
#include "node/export/record_filter.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace firehose::exporter {
namespace {

std::string V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return std::string(
      {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)});
}

std::string V6Last(uint8_t last) {
  std::string bytes(16, '\0');
  bytes[0] = 0x20;
  bytes[1] = 0x01;
  bytes[2] = 0x0d;
  bytes[3] = static_cast<char>(0xb8);
  bytes[15] = static_cast<char>(last);
  return bytes;
}

// One record per sender: 40 IPv4 senders in 10.0.0.0/24 and 8 IPv6 ones in 2001:db8::/32,
// names alternating "cpu.*" / "mem.*", record i with i % 3 tags.
v1::Batch MakeBatch() {
  v1::Batch batch;
  batch.set_node_id("n");
  batch.set_epoch(3);
  batch.set_seq(9);
  batch.add_strings("");
  batch.add_strings("cpu.load");
  batch.add_strings("mem.free");
  batch.add_strings("tag");
  for (int i = 0; i < 48; ++i) {
    v1::Endpoint* e = batch.add_sources();
    e->set_address(i < 40 ? V4(10, 0, 0, static_cast<uint8_t>(i))
                          : V6Last(static_cast<uint8_t>(i)));
    e->set_port(1000 + i);
    v1::StatsdColumns* s = batch.mutable_statsd();
    s->add_name(i % 2 == 0 ? 1 : 2);
    s->add_value(i);
    s->add_type(v1::METRIC_TYPE_COUNTER);
    s->add_sample_rate(1);
    s->add_tag_count(i % 3);
    for (int t = 0; t < i % 3; ++t) s->add_tags(3);
    s->add_source(i);
    s->add_receive_offset_nanos(i);
    s->add_flags(0);
    s->add_text(0);
  }
  batch.set_record_count(48);
  return batch;
}

std::set<double> Values(const v1::Batch& batch) {
  std::set<double> values(batch.statsd().value().begin(), batch.statsd().value().end());
  return values;
}

TEST(CidrTest, ParsesAndMatchesV4AndV6) {
  auto v4 = Cidr::Parse("10.0.0.0/28");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(v4->Contains(V4(10, 0, 0, 15)));
  EXPECT_FALSE(v4->Contains(V4(10, 0, 0, 16)));
  EXPECT_FALSE(v4->Contains(V6Last(1)));
  auto v6 = Cidr::Parse("2001:db8::/32");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->Contains(V6Last(7)));
  EXPECT_FALSE(v6->Contains(V4(10, 0, 0, 1)));
  auto host = Cidr::Parse("10.0.0.3");
  ASSERT_TRUE(host.ok());
  EXPECT_TRUE(host->Contains(V4(10, 0, 0, 3)));
  EXPECT_FALSE(host->Contains(V4(10, 0, 0, 2)));
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/33").ok());
  EXPECT_FALSE(Cidr::Parse("not-an-address/8").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/x").ok());
}

TEST(RecordFilterTest, NoFiltersPassesEverything) {
  auto filter = RecordFilter::Create(v1::SubscribeRequest());
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(filter->PassesEverything());
}

TEST(RecordFilterTest, TokenKindsLimitTheRequest) {
  v1::SubscribeRequest request;
  request.add_kinds(v1::RECORD_KIND_FLOW);
  auto denied = RecordFilter::Create(request, KindBit(v1::RECORD_KIND_STATSD));
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  // Asking for nothing in particular means everything the token allows.
  auto all = RecordFilter::Create(v1::SubscribeRequest(), KindBit(v1::RECORD_KIND_STATSD));
  ASSERT_TRUE(all.ok());
  EXPECT_FALSE(all->PassesEverything());
  EXPECT_TRUE(all->WantsKind(v1::RECORD_KIND_STATSD));
  EXPECT_FALSE(all->WantsKind(v1::RECORD_KIND_FLOW));
  v1::Batch out;
  EXPECT_EQ(all->Apply(MakeBatch(), &out), 48u);
}

TEST(RecordFilterTest, KindFilterKeepsHeaderOfEmptyBatch) {
  v1::SubscribeRequest request;
  request.add_kinds(v1::RECORD_KIND_FLOW);
  auto filter = RecordFilter::Create(request);
  ASSERT_TRUE(filter.ok());
  v1::Batch out;
  EXPECT_EQ(filter->Apply(MakeBatch(), &out), 0u);
  EXPECT_EQ(out.seq(), 9u);
  EXPECT_EQ(out.epoch(), 3u);
  EXPECT_EQ(out.record_count(), 0u);
  EXPECT_EQ(out.statsd().name_size(), 0);
}

TEST(RecordFilterTest, NamePrefixKeepsMatchingRecordsWithTheirTags) {
  v1::SubscribeRequest request;
  request.add_name_prefixes("cpu.");
  auto filter = RecordFilter::Create(request);
  ASSERT_TRUE(filter.ok());
  v1::Batch out;
  ASSERT_EQ(filter->Apply(MakeBatch(), &out), 24u);
  int tags = 0;
  for (int i = 0; i < out.statsd().name_size(); ++i) {
    EXPECT_EQ(out.strings(out.statsd().name(i)), "cpu.load");
    const int original = static_cast<int>(out.statsd().value(i));
    EXPECT_EQ(out.statsd().tag_count(i), static_cast<uint32_t>(original % 3));
    tags += original % 3;
  }
  EXPECT_EQ(out.statsd().tags_size(), tags);
}

TEST(RecordFilterTest, SourceCidrsSelectV4AndV6Senders) {
  v1::SubscribeRequest request;
  request.add_source_cidrs("10.0.0.0/29");
  request.add_source_cidrs("2001:db8::/32");
  auto filter = RecordFilter::Create(request);
  ASSERT_TRUE(filter.ok());
  v1::Batch out;
  ASSERT_EQ(filter->Apply(MakeBatch(), &out), 8u + 8u);
  std::set<double> expected;
  for (int i = 0; i < 8; ++i) expected.insert(i);
  for (int i = 40; i < 48; ++i) expected.insert(i);
  EXPECT_EQ(Values(out), expected);
}

TEST(RecordFilterTest, ConsumerGroupShardsPartitionTheBatch) {
  constexpr uint32_t kShards = 3;
  const v1::Batch batch = MakeBatch();
  std::multiset<double> seen;
  for (uint32_t i = 0; i < kShards; ++i) {
    v1::SubscribeRequest request;
    request.mutable_group()->set_shard_index(i);
    request.mutable_group()->set_shard_count(kShards);
    auto filter = RecordFilter::Create(request);
    ASSERT_TRUE(filter.ok());
    v1::Batch out;
    const uint32_t kept = filter->Apply(batch, &out);
    // A fair hash over 48 senders leaves no shard empty.
    EXPECT_GT(kept, 0u) << "shard " << i;
    for (double v : out.statsd().value()) seen.insert(v);
    // Every kept record's sender hashes to this shard.
    for (uint32_t src : out.statsd().source()) {
      EXPECT_EQ(SourceShardHash(out.sources(src).address()) % kShards, i);
    }
  }
  ASSERT_EQ(seen.size(), 48u);  // nothing twice, nothing missing
  EXPECT_EQ(std::set<double>(seen.begin(), seen.end()).size(), 48u);
}

TEST(RecordFilterTest, OtherSectionsFollowTheKindFilterWhole) {
  v1::Batch batch = MakeBatch();
  for (int i = 0; i < 5; ++i) {
    batch.mutable_flows()->add_version(10);
    batch.mutable_flows()->add_exporter(0);
  }
  batch.set_record_count(48 + 5);
  v1::SubscribeRequest flows_only;
  flows_only.add_kinds(v1::RECORD_KIND_FLOW);
  auto filter = RecordFilter::Create(flows_only);
  ASSERT_TRUE(filter.ok());
  v1::Batch out;
  EXPECT_EQ(filter->Apply(batch, &out), 5u);
  EXPECT_EQ(out.flows().version_size(), 5);
  EXPECT_EQ(out.statsd().name_size(), 0);
  EXPECT_EQ(out.sources_size(), batch.sources_size());  // indexes stay valid
  // Record-level filters exist for statsd only so far: flows are left out rather than
  // sent to a subscriber (or a shard) that excluded them.
  v1::SubscribeRequest sharded;
  sharded.mutable_group()->set_shard_index(0);
  sharded.mutable_group()->set_shard_count(2);
  auto shard = RecordFilter::Create(sharded);
  ASSERT_TRUE(shard.ok());
  shard->Apply(batch, &out);
  EXPECT_FALSE(out.has_flows());
}

TEST(RecordFilterTest, RejectsBadShardAndBadKind) {
  v1::SubscribeRequest shard;
  shard.mutable_group()->set_shard_index(2);
  shard.mutable_group()->set_shard_count(2);
  EXPECT_EQ(RecordFilter::Create(shard).status().code(), absl::StatusCode::kInvalidArgument);
  v1::SubscribeRequest kind;
  kind.add_kinds(static_cast<v1::RecordKind>(77));
  EXPECT_EQ(RecordFilter::Create(kind).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ConstantHashTest, FnvIsStable) {
  // The hash is part of the wire contract (ConsumerGroup): pin its value.
  EXPECT_EQ(SourceShardHash(""), 14695981039346656037ull);
  EXPECT_EQ(SourceShardHash("a"), 0xaf63dc4c8601ec8cull);
}

}  // namespace
}  // namespace firehose::exporter
