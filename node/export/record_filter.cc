// Record selection for one subscriber; see the header.
#include "node/export/record_filter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/repeated_field.h"

namespace firehose::exporter {
namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;
// Prefixes and networks per request: enough for any real consumer, small enough that a
// hostile request cannot make per-record matching expensive.
constexpr int kMaxPrefixes = 64;
constexpr int kMaxCidrs = 64;
constexpr size_t kMaxPrefixLength = 256;

using google::protobuf::RepeatedField;

// Column helpers. `keep` lists the kept records in increasing order. Columns shorter than
// the section (a malformed batch) yield what they have; nothing reads out of bounds.

// Dense column: one element per record.
template <typename T>
void Gather(const RepeatedField<T>& in, const std::vector<int>& keep, RepeatedField<T>* out) {
  if (in.empty()) return;
  out->Reserve(static_cast<int>(keep.size()));
  for (int i : keep) {
    if (i < in.size()) out->AddAlreadyReserved(in.Get(i));
  }
}

// Fixed-width bytes column (flow addresses): `width` bytes per record.
void GatherFixed(const std::string& in, size_t width, const std::vector<int>& keep,
                 std::string* out) {
  if (in.empty()) return;
  out->reserve(keep.size() * width);
  for (int i : keep) {
    const size_t at = static_cast<size_t>(i) * width;
    if (at + width <= in.size()) out->append(in, at, width);
  }
}

// Where each record's entries start in a concatenated column whose per-record counts
// are `counts` (tags, fields, enterprise fields): starts[i] = counts[0] + ... +
// counts[i-1], with one extra element for the end. Saturates instead of overflowing on
// hostile counts.
std::vector<int64_t> Starts(const RepeatedField<uint32_t>& counts) {
  std::vector<int64_t> starts(counts.size() + 1, 0);
  for (int i = 0; i < counts.size(); ++i) {
    starts[i + 1] = std::min<int64_t>(starts[i] + counts.Get(i), int64_t{1} << 40);
  }
  return starts;
}

// Concatenated column: record i owns entries [starts[i], starts[i+1]).
template <typename T>
void GatherRuns(const RepeatedField<T>& in, const std::vector<int64_t>& starts,
                const std::vector<int>& keep, RepeatedField<T>* out) {
  for (int i : keep) {
    if (i + 1 >= static_cast<int>(starts.size())) continue;
    const int64_t end = std::min<int64_t>(starts[i + 1], in.size());
    for (int64_t e = starts[i]; e < end; ++e) out->Add(in.Get(static_cast<int>(e)));
  }
}

// A dictionary (Batch.strings or Batch.sources) cut down to the entries that kept
// records refer to: Mark every index a kept column holds, Assign new indexes in the
// original order, then Remap the columns. With `keep_first`, entry 0 always stays at 0
// (strings(0) is "", which index columns use for "none"). An index past the end of the
// input dictionary (a malformed batch) is left as it is, so it stays past the end of
// the smaller one too.
class DictionaryCompactor {
 public:
  DictionaryCompactor(int size, bool keep_first) : new_index_(static_cast<size_t>(size), kUnused) {
    if (keep_first && size > 0) new_index_[0] = kUsed;
  }

  void Mark(const RepeatedField<uint32_t>& column) {
    for (uint32_t index : column) {
      if (index < new_index_.size()) new_index_[index] = kUsed;
    }
  }

  // Copies the used entries of `in` to `out`, in order, and numbers them.
  template <typename Entries>
  void Assign(const Entries& in, Entries* out) {
    uint32_t next = 0;
    for (size_t i = 0; i < new_index_.size(); ++i) {
      if (new_index_[i] == kUnused) continue;
      new_index_[i] = next++;
      *out->Add() = in.Get(static_cast<int>(i));
    }
  }

  void Remap(RepeatedField<uint32_t>* column) const {
    for (uint32_t& index : *column) {
      if (index < new_index_.size()) index = new_index_[index];
    }
  }

 private:
  static constexpr uint32_t kUnused = ~uint32_t{0};
  static constexpr uint32_t kUsed = kUnused - 1;
  std::vector<uint32_t> new_index_;
};

// Gives `out` the entries of in.strings and in.sources that its records refer to,
// renumbering its columns. A filtered subscriber that keeps a few records of a batch
// then receives their names and tags, not the whole batch's dictionary (which for a
// statsd batch is a large part of its bytes).
void CompactDictionaries(const v1::Batch& in, v1::Batch* out) {
  DictionaryCompactor strings(in.strings_size(), /*keep_first=*/true);
  DictionaryCompactor sources(in.sources_size(), /*keep_first=*/false);
  v1::StatsdColumns* statsd = out->has_statsd() ? out->mutable_statsd() : nullptr;
  v1::FlowColumns* flows = out->has_flows() ? out->mutable_flows() : nullptr;
  v1::LineProtocolColumns* line = out->has_line_protocol() ? out->mutable_line_protocol() : nullptr;
  // Every string-index and source-index column of the three sections (ingest.proto).
  std::vector<RepeatedField<uint32_t>*> string_columns;
  std::vector<RepeatedField<uint32_t>*> source_columns;
  if (statsd != nullptr) {
    string_columns.insert(string_columns.end(),
                          {statsd->mutable_name(), statsd->mutable_tags(), statsd->mutable_text(),
                           statsd->mutable_container_id()});
    source_columns.push_back(statsd->mutable_source());
  }
  if (flows != nullptr) source_columns.push_back(flows->mutable_exporter());
  if (line != nullptr) {
    string_columns.insert(
        string_columns.end(),
        {line->mutable_measurement(), line->mutable_tag_key(), line->mutable_tag_value(),
         line->mutable_field_key(), line->mutable_string_value()});
    source_columns.push_back(line->mutable_source());
  }
  for (const RepeatedField<uint32_t>* column : string_columns) strings.Mark(*column);
  for (const RepeatedField<uint32_t>* column : source_columns) sources.Mark(*column);
  strings.Assign(in.strings(), out->mutable_strings());
  sources.Assign(in.sources(), out->mutable_sources());
  for (RepeatedField<uint32_t>* column : string_columns) strings.Remap(column);
  for (RepeatedField<uint32_t>* column : source_columns) sources.Remap(column);
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

std::vector<int> RecordFilter::Select(const v1::Batch& in, int n, const Column& senders,
                                      const Column* names) const {
  std::vector<int> keep;
  if (names == nullptr && !name_prefixes_.empty()) return keep;  // nameless kind
  keep.reserve(n);
  const bool by_source = !cidrs_.empty() || shard_count_ != 0;
  // Decide once per sender and per dictionary entry rather than once per record.
  std::vector<int8_t> source_ok(by_source ? in.sources_size() : 0, -1);
  std::vector<int8_t> name_ok(name_prefixes_.empty() ? 0 : in.strings_size(), -1);
  for (int i = 0; i < n; ++i) {
    if (by_source) {
      // A missing or out-of-range index is malformed: never let it through.
      if (i >= senders.size() || senders.Get(i) >= source_ok.size()) continue;
      int8_t& ok = source_ok[senders.Get(i)];
      if (ok < 0) ok = SourceMatches(in.sources(static_cast<int>(senders.Get(i)))) ? 1 : 0;
      if (ok == 0) continue;
    }
    if (!name_prefixes_.empty()) {
      if (i >= names->size() || names->Get(i) >= name_ok.size()) continue;
      int8_t& ok = name_ok[names->Get(i)];
      if (ok < 0) ok = NameMatches(in.strings(static_cast<int>(names->Get(i)))) ? 1 : 0;
      if (ok == 0) continue;
    }
    keep.push_back(i);
  }
  return keep;
}

void RecordFilter::ApplyStatsd(const v1::Batch& in, v1::Batch* out) const {
  const v1::StatsdColumns& s = in.statsd();
  const std::vector<int> keep = Select(in, s.name_size(), s.source(), &s.name());
  if (keep.empty()) return;
  v1::StatsdColumns* o = out->mutable_statsd();
  Gather(s.name(), keep, o->mutable_name());
  Gather(s.value(), keep, o->mutable_value());
  Gather(s.type(), keep, o->mutable_type());
  Gather(s.sample_rate(), keep, o->mutable_sample_rate());
  Gather(s.tag_count(), keep, o->mutable_tag_count());
  GatherRuns(s.tags(), Starts(s.tag_count()), keep, o->mutable_tags());
  Gather(s.source(), keep, o->mutable_source());
  Gather(s.receive_offset_nanos(), keep, o->mutable_receive_offset_nanos());
  Gather(s.flags(), keep, o->mutable_flags());
  Gather(s.text(), keep, o->mutable_text());
  Gather(s.timestamp_unix_seconds(), keep, o->mutable_timestamp_unix_seconds());
  Gather(s.container_id(), keep, o->mutable_container_id());
}

void RecordFilter::ApplyFlows(const v1::Batch& in, v1::Batch* out) const {
  const v1::FlowColumns& f = in.flows();
  const std::vector<int> keep = Select(in, f.version_size(), f.exporter(), nullptr);
  if (keep.empty()) return;
  constexpr size_t kAddressBytes = 16;
  v1::FlowColumns* o = out->mutable_flows();
  Gather(f.version(), keep, o->mutable_version());
  Gather(f.exporter(), keep, o->mutable_exporter());
  Gather(f.observation_domain(), keep, o->mutable_observation_domain());
  Gather(f.ip_version(), keep, o->mutable_ip_version());
  GatherFixed(f.src_address(), kAddressBytes, keep, o->mutable_src_address());
  GatherFixed(f.dst_address(), kAddressBytes, keep, o->mutable_dst_address());
  GatherFixed(f.next_hop(), kAddressBytes, keep, o->mutable_next_hop());
  Gather(f.src_port(), keep, o->mutable_src_port());
  Gather(f.dst_port(), keep, o->mutable_dst_port());
  Gather(f.protocol(), keep, o->mutable_protocol());
  Gather(f.tcp_flags(), keep, o->mutable_tcp_flags());
  Gather(f.tos(), keep, o->mutable_tos());
  Gather(f.bytes(), keep, o->mutable_bytes());
  Gather(f.packets(), keep, o->mutable_packets());
  Gather(f.start_unix_millis(), keep, o->mutable_start_unix_millis());
  Gather(f.end_unix_millis(), keep, o->mutable_end_unix_millis());
  Gather(f.input_interface(), keep, o->mutable_input_interface());
  Gather(f.output_interface(), keep, o->mutable_output_interface());
  Gather(f.src_as(), keep, o->mutable_src_as());
  Gather(f.dst_as(), keep, o->mutable_dst_as());
  Gather(f.sampling_interval(), keep, o->mutable_sampling_interval());
  Gather(f.flags(), keep, o->mutable_flags());
  Gather(f.receive_offset_nanos(), keep, o->mutable_receive_offset_nanos());
  Gather(f.enterprise_count(), keep, o->mutable_enterprise_count());
  const std::vector<int64_t> entries = Starts(f.enterprise_count());
  GatherRuns(f.enterprise_number(), entries, keep, o->mutable_enterprise_number());
  GatherRuns(f.enterprise_element(), entries, keep, o->mutable_enterprise_element());
  GatherRuns(f.enterprise_length(), entries, keep, o->mutable_enterprise_length());
  // The values are back to back, enterprise_length[j] bytes for entry j.
  const std::vector<int64_t> bytes = Starts(f.enterprise_length());
  const std::string& data = f.enterprise_data();
  for (int i : keep) {
    if (i + 1 >= static_cast<int>(entries.size())) continue;
    const int64_t last = static_cast<int64_t>(bytes.size()) - 1;
    const int64_t from = bytes[std::min(entries[i], last)];
    const int64_t to = std::min<int64_t>(bytes[std::min(entries[i + 1], last)], data.size());
    if (from < to) o->mutable_enterprise_data()->append(data, from, to - from);
  }
}

void RecordFilter::ApplyLineProtocol(const v1::Batch& in, v1::Batch* out) const {
  const v1::LineProtocolColumns& l = in.line_protocol();
  const std::vector<int> keep = Select(in, l.measurement_size(), l.source(), &l.measurement());
  if (keep.empty()) return;
  v1::LineProtocolColumns* o = out->mutable_line_protocol();
  Gather(l.measurement(), keep, o->mutable_measurement());
  Gather(l.timestamp_unix_nanos(), keep, o->mutable_timestamp_unix_nanos());
  Gather(l.flags(), keep, o->mutable_flags());
  Gather(l.source(), keep, o->mutable_source());
  Gather(l.receive_offset_nanos(), keep, o->mutable_receive_offset_nanos());
  Gather(l.tag_count(), keep, o->mutable_tag_count());
  const std::vector<int64_t> tags = Starts(l.tag_count());
  GatherRuns(l.tag_key(), tags, keep, o->mutable_tag_key());
  GatherRuns(l.tag_value(), tags, keep, o->mutable_tag_value());
  Gather(l.field_count(), keep, o->mutable_field_count());
  const std::vector<int64_t> fields = Starts(l.field_count());
  GatherRuns(l.field_key(), fields, keep, o->mutable_field_key());
  GatherRuns(l.field_type(), fields, keep, o->mutable_field_type());
  // A field's value is element k of its type's column, k counting the fields of that
  // type over the whole batch: walk every field, copy the kept points' values.
  int64_t next_of_type[6] = {};  // indexed by FieldType
  size_t k = 0;                  // position in `keep`
  const int64_t total_fields = std::min<int64_t>(fields.back(), l.field_type_size());
  for (int point = 0; point < l.field_count_size() && fields[point] < total_fields; ++point) {
    const bool kept = k < keep.size() && keep[k] == point;
    if (kept) ++k;
    const int64_t end = std::min(fields[point + 1], total_fields);
    for (int64_t field = fields[point]; field < end; ++field) {
      const int type = l.field_type(static_cast<int>(field));
      if (type <= v1::FIELD_TYPE_UNSPECIFIED || type > v1::FIELD_TYPE_BOOLEAN) continue;
      const int64_t at = next_of_type[type]++;
      if (!kept) continue;
      switch (type) {
        case v1::FIELD_TYPE_FLOAT:
          if (at < l.float_value_size()) o->add_float_value(l.float_value(static_cast<int>(at)));
          break;
        case v1::FIELD_TYPE_INTEGER:
          if (at < l.int_value_size()) o->add_int_value(l.int_value(static_cast<int>(at)));
          break;
        case v1::FIELD_TYPE_UNSIGNED:
          if (at < l.uint_value_size()) o->add_uint_value(l.uint_value(static_cast<int>(at)));
          break;
        case v1::FIELD_TYPE_STRING:
          if (at < l.string_value_size()) o->add_string_value(l.string_value(static_cast<int>(at)));
          break;
        case v1::FIELD_TYPE_BOOLEAN:
          if (at < l.bool_value_size()) o->add_bool_value(l.bool_value(static_cast<int>(at)));
          break;
        default:
          break;
      }
    }
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
  const bool whole = !HasRecordFilters();  // kind filter only: sections go as they are
  if (WantsKind(v1::RECORD_KIND_STATSD) && in.has_statsd()) {
    if (whole) {
      *out->mutable_statsd() = in.statsd();
    } else {
      ApplyStatsd(in, out);
    }
  }
  if (WantsKind(v1::RECORD_KIND_FLOW) && in.has_flows()) {
    if (whole) {
      *out->mutable_flows() = in.flows();
    } else {
      ApplyFlows(in, out);
    }
  }
  if (WantsKind(v1::RECORD_KIND_LINE_PROTOCOL) && in.has_line_protocol()) {
    if (whole) {
      *out->mutable_line_protocol() = in.line_protocol();
    } else {
      ApplyLineProtocol(in, out);
    }
  }
  const uint32_t records =
      static_cast<uint32_t>(out->statsd().name_size() + out->flows().version_size() +
                            out->line_protocol().measurement_size());
  if (records > 0) {
    if (whole) {
      *out->mutable_strings() = in.strings();
      *out->mutable_sources() = in.sources();
    } else {
      CompactDictionaries(in, out);
    }
  }
  out->set_record_count(records);
  return records;
}

}  // namespace firehose::exporter
