// Tests record selection: kinds vs token, name prefixes, IPv4/IPv6 networks, and that
// consumer-group shards split a batch with no overlap and nothing left out — for statsd,
// flow and line-protocol sections, with every column of the kept records intact.
#include "node/export/record_filter.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
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

// The port of MakeBatch's sender `index` (what identifies a sender after the filter
// renumbers the sender list).
uint32_t SenderPort(int index) { return 1000 + static_cast<uint32_t>(index); }

// out.strings(index), or a marker when the index is out of range.
std::string StringAt(const v1::Batch& out, uint32_t index) {
  return index < static_cast<uint32_t>(out.strings_size()) ? out.strings(static_cast<int>(index))
                                                           : "<out of range>";
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

TEST(RecordFilterTest, NamePrefixKeepsMatchingRecordsWithTheirTagsAndOnlyTheirStrings) {
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
  // "mem.free" is no kept record's name: it is not sent. Order is the input's.
  EXPECT_EQ(std::vector<std::string>(out.strings().begin(), out.strings().end()),
            (std::vector<std::string>{"", "cpu.load", "tag"}));
  // The even senders only, each record still pointing at its own.
  ASSERT_EQ(out.sources_size(), 24);
  for (int i = 0; i < out.statsd().name_size(); ++i) {
    const int original = static_cast<int>(out.statsd().value(i));
    EXPECT_EQ(out.sources(static_cast<int>(out.statsd().source(i))).port(), SenderPort(original));
  }
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

TEST(RecordFilterTest, EveryStringColumnIsRenumbered) {
  v1::Batch batch;
  for (const char* entry : {"", "a.x", "b.y", "member", "container", "t1", "t2"}) {
    batch.add_strings(entry);
  }
  batch.add_sources()->set_port(7);
  batch.add_sources()->set_port(8);
  v1::StatsdColumns* s = batch.mutable_statsd();
  // Record 0: a.x, set member, container, tags t2 and one past the dictionary's end.
  // Record 1: b.y with tag t1 (filtered out). Record 2: a.x, no text, tag t2.
  const uint32_t names[] = {1, 2, 1}, texts[] = {3, 0, 0}, containers[] = {4, 0, 0};
  const uint32_t tag_counts[] = {2, 1, 1}, sources[] = {1, 0, 1};
  for (int i = 0; i < 3; ++i) {
    s->add_name(names[i]);
    s->add_value(i);
    s->add_text(texts[i]);
    s->add_container_id(containers[i]);
    s->add_tag_count(tag_counts[i]);
    s->add_source(sources[i]);
  }
  for (uint32_t tag : {6u, 99u, 5u, 6u}) s->add_tags(tag);
  batch.set_record_count(3);

  v1::SubscribeRequest request;
  request.add_name_prefixes("a.");
  auto filter = RecordFilter::Create(request);
  ASSERT_TRUE(filter.ok());
  v1::Batch out;
  ASSERT_EQ(filter->Apply(batch, &out), 2u);
  EXPECT_EQ(std::vector<std::string>(out.strings().begin(), out.strings().end()),
            (std::vector<std::string>{"", "a.x", "member", "container", "t2"}));
  const v1::StatsdColumns& o = out.statsd();
  EXPECT_EQ(StringAt(out, o.name(0)), "a.x");
  EXPECT_EQ(StringAt(out, o.name(1)), "a.x");
  EXPECT_EQ(StringAt(out, o.text(0)), "member");
  EXPECT_EQ(o.text(1), 0u);  // "none" stays 0
  EXPECT_EQ(StringAt(out, o.container_id(0)), "container");
  ASSERT_EQ(o.tags_size(), 3);
  EXPECT_EQ(StringAt(out, o.tags(0)), "t2");
  // A malformed index stays past the end of the (smaller) dictionary.
  EXPECT_GE(o.tags(1), static_cast<uint32_t>(out.strings_size()));
  EXPECT_EQ(StringAt(out, o.tags(2)), "t2");
  ASSERT_EQ(out.sources_size(), 1);
  EXPECT_EQ(out.sources(0).port(), 8u);
  EXPECT_EQ(o.source(0), 0u);
  EXPECT_EQ(o.source(1), 0u);
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
}

// Flows from the senders of MakeBatch: flow i is exported by sender 5*i (i < 8, so
// senders 0, 5, ..., 35, all IPv4) or an IPv6 sender (i = 8, 9: senders 40, 41).
// Flow i has i % 3 enterprise fields of i + 1 bytes each, its own src address and ports.
v1::Batch AddFlows(v1::Batch batch) {
  v1::FlowColumns* f = batch.mutable_flows();
  for (int i = 0; i < 10; ++i) {
    f->add_version(i % 2 == 0 ? 10 : 9);
    f->add_exporter(i < 8 ? 5 * i : 32 + i);
    f->add_observation_domain(100 + i);
    f->add_ip_version(4);
    std::string address(16, '\0');
    address[10] = address[11] = static_cast<char>(0xff);
    address[12] = static_cast<char>(192);
    address[15] = static_cast<char>(i);
    f->mutable_src_address()->append(address);
    address[15] = static_cast<char>(200 + i);
    f->mutable_dst_address()->append(address);
    f->mutable_next_hop()->append(16, static_cast<char>(i));
    f->add_src_port(1000 + i);
    f->add_dst_port(2000 + i);
    f->add_protocol(6);
    f->add_tcp_flags(i);
    f->add_tos(i);
    f->add_bytes(10000 + i);
    f->add_packets(10 + i);
    f->add_start_unix_millis(5000 + i);
    f->add_end_unix_millis(6000 + i);
    f->add_input_interface(i);
    f->add_output_interface(i + 1);
    f->add_src_as(64500 + i);
    f->add_dst_as(64600 + i);
    f->add_sampling_interval(i);
    f->add_flags(i % 2);
    f->add_receive_offset_nanos(i * 7);
    f->add_enterprise_count(i % 3);
    for (int e = 0; e < i % 3; ++e) {
      f->add_enterprise_number(9000 + i);
      f->add_enterprise_element(e);
      f->add_enterprise_length(i + 1);
      f->mutable_enterprise_data()->append(i + 1, static_cast<char>('a' + i));
    }
  }
  batch.set_record_count(batch.record_count() + 10);
  return batch;
}

// Checks that out's flow j is input flow `i` in every column.
void ExpectFlow(const v1::Batch& out, int j, int i, int* enterprise_at, size_t* data_at) {
  SCOPED_TRACE(testing::Message() << "output flow " << j << " = input flow " << i);
  const v1::FlowColumns& o = out.flows();
  EXPECT_EQ(o.version(j), i % 2 == 0 ? 10u : 9u);
  ASSERT_LT(o.exporter(j), static_cast<uint32_t>(out.sources_size()));
  EXPECT_EQ(out.sources(static_cast<int>(o.exporter(j))).port(),
            SenderPort(i < 8 ? 5 * i : 32 + i));
  EXPECT_EQ(o.observation_domain(j), 100u + i);
  EXPECT_EQ(static_cast<uint8_t>(o.src_address()[16 * j + 15]), i);
  EXPECT_EQ(static_cast<uint8_t>(o.dst_address()[16 * j + 15]), 200 + i);
  EXPECT_EQ(o.next_hop().substr(16 * j, 16), std::string(16, static_cast<char>(i)));
  EXPECT_EQ(o.src_port(j), 1000u + i);
  EXPECT_EQ(o.dst_port(j), 2000u + i);
  EXPECT_EQ(o.bytes(j), 10000u + i);
  EXPECT_EQ(o.packets(j), 10u + i);
  EXPECT_EQ(o.end_unix_millis(j), 6000u + i);
  EXPECT_EQ(o.dst_as(j), 64600u + i);
  EXPECT_EQ(o.receive_offset_nanos(j), 7u * i);
  ASSERT_EQ(o.enterprise_count(j), static_cast<uint32_t>(i % 3));
  for (int e = 0; e < i % 3; ++e, ++*enterprise_at) {
    EXPECT_EQ(o.enterprise_number(*enterprise_at), 9000u + i);
    EXPECT_EQ(o.enterprise_element(*enterprise_at), static_cast<uint32_t>(e));
    ASSERT_EQ(o.enterprise_length(*enterprise_at), static_cast<uint32_t>(i + 1));
    EXPECT_EQ(o.enterprise_data().substr(*data_at, i + 1),
              std::string(i + 1, static_cast<char>('a' + i)));
    *data_at += i + 1;
  }
}

TEST(RecordFilterTest, SourceCidrsSelectFlowsByExporter) {
  v1::SubscribeRequest request;
  request.add_kinds(v1::RECORD_KIND_FLOW);
  request.add_source_cidrs("10.0.0.8/29");       // senders 8..15: flows 2 and 3
  request.add_source_cidrs("2001:db8::29/128");  // sender 41: flow 9
  auto filter = RecordFilter::Create(request);
  ASSERT_TRUE(filter.ok());
  v1::Batch out;
  ASSERT_EQ(filter->Apply(AddFlows(MakeBatch()), &out), 3u);
  const v1::FlowColumns& o = out.flows();
  ASSERT_EQ(o.version_size(), 3);
  ASSERT_EQ(o.src_address().size(), 3u * 16);
  ASSERT_EQ(o.dst_address().size(), 3u * 16);
  int enterprise_at = 0;
  size_t data_at = 0;
  ExpectFlow(out, 0, 2, &enterprise_at, &data_at);
  ExpectFlow(out, 1, 3, &enterprise_at, &data_at);
  ExpectFlow(out, 2, 9, &enterprise_at, &data_at);
  EXPECT_EQ(out.sources_size(), 3);  // only the kept flows' exporters
  EXPECT_EQ(o.enterprise_number_size(), enterprise_at);
  EXPECT_EQ(o.enterprise_data().size(), data_at);
  EXPECT_EQ(out.statsd().name_size(), 0);
  EXPECT_EQ(out.record_count(), 3u);
}

TEST(RecordFilterTest, NamePrefixLeavesNamelessFlowsOut) {
  v1::SubscribeRequest request;
  request.add_name_prefixes("cpu.");
  auto filter = RecordFilter::Create(request);
  ASSERT_TRUE(filter.ok());
  v1::Batch out;
  EXPECT_EQ(filter->Apply(AddFlows(MakeBatch()), &out), 24u);  // the cpu.* statsd only
  EXPECT_FALSE(out.has_flows());
}

// Line-protocol points from the senders of MakeBatch: point i comes from sender 3*i,
// measurement "cpu" (even i) or "disk" (odd i), i % 2 tags, and fields cycling through
// the five types: point i has 1 + i % 3 fields, field f of type 1 + (i + f) % 5, whose
// value encodes (i, f).
// Tag values, field keys and string values are dictionary indexes given as codes of
// (i, f); the dictionary is padded with "v<index>" so that every code names an entry.
constexpr int kPointStrings = 200;

v1::Batch AddPoints(v1::Batch batch, int points) {
  const int cpu = batch.strings_size();
  batch.add_strings("cpu");
  batch.add_strings("disk");
  batch.add_strings("host");
  while (batch.strings_size() < kPointStrings) {
    batch.add_strings(absl::StrCat("v", batch.strings_size()));
  }
  v1::LineProtocolColumns* l = batch.mutable_line_protocol();
  for (int i = 0; i < points; ++i) {
    l->add_measurement(cpu + i % 2);
    l->add_timestamp_unix_nanos(1000 + i);
    l->add_flags(i % 2);
    l->add_source(3 * i);
    l->add_receive_offset_nanos(i);
    l->add_tag_count(i % 2);
    if (i % 2 == 1) {
      l->add_tag_key(cpu + 2);
      l->add_tag_value(i);  // the filter never looks inside tag values
    }
    l->add_field_count(1 + i % 3);
    for (int f = 0; f < 1 + i % 3; ++f) {
      const int type = 1 + (i + f) % 5;
      l->add_field_key(i * 10 + f);
      l->add_field_type(static_cast<v1::FieldType>(type));
      const int code = i * 10 + f;
      switch (type) {
        case v1::FIELD_TYPE_FLOAT:
          l->add_float_value(code + 0.5);
          break;
        case v1::FIELD_TYPE_INTEGER:
          l->add_int_value(-code);
          break;
        case v1::FIELD_TYPE_UNSIGNED:
          l->add_uint_value(code);
          break;
        case v1::FIELD_TYPE_STRING:
          l->add_string_value(code);
          break;
        case v1::FIELD_TYPE_BOOLEAN:
          l->add_bool_value(code % 2 == 1);
          break;
      }
    }
  }
  batch.set_record_count(batch.record_count() + points);
  return batch;
}

// The entry at `index` of the dictionary AddPoints(MakeBatch(), n) builds.
std::string PointString(uint32_t index) {
  static const std::vector<std::string> kNamed = {"",    "cpu.load", "mem.free", "tag",
                                                  "cpu", "disk",     "host"};
  return index < kNamed.size() ? kNamed[index] : absl::StrCat("v", index);
}

// Checks every point of out against the input point it came from (its timestamp says
// which), values of each type included, and returns the input indexes in order.
std::vector<int> CheckPoints(const v1::Batch& out) {
  const v1::LineProtocolColumns& l = out.line_protocol();
  std::vector<int> points;
  int tag = 0, field = 0;
  int next[6] = {};
  for (int j = 0; j < l.measurement_size(); ++j) {
    const int i = static_cast<int>(l.timestamp_unix_nanos(j) - 1000);
    SCOPED_TRACE(testing::Message() << "output point " << j << " = input point " << i);
    points.push_back(i);
    EXPECT_EQ(out.strings(l.measurement(j)), i % 2 == 0 ? "cpu" : "disk");
    EXPECT_LT(l.source(j), static_cast<uint32_t>(out.sources_size()));
    if (l.source(j) < static_cast<uint32_t>(out.sources_size())) {
      EXPECT_EQ(out.sources(static_cast<int>(l.source(j))).port(), SenderPort(3 * i));
    }
    EXPECT_EQ(l.receive_offset_nanos(j), static_cast<uint64_t>(i));
    EXPECT_EQ(l.flags(j), static_cast<uint32_t>(i % 2));
    EXPECT_EQ(l.tag_count(j), static_cast<uint32_t>(i % 2));
    for (uint32_t t = 0; t < l.tag_count(j); ++t, ++tag) {
      EXPECT_EQ(out.strings(l.tag_key(tag)), "host");
      EXPECT_EQ(StringAt(out, l.tag_value(tag)), PointString(i));
    }
    EXPECT_EQ(l.field_count(j), static_cast<uint32_t>(1 + i % 3));
    for (uint32_t f = 0; f < l.field_count(j); ++f, ++field) {
      const int code = i * 10 + static_cast<int>(f);
      EXPECT_EQ(StringAt(out, l.field_key(field)), PointString(code));
      const int type = l.field_type(field);
      EXPECT_EQ(type, 1 + (i + static_cast<int>(f)) % 5);
      const int at = next[type]++;
      switch (type) {
        case v1::FIELD_TYPE_FLOAT:
          EXPECT_EQ(l.float_value(at), code + 0.5);
          break;
        case v1::FIELD_TYPE_INTEGER:
          EXPECT_EQ(l.int_value(at), -code);
          break;
        case v1::FIELD_TYPE_UNSIGNED:
          EXPECT_EQ(l.uint_value(at), uint64_t(code));
          break;
        case v1::FIELD_TYPE_STRING:
          EXPECT_EQ(StringAt(out, l.string_value(at)), PointString(code));
          break;
        case v1::FIELD_TYPE_BOOLEAN:
          EXPECT_EQ(l.bool_value(at), code % 2 == 1);
          break;
      }
    }
  }
  EXPECT_EQ(l.tag_key_size(), tag);
  EXPECT_EQ(l.tag_value_size(), tag);
  EXPECT_EQ(l.field_key_size(), field);
  EXPECT_EQ(l.field_type_size(), field);
  EXPECT_EQ(l.float_value_size(), next[v1::FIELD_TYPE_FLOAT]);
  EXPECT_EQ(l.int_value_size(), next[v1::FIELD_TYPE_INTEGER]);
  EXPECT_EQ(l.uint_value_size(), next[v1::FIELD_TYPE_UNSIGNED]);
  EXPECT_EQ(l.string_value_size(), next[v1::FIELD_TYPE_STRING]);
  EXPECT_EQ(l.bool_value_size(), next[v1::FIELD_TYPE_BOOLEAN]);
  return points;
}

TEST(RecordFilterTest, NamePrefixSelectsLineProtocolMeasurements) {
  v1::SubscribeRequest request;
  request.add_kinds(v1::RECORD_KIND_LINE_PROTOCOL);
  request.add_name_prefixes("di");
  auto filter = RecordFilter::Create(request);
  ASSERT_TRUE(filter.ok());
  v1::Batch out;
  ASSERT_EQ(filter->Apply(AddPoints(MakeBatch(), 16), &out), 8u);
  EXPECT_EQ(CheckPoints(out), (std::vector<int>{1, 3, 5, 7, 9, 11, 13, 15}));
}

TEST(RecordFilterTest, SourceCidrsSelectLineProtocolSenders) {
  v1::SubscribeRequest request;
  request.add_source_cidrs("10.0.0.0/28");    // senders 0..15: points 0..5
  request.add_source_cidrs("2001:db8::/32");  // senders 40..47: points 14, 15
  request.add_kinds(v1::RECORD_KIND_LINE_PROTOCOL);
  auto filter = RecordFilter::Create(request);
  ASSERT_TRUE(filter.ok());
  v1::Batch out;
  ASSERT_EQ(filter->Apply(AddPoints(MakeBatch(), 16), &out), 8u);
  EXPECT_EQ(CheckPoints(out), (std::vector<int>{0, 1, 2, 3, 4, 5, 14, 15}));
}

TEST(RecordFilterTest, ConsumerGroupShardsPartitionEveryKind) {
  constexpr uint32_t kShards = 3;
  const v1::Batch batch = AddPoints(AddFlows(MakeBatch()), 16);
  std::multiset<double> statsd;
  std::multiset<uint64_t> flows;
  std::vector<int> points;
  for (uint32_t i = 0; i < kShards; ++i) {
    v1::SubscribeRequest request;
    request.mutable_group()->set_shard_index(i);
    request.mutable_group()->set_shard_count(kShards);
    auto filter = RecordFilter::Create(request);
    ASSERT_TRUE(filter.ok());
    v1::Batch out;
    const uint32_t kept = filter->Apply(batch, &out);
    EXPECT_EQ(kept, static_cast<uint32_t>(out.statsd().name_size() + out.flows().version_size() +
                                          out.line_protocol().measurement_size()));
    for (double v : out.statsd().value()) statsd.insert(v);
    for (uint64_t b : out.flows().bytes()) flows.insert(b);
    for (int p : CheckPoints(out)) points.push_back(p);
    for (uint32_t src : out.flows().exporter()) {
      EXPECT_EQ(SourceShardHash(out.sources(src).address()) % kShards, i);
    }
    for (uint32_t src : out.line_protocol().source()) {
      EXPECT_EQ(SourceShardHash(out.sources(src).address()) % kShards, i);
    }
  }
  EXPECT_EQ(statsd.size(), 48u);
  EXPECT_EQ(std::set<double>(statsd.begin(), statsd.end()).size(), 48u);
  EXPECT_EQ(flows.size(), 10u);
  EXPECT_EQ(std::set<uint64_t>(flows.begin(), flows.end()).size(), 10u);
  std::sort(points.begin(), points.end());
  std::vector<int> all(16);
  for (int i = 0; i < 16; ++i) all[i] = i;
  EXPECT_EQ(points, all);
}

TEST(RecordFilterTest, FilteredToNothingStillSendsTheHeader) {
  v1::SubscribeRequest request;
  request.add_source_cidrs("192.0.2.0/24");  // no sender there
  auto filter = RecordFilter::Create(request);
  ASSERT_TRUE(filter.ok());
  v1::Batch out;
  EXPECT_EQ(filter->Apply(AddPoints(AddFlows(MakeBatch()), 4), &out), 0u);
  EXPECT_EQ(out.node_id(), "n");
  EXPECT_EQ(out.epoch(), 3u);
  EXPECT_EQ(out.seq(), 9u);
  EXPECT_EQ(out.record_count(), 0u);
  EXPECT_FALSE(out.has_statsd());
  EXPECT_FALSE(out.has_flows());
  EXPECT_FALSE(out.has_line_protocol());
  EXPECT_EQ(out.strings_size(), 0);  // nothing refers to the dictionary
}

// A column added to a section later must not be silently dropped by the filter: with
// every column of every section filled, a record-level filter that keeps everything
// must reproduce the batch exactly.
TEST(RecordFilterTest, KeepingEverythingReproducesEveryColumn) {
  v1::Batch batch = AddPoints(AddFlows(MakeBatch()), 16);
  for (int i = 0; i < batch.statsd().name_size(); ++i) {
    batch.mutable_statsd()->add_timestamp_unix_seconds(1700000000 + i);
    batch.mutable_statsd()->add_container_id(i % 2);
  }
  // The last statsd record also carries every dictionary entry as a tag, so that each
  // is referenced and the filter's dictionary (cut to what kept records refer to) is
  // the whole one, in order. (Every sender already sends a statsd record.)
  v1::StatsdColumns* last = batch.mutable_statsd();
  for (int k = 1; k < batch.strings_size(); ++k) last->add_tags(static_cast<uint32_t>(k));
  last->set_tag_count(last->tag_count_size() - 1,
                      last->tag_count(last->tag_count_size() - 1) + batch.strings_size() - 1);
  for (const google::protobuf::Message* section :
       {static_cast<const google::protobuf::Message*>(&batch.statsd()),
        static_cast<const google::protobuf::Message*>(&batch.flows()),
        static_cast<const google::protobuf::Message*>(&batch.line_protocol())}) {
    const google::protobuf::Descriptor* d = section->GetDescriptor();
    for (int f = 0; f < d->field_count(); ++f) {
      const google::protobuf::FieldDescriptor* field = d->field(f);
      const bool filled = field->is_repeated()
                              ? section->GetReflection()->FieldSize(*section, field) > 0
                              : section->GetReflection()->HasField(*section, field);
      EXPECT_TRUE(filled) << "test batch leaves " << field->full_name() << " empty";
    }
  }
  v1::SubscribeRequest request;
  request.add_source_cidrs("0.0.0.0/0");
  request.add_source_cidrs("::/0");
  auto filter = RecordFilter::Create(request);
  ASSERT_TRUE(filter.ok());
  ASSERT_FALSE(filter->PassesEverything());
  v1::Batch out;
  EXPECT_EQ(filter->Apply(batch, &out), 48u + 10u + 16u);
  EXPECT_EQ(out.SerializeAsString(), batch.SerializeAsString());
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
