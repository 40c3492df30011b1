// Record selection for one subscriber; see the header.
#include "node/export/record_filter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace firehose::exporter {
namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;
// Prefixes and networks per request: enough for any real consumer, small enough that a
// hostile request cannot make per-record matching expensive.
constexpr int kMaxPrefixes = 64;
constexpr int kMaxCidrs = 64;
constexpr size_t kMaxPrefixLength = 256;

// Batch fields that are record sections, and their kinds. Looked up by name through
// reflection so that sections added to the proto later are carried whole (kind filter
// only) without this file changing in step.
struct Section {
  const char* field;
  v1::RecordKind kind;
};
constexpr Section kSections[] = {
    {"statsd", v1::RECORD_KIND_STATSD},
    {"flows", v1::RECORD_KIND_FLOW},
    {"line_protocol", v1::RECORD_KIND_LINE_PROTOCOL},
};

// Records in a section that is not statsd: the size of its first field, which is a
// dense column by the convention of ingest.proto (one element per record).
uint32_t SectionRecords(const google::protobuf::Message& section) {
  const google::protobuf::Descriptor* d = section.GetDescriptor();
  if (d->field_count() == 0) return 0;
  const google::protobuf::FieldDescriptor* first = d->field(0);
  if (!first->is_repeated()) return 0;
  return static_cast<uint32_t>(section.GetReflection()->FieldSize(section, first));
}

}  // namespace

uint64_t SourceShardHash(std::string_view address_bytes) {
  uint64_t hash = kFnvOffset;
  for (char c : address_bytes) {
    hash ^= static_cast<uint8_t>(c);
    hash *= kFnvPrime;
  }
  return hash;
}

absl::StatusOr<Cidr> Cidr::Parse(std::string_view text) {
  const std::string s(text);
  const size_t slash = s.find('/');
  const std::string address = s.substr(0, slash);
  Cidr cidr;
  if (inet_pton(AF_INET, address.c_str(), cidr.bytes_.data()) == 1) {
    cidr.length_ = 4;
  } else if (inet_pton(AF_INET6, address.c_str(), cidr.bytes_.data()) == 1) {
    cidr.length_ = 16;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("source_cidrs: \"", s, "\" is not an IPv4 or IPv6 network"));
  }
  const int max_bits = static_cast<int>(cidr.length_ * 8);
  cidr.prefix_bits_ = max_bits;
  if (slash != std::string::npos) {
    int bits = -1;
    if (!absl::SimpleAtoi(absl::string_view(s.data() + slash + 1, s.size() - slash - 1), &bits) ||
        bits < 0 || bits > max_bits) {
      return absl::InvalidArgumentError(
          absl::StrCat("source_cidrs: \"", s, "\" needs a prefix length 0..", max_bits));
    }
    cidr.prefix_bits_ = bits;
  }
  return cidr;
}

bool Cidr::Contains(std::string_view address) const {
  if (address.size() != length_) return false;
  const auto* a = reinterpret_cast<const uint8_t*>(address.data());
  const int full = prefix_bits_ / 8;
  if (std::memcmp(a, bytes_.data(), full) != 0) return false;
  const int rest = prefix_bits_ % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (bytes_[full] & mask);
}

absl::StatusOr<RecordFilter> RecordFilter::Create(const v1::SubscribeRequest& request,
                                                  KindMask allowed) {
  RecordFilter filter;
  if (request.kinds().empty()) {
    filter.kinds_ = allowed;
  } else {
    filter.kinds_ = 0;
    for (int kind : request.kinds()) {
      if (kind <= v1::RECORD_KIND_UNSPECIFIED || !v1::RecordKind_IsValid(kind)) {
        return absl::InvalidArgumentError(absl::StrCat("kinds: unknown record kind ", kind));
      }
      const KindMask bit = KindBit(static_cast<v1::RecordKind>(kind));
      if ((allowed & bit) == 0) {
        return absl::PermissionDeniedError(absl::StrCat(
            "this token may not read ", v1::RecordKind_Name(static_cast<v1::RecordKind>(kind))));
      }
      filter.kinds_ |= bit;
    }
  }
  if (request.name_prefixes_size() > kMaxPrefixes) {
    return absl::InvalidArgumentError(absl::StrCat("name_prefixes: at most ", kMaxPrefixes));
  }
  for (const std::string& prefix : request.name_prefixes()) {
    if (prefix.size() > kMaxPrefixLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("name_prefixes: longer than ", kMaxPrefixLength, " bytes"));
    }
    // An empty prefix matches every name: the same as no prefix filter.
    if (prefix.empty()) {
      filter.name_prefixes_.clear();
      break;
    }
    filter.name_prefixes_.push_back(prefix);
  }
  if (request.source_cidrs_size() > kMaxCidrs) {
    return absl::InvalidArgumentError(absl::StrCat("source_cidrs: at most ", kMaxCidrs));
  }
  for (const std::string& text : request.source_cidrs()) {
    absl::StatusOr<Cidr> cidr = Cidr::Parse(text);
    if (!cidr.ok()) return cidr.status();
    filter.cidrs_.push_back(*cidr);
  }
  if (request.has_group() && request.group().shard_count() != 0) {
    if (request.group().shard_index() >= request.group().shard_count()) {
      return absl::InvalidArgumentError(
          absl::StrCat("group: shard_index ", request.group().shard_index(),
                       " must be below shard_count ", request.group().shard_count()));
    }
    filter.shard_index_ = request.group().shard_index();
    filter.shard_count_ = request.group().shard_count();
  }
  filter.passes_everything_ = filter.kinds_ == kAllKinds && !filter.HasRecordFilters();
  return filter;
}

bool RecordFilter::SourceMatches(const v1::Endpoint& source) const {
  if (shard_count_ != 0 && SourceShardHash(source.address()) % shard_count_ != shard_index_) {
    return false;
  }
  if (cidrs_.empty()) return true;
  return std::any_of(cidrs_.begin(), cidrs_.end(),
                     [&](const Cidr& c) { return c.Contains(source.address()); });
}

bool RecordFilter::NameMatches(std::string_view name) const {
  if (name_prefixes_.empty()) return true;
  return std::any_of(name_prefixes_.begin(), name_prefixes_.end(),
                     [&](const std::string& p) { return name.substr(0, p.size()) == p; });
}

void RecordFilter::ApplyStatsd(const v1::Batch& in, v1::Batch* out) const {
  const v1::StatsdColumns& s = in.statsd();
  const int n = s.name_size();
  // Decide once per sender and per dictionary entry rather than once per record.
  std::vector<int8_t> source_ok(in.sources_size(), -1);
  std::vector<int8_t> name_ok(name_prefixes_.empty() ? 0 : in.strings_size(), -1);
  v1::StatsdColumns* o = out->mutable_statsd();
  int tag_offset = 0;
  for (int i = 0; i < n; ++i) {
    const uint32_t tags = i < s.tag_count_size() ? s.tag_count(i) : 0;
    const int first_tag = tag_offset;
    tag_offset += static_cast<int>(tags);
    if (!cidrs_.empty() || shard_count_ != 0) {
      const uint32_t src = i < s.source_size() ? s.source(i) : 0;
      if (src >= source_ok.size()) continue;  // malformed index: never let it through
      if (source_ok[src] < 0) source_ok[src] = SourceMatches(in.sources(src)) ? 1 : 0;
      if (source_ok[src] == 0) continue;
    }
    if (!name_prefixes_.empty()) {
      const uint32_t name = s.name(i);
      if (name >= name_ok.size()) continue;
      if (name_ok[name] < 0) name_ok[name] = NameMatches(in.strings(name)) ? 1 : 0;
      if (name_ok[name] == 0) continue;
    }
    o->add_name(s.name(i));
    if (i < s.value_size()) o->add_value(s.value(i));
    if (i < s.type_size()) o->add_type(s.type(i));
    if (i < s.sample_rate_size()) o->add_sample_rate(s.sample_rate(i));
    o->add_tag_count(tags);
    for (int t = first_tag; t < first_tag + static_cast<int>(tags) && t < s.tags_size(); ++t) {
      o->add_tags(s.tags(t));
    }
    if (i < s.source_size()) o->add_source(s.source(i));
    if (i < s.receive_offset_nanos_size()) o->add_receive_offset_nanos(s.receive_offset_nanos(i));
    if (i < s.flags_size()) o->add_flags(s.flags(i));
    if (i < s.text_size()) o->add_text(s.text(i));
  }
}

uint32_t RecordFilter::Apply(const v1::Batch& in, v1::Batch* out) const {
  out->Clear();
  out->set_node_id(in.node_id());
  out->set_epoch(in.epoch());
  out->set_seq(in.seq());
  out->set_first_receive_unix_nanos(in.first_receive_unix_nanos());
  out->set_last_receive_unix_nanos(in.last_receive_unix_nanos());
  out->set_queue_id(in.queue_id());
  uint32_t records = 0;
  if (WantsKind(v1::RECORD_KIND_STATSD) && in.has_statsd()) {
    ApplyStatsd(in, out);
    records += static_cast<uint32_t>(out->statsd().name_size());
  }
  // Other sections: carried whole when their kind is wanted and no record-level filter
  // is set. Record-level filters (names, networks, shards) are implemented for statsd
  // only so far; rather than let such a subscriber see records it excluded (or two
  // shards see the same flow), those sections are left out until their filters exist.
  const google::protobuf::Reflection* reflection = in.GetReflection();
  for (const Section& section : kSections) {
    if (section.kind == v1::RECORD_KIND_STATSD) continue;
    const google::protobuf::FieldDescriptor* field =
        in.GetDescriptor()->FindFieldByName(section.field);
    if (field == nullptr || !reflection->HasField(in, field)) continue;
    if (!WantsKind(section.kind) || HasRecordFilters()) continue;
    const google::protobuf::Message& from = reflection->GetMessage(in, field);
    reflection->MutableMessage(out, field)->CopyFrom(from);
    records += SectionRecords(from);
  }
  if (records > 0) {
    *out->mutable_strings() = in.strings();
    *out->mutable_sources() = in.sources();
  }
  out->set_record_count(records);
  return records;
}

}  // namespace firehose::exporter
