// Columnar batch building and conversion to the wire message; see the header.
#include "node/batch/batch_builder.h"

#include <nmmintrin.h>  // crc32 for the source cache (SSE4.2, as string_dictionary.h)

#include <algorithm>
#include <cstring>

#include "proto/firehose/v1/ingest.pb.h"

namespace firehose::batch {
namespace {

// Source keys are at most 16 address bytes plus 2 port bytes.
constexpr uint32_t kSourceKeyMax = 18;

}  // namespace

uint32_t BatchBuilder::StringCapacity(const BatchLimits& limits) {
  // Each record adds at most a name, a set member and its tags; bytes bound the rest.
  // When a batch runs out of strings it is simply flushed early.
  return std::min<uint32_t>(limits.max_records * 2 + 1024, StringDictionary::kMaxStrings);
}

uint32_t BatchBuilder::SourceCapacity(const BatchLimits& limits) {
  return std::min<uint32_t>(limits.max_records, 4096) + 1;
}

BatchIndexes::BatchIndexes(const BatchLimits& limits)
    : strings(BatchBuilder::StringCapacity(limits)),
      sources(BatchBuilder::SourceCapacity(limits)) {}

BatchBuilder::BatchBuilder(const BatchLimits& limits, BatchIndexes* indexes)
    : limits_(limits),
      max_tags_(limits.max_records * kTagSlotsPerRecord),
      strings_(StringCapacity(limits), limits.max_bytes,
               indexes == nullptr ? nullptr : &indexes->strings),
      sources_(SourceCapacity(limits), SourceCapacity(limits) * kSourceKeyMax,
               indexes == nullptr ? nullptr : &indexes->sources),
      name_(std::make_unique<uint32_t[]>(limits.max_records)),
      value_(std::make_unique<double[]>(limits.max_records)),
      type_(std::make_unique<uint8_t[]>(limits.max_records)),
      sample_rate_(std::make_unique<float[]>(limits.max_records)),
      tag_count_(std::make_unique<uint32_t[]>(limits.max_records)),
      tags_(std::make_unique<uint32_t[]>(max_tags_)),
      source_(std::make_unique<uint32_t[]>(limits.max_records)),
      receive_(std::make_unique<int64_t[]>(limits.max_records)),
      flags_(std::make_unique<uint32_t[]>(limits.max_records)),
      text_(std::make_unique<uint32_t[]>(limits.max_records)),
      timestamp_(std::make_unique<uint64_t[]>(limits.max_records)),
      container_id_(std::make_unique<uint32_t[]>(limits.max_records)),
      max_enterprise_(limits.max_records * kEnterpriseSlotsPerRecord),
      max_fields_(limits.max_records * kFieldSlotsPerRecord),
      flows_(limits.max_records, max_enterprise_, limits.max_bytes),
      lines_(limits.max_records, max_tags_, max_fields_) {}

BatchBuilder::FlowColumns::FlowColumns(uint32_t n, uint32_t max_enterprise, uint32_t max_bytes)
    : version(std::make_unique<uint8_t[]>(n)),
      ip_version(std::make_unique<uint8_t[]>(n)),
      protocol(std::make_unique<uint8_t[]>(n)),
      tcp_flags(std::make_unique<uint8_t[]>(n)),
      tos(std::make_unique<uint8_t[]>(n)),
      src_port(std::make_unique<uint16_t[]>(n)),
      dst_port(std::make_unique<uint16_t[]>(n)),
      exporter(std::make_unique<uint32_t[]>(n)),
      domain(std::make_unique<uint32_t[]>(n)),
      input_if(std::make_unique<uint32_t[]>(n)),
      output_if(std::make_unique<uint32_t[]>(n)),
      src_as(std::make_unique<uint32_t[]>(n)),
      dst_as(std::make_unique<uint32_t[]>(n)),
      sampling(std::make_unique<uint32_t[]>(n)),
      flags(std::make_unique<uint32_t[]>(n)),
      enterprise_count(std::make_unique<uint32_t[]>(n)),
      bytes(std::make_unique<uint64_t[]>(n)),
      packets(std::make_unique<uint64_t[]>(n)),
      start(std::make_unique<uint64_t[]>(n)),
      end(std::make_unique<uint64_t[]>(n)),
      receive(std::make_unique<int64_t[]>(n)),
      src_address(std::make_unique<uint8_t[]>(size_t{n} * 16)),
      dst_address(std::make_unique<uint8_t[]>(size_t{n} * 16)),
      next_hop(std::make_unique<uint8_t[]>(size_t{n} * 16)),
      ent_number(std::make_unique<uint32_t[]>(max_enterprise)),
      ent_element(std::make_unique<uint32_t[]>(max_enterprise)),
      ent_length(std::make_unique<uint32_t[]>(max_enterprise)),
      ent_data(std::make_unique<char[]>(max_bytes)) {}

BatchBuilder::LineColumns::LineColumns(uint32_t n, uint32_t max_tags, uint32_t max_fields)
    : measurement(std::make_unique<uint32_t[]>(n)),
      flags(std::make_unique<uint32_t[]>(n)),
      source(std::make_unique<uint32_t[]>(n)),
      tag_count(std::make_unique<uint32_t[]>(n)),
      field_count(std::make_unique<uint32_t[]>(n)),
      timestamp(std::make_unique<int64_t[]>(n)),
      receive(std::make_unique<int64_t[]>(n)),
      tag_key(std::make_unique<uint32_t[]>(max_tags)),
      tag_value(std::make_unique<uint32_t[]>(max_tags)),
      field_key(std::make_unique<uint32_t[]>(max_fields)),
      field_type(std::make_unique<uint8_t[]>(max_fields)),
      field_value(std::make_unique<uint64_t[]>(max_fields)) {}

uint32_t BatchBuilder::approx_bytes() const {
  return strings_.bytes_used() + sources_.bytes_used() + statsd_records_ * kBytesPerRecord +
         tags_used_ * kBytesPerTag + extra_bytes_;
}

void BatchBuilder::Clear() {
  for (SourceCacheEntry& entry : source_cache_) entry.index = StringDictionary::kNotAdded;
  strings_.Clear();
  sources_.Clear();
  records_ = 0;
  statsd_records_ = 0;
  tags_used_ = 0;
  extra_bytes_ = 0;
  flows_.count = 0;
  flows_.ent_used = 0;
  flows_.ent_bytes = 0;
  lines_.count = 0;
  lines_.tags_used = 0;
  lines_.fields_used = 0;
  first_receive_ = 0;
  last_receive_ = 0;
}

inline uint32_t BatchBuilder::InternSource(const PacketMeta& meta) {
  uint64_t a0;
  uint64_t a1;
  std::memcpy(&a0, meta.source_address, 8);
  std::memcpy(&a1, meta.source_address + 8, 8);
  const uint32_t port_len = uint32_t{meta.source_port} << 8 | meta.source_address_len;
  SourceCacheEntry& entry =
      source_cache_[_mm_crc32_u64(port_len, a0 ^ a1) & (kSourceCacheEntries - 1)];
  if (entry.address[0] == a0 && entry.address[1] == a1 && entry.port_len == port_len &&
      entry.index != StringDictionary::kNotAdded) {
    return entry.index;
  }
  return InternSourceMiss(meta, entry);
}

uint32_t BatchBuilder::InternSourceMiss(const PacketMeta& meta, SourceCacheEntry& entry) {
  char key[kSourceKeyMax];
  const uint32_t len = std::min<uint32_t>(meta.source_address_len, 16);
  std::memcpy(key, meta.source_address, len);
  key[len] = static_cast<char>(meta.source_port >> 8);
  key[len + 1] = static_cast<char>(meta.source_port & 0xff);
  // Index 0 of the source dictionary is the empty key, never a real source; the wire
  // column is 0-based, so shift down by one.
  const uint32_t index = sources_.Intern(std::string_view(key, len + 2));
  if (index == StringDictionary::kNotAdded) return index;
  std::memcpy(entry.address, meta.source_address, sizeof(entry.address));
  entry.port_len = uint32_t{meta.source_port} << 8 | meta.source_address_len;
  entry.index = index - 1;
  return entry.index;
}

AddResult BatchBuilder::AddStatsd(const decode::StatsdRecord& record, const PacketMeta& meta) {
  // Worst case this record adds: its strings, a source key, its fixed cost and tags.
  uint32_t new_bytes =
      static_cast<uint32_t>(record.name.size() + record.text.size() + record.container_id.size()) +
      kSourceKeyMax + kBytesPerRecord + record.tag_count * kBytesPerTag;
  for (int i = 0; i < record.tag_count; ++i) {
    new_bytes += static_cast<uint32_t>(record.tags[i].size());
  }
  if (new_bytes > limits_.max_bytes || static_cast<uint32_t>(record.tag_count) > max_tags_) {
    return AddResult::kTooLarge;
  }
  if (records_ == limits_.max_records || approx_bytes() + new_bytes > limits_.max_bytes ||
      tags_used_ + record.tag_count > max_tags_) {
    return AddResult::kFull;
  }

  // The checks above guarantee room in both dictionaries except for their string-count
  // limits; on refusal undo nothing visible (columns are written last).
  const uint32_t name = strings_.Intern(record.name);
  const uint32_t text = strings_.Intern(record.text);
  const uint32_t container = strings_.Intern(record.container_id);
  const uint32_t source = InternSource(meta);
  if (name == StringDictionary::kNotAdded || text == StringDictionary::kNotAdded ||
      container == StringDictionary::kNotAdded || source == StringDictionary::kNotAdded) {
    return records_ == 0 ? AddResult::kTooLarge : AddResult::kFull;
  }
  // A local pointer: Intern() writes the arena through char*, which may alias any
  // member, so tags_ itself would be reloaded after every tag.
  uint32_t* const tag_out = tags_.get() + tags_used_;
  for (int i = 0; i < record.tag_count; ++i) {
    const uint32_t tag = strings_.Intern(record.tags[i]);
    if (tag == StringDictionary::kNotAdded) {
      return records_ == 0 ? AddResult::kTooLarge : AddResult::kFull;
    }
    tag_out[i] = tag;
  }

  NoteReceive(meta);
  const uint32_t r = statsd_records_++;
  tags_used_ += record.tag_count;
  name_[r] = name;
  value_[r] = record.value;
  sample_rate_[r] = record.sample_rate;
  tag_count_[r] = static_cast<uint32_t>(record.tag_count);
  source_[r] = source;
  receive_[r] = meta.receive_unix_nanos;
  flags_[r] = record.flags;
  text_[r] = text;
  timestamp_[r] = record.timestamp_unix_seconds;
  container_id_[r] = container;
  // Last: a byte store may alias anything, so every column pointer after it would be
  // reloaded.
  type_[r] = static_cast<uint8_t>(record.type);
  return AddResult::kAdded;
}

void BatchBuilder::NoteReceive(const PacketMeta& meta) {
  if (records_ == 0 || meta.receive_unix_nanos < first_receive_) {
    first_receive_ = meta.receive_unix_nanos;
  }
  if (records_ == 0 || meta.receive_unix_nanos > last_receive_) {
    last_receive_ = meta.receive_unix_nanos;
  }
  ++records_;
}

AddResult BatchBuilder::CheckRoom(uint32_t new_bytes) const {
  if (new_bytes > limits_.max_bytes) return AddResult::kTooLarge;
  if (records_ == limits_.max_records || approx_bytes() + new_bytes > limits_.max_bytes) {
    return AddResult::kFull;
  }
  return AddResult::kAdded;
}

AddResult BatchBuilder::AddFlow(const decode::FlowRecord& record, const PacketMeta& meta) {
  const uint32_t ent_count = static_cast<uint32_t>(record.enterprise_count);
  uint32_t ent_bytes = 0;
  for (uint32_t i = 0; i < ent_count; ++i) {
    ent_bytes += static_cast<uint32_t>(record.enterprise[i].value.size());
  }
  const uint32_t new_bytes = kSourceKeyMax + kBytesPerFlow + ent_bytes + ent_count * 12;
  if (ent_count > max_enterprise_) return AddResult::kTooLarge;
  if (const AddResult room = CheckRoom(new_bytes); room != AddResult::kAdded) return room;
  if (flows_.ent_used + ent_count > max_enterprise_ ||
      flows_.ent_bytes + ent_bytes > limits_.max_bytes) {
    return AddResult::kFull;  // not empty: an empty batch has room (checked above)
  }
  const uint32_t source = InternSource(meta);
  if (source == StringDictionary::kNotAdded) {
    return records_ == 0 ? AddResult::kTooLarge : AddResult::kFull;
  }

  FlowColumns& c = flows_;
  const uint32_t r = c.count++;
  c.version[r] = record.version;
  c.ip_version[r] = record.ip_version;
  c.protocol[r] = record.protocol;
  c.tcp_flags[r] = record.tcp_flags;
  c.tos[r] = record.tos;
  c.src_port[r] = record.src_port;
  c.dst_port[r] = record.dst_port;
  c.exporter[r] = source;
  c.domain[r] = record.observation_domain;
  c.input_if[r] = record.input_interface;
  c.output_if[r] = record.output_interface;
  c.src_as[r] = record.src_as;
  c.dst_as[r] = record.dst_as;
  c.sampling[r] = record.sampling_interval;
  c.flags[r] = record.flags;
  c.bytes[r] = record.bytes;
  c.packets[r] = record.packets;
  c.start[r] = record.start_unix_millis;
  c.end[r] = record.end_unix_millis;
  c.receive[r] = meta.receive_unix_nanos;
  std::memcpy(&c.src_address[size_t{r} * 16], record.src_address, 16);
  std::memcpy(&c.dst_address[size_t{r} * 16], record.dst_address, 16);
  std::memcpy(&c.next_hop[size_t{r} * 16], record.next_hop, 16);
  c.enterprise_count[r] = ent_count;
  for (uint32_t i = 0; i < ent_count; ++i) {
    const decode::FlowEnterpriseField& e = record.enterprise[i];
    c.ent_number[c.ent_used] = e.enterprise;
    c.ent_element[c.ent_used] = e.element;
    c.ent_length[c.ent_used] = static_cast<uint32_t>(e.value.size());
    // An empty value may be a null view, and memcpy from null is undefined even for 0.
    if (!e.value.empty()) std::memcpy(&c.ent_data[c.ent_bytes], e.value.data(), e.value.size());
    c.ent_bytes += static_cast<uint32_t>(e.value.size());
    ++c.ent_used;
  }
  extra_bytes_ += kBytesPerFlow + ent_bytes + ent_count * 12;
  NoteReceive(meta);
  return AddResult::kAdded;
}

AddResult BatchBuilder::AddLinePoint(const decode::LinePoint& point, const PacketMeta& meta) {
  const uint32_t tags = static_cast<uint32_t>(point.tag_count);
  const uint32_t fields = static_cast<uint32_t>(point.field_count);
  uint32_t new_bytes = static_cast<uint32_t>(point.measurement.size()) + kSourceKeyMax +
                       kBytesPerRecord + tags * 2 * kBytesPerTag + fields * kBytesPerField;
  for (uint32_t i = 0; i < tags; ++i) {
    new_bytes += static_cast<uint32_t>(point.tags[i].key.size() + point.tags[i].value.size());
  }
  for (uint32_t i = 0; i < fields; ++i) {
    new_bytes +=
        static_cast<uint32_t>(point.fields[i].key.size() + point.fields[i].string_value.size());
  }
  if (tags > max_tags_ || fields > max_fields_) return AddResult::kTooLarge;
  if (const AddResult room = CheckRoom(new_bytes); room != AddResult::kAdded) return room;
  LineColumns& c = lines_;
  if (c.tags_used + tags > max_tags_ || c.fields_used + fields > max_fields_) {
    return AddResult::kFull;
  }
  const AddResult refused = records_ == 0 ? AddResult::kTooLarge : AddResult::kFull;
  const uint32_t measurement = strings_.Intern(point.measurement);
  const uint32_t source = InternSource(meta);
  if (measurement == StringDictionary::kNotAdded || source == StringDictionary::kNotAdded) {
    return refused;
  }
  // Tags and fields are written past the used marks and committed only at the end, so
  // a refusal half-way leaves the columns as they were.
  for (uint32_t i = 0; i < tags; ++i) {
    const uint32_t key = strings_.Intern(point.tags[i].key);
    const uint32_t value = strings_.Intern(point.tags[i].value);
    if (key == StringDictionary::kNotAdded || value == StringDictionary::kNotAdded) {
      return refused;
    }
    c.tag_key[c.tags_used + i] = key;
    c.tag_value[c.tags_used + i] = value;
  }
  for (uint32_t i = 0; i < fields; ++i) {
    const decode::LineField& f = point.fields[i];
    const uint32_t slot = c.fields_used + i;
    const uint32_t key = strings_.Intern(f.key);
    if (key == StringDictionary::kNotAdded) return refused;
    c.field_key[slot] = key;
    c.field_type[slot] = static_cast<uint8_t>(f.type);
    uint64_t bits = 0;
    switch (f.type) {
      case decode::FieldType::kFloat:
        std::memcpy(&bits, &f.float_value, sizeof(bits));
        break;
      case decode::FieldType::kInteger:
        bits = static_cast<uint64_t>(f.int_value);
        break;
      case decode::FieldType::kUnsigned:
        bits = f.uint_value;
        break;
      case decode::FieldType::kString: {
        const uint32_t text = strings_.Intern(f.string_value);
        if (text == StringDictionary::kNotAdded) return refused;
        bits = text;
        break;
      }
      case decode::FieldType::kBoolean:
        bits = f.bool_value ? 1 : 0;
        break;
    }
    c.field_value[slot] = bits;
  }
  const uint32_t r = c.count++;
  c.measurement[r] = measurement;
  c.timestamp[r] = point.timestamp_unix_nanos;
  c.flags[r] = point.has_timestamp ? 0 : v1::LINE_PROTOCOL_FLAG_NO_TIMESTAMP;
  c.source[r] = source;
  c.receive[r] = meta.receive_unix_nanos;
  c.tag_count[r] = tags;
  c.field_count[r] = fields;
  c.tags_used += tags;
  c.fields_used += fields;
  extra_bytes_ += kBytesPerRecord + tags * 2 * kBytesPerTag + fields * kBytesPerField;
  NoteReceive(meta);
  return AddResult::kAdded;
}

void BatchBuilder::ToProto(v1::Batch* out) const {
  out->set_first_receive_unix_nanos(first_receive_);
  out->set_last_receive_unix_nanos(last_receive_);
  out->set_record_count(records_);
  out->set_queue_id(queue_id_);

  auto* strings = out->mutable_strings();
  strings->Reserve(static_cast<int>(strings_.size()));
  for (uint32_t i = 0; i < strings_.size(); ++i) {
    strings->Add(std::string(strings_.Get(i)));
  }
  auto* sources = out->mutable_sources();
  for (uint32_t i = 1; i < sources_.size(); ++i) {
    const std::string_view key = sources_.Get(i);
    v1::Endpoint* endpoint = sources->Add();
    endpoint->set_address(std::string(key.substr(0, key.size() - 2)));
    endpoint->set_port((static_cast<uint8_t>(key[key.size() - 2]) << 8) |
                       static_cast<uint8_t>(key[key.size() - 1]));
  }

  if (flows_.count > 0) FlowsToProto(out);
  if (lines_.count > 0) LinePointsToProto(out);
  if (statsd_records_ == 0) return;
  v1::StatsdColumns* statsd = out->mutable_statsd();
  const uint32_t n = statsd_records_;
  statsd->mutable_name()->Add(name_.get(), name_.get() + n);
  statsd->mutable_value()->Add(value_.get(), value_.get() + n);
  statsd->mutable_type()->Reserve(static_cast<int>(n));
  for (uint32_t i = 0; i < n; ++i) statsd->add_type(static_cast<v1::MetricType>(type_[i]));
  statsd->mutable_sample_rate()->Add(sample_rate_.get(), sample_rate_.get() + n);
  statsd->mutable_tag_count()->Add(tag_count_.get(), tag_count_.get() + n);
  statsd->mutable_tags()->Add(tags_.get(), tags_.get() + tags_used_);
  statsd->mutable_source()->Add(source_.get(), source_.get() + n);
  statsd->mutable_receive_offset_nanos()->Reserve(static_cast<int>(n));
  for (uint32_t i = 0; i < n; ++i) {
    statsd->add_receive_offset_nanos(static_cast<uint64_t>(receive_[i] - first_receive_));
  }
  statsd->mutable_flags()->Add(flags_.get(), flags_.get() + n);
  statsd->mutable_text()->Add(text_.get(), text_.get() + n);
  statsd->mutable_timestamp_unix_seconds()->Add(timestamp_.get(), timestamp_.get() + n);
  statsd->mutable_container_id()->Add(container_id_.get(), container_id_.get() + n);
}

namespace {

// Appends n narrow values to a repeated uint32 column.
template <typename T, typename Column>
void AddWidened(Column* column, const T* values, uint32_t n) {
  column->Reserve(static_cast<int>(n));
  for (uint32_t i = 0; i < n; ++i) column->Add(values[i]);
}

template <typename Column>
void AddOffsets(Column* column, const int64_t* receive, uint32_t n, int64_t first) {
  column->Reserve(static_cast<int>(n));
  for (uint32_t i = 0; i < n; ++i) column->Add(static_cast<uint64_t>(receive[i] - first));
}

}  // namespace

void BatchBuilder::FlowsToProto(v1::Batch* out) const {
  const FlowColumns& c = flows_;
  const uint32_t n = c.count;
  v1::FlowColumns* f = out->mutable_flows();
  AddWidened(f->mutable_version(), c.version.get(), n);
  f->mutable_exporter()->Add(c.exporter.get(), c.exporter.get() + n);
  f->mutable_observation_domain()->Add(c.domain.get(), c.domain.get() + n);
  AddWidened(f->mutable_ip_version(), c.ip_version.get(), n);
  f->set_src_address(reinterpret_cast<const char*>(c.src_address.get()), n * 16);
  f->set_dst_address(reinterpret_cast<const char*>(c.dst_address.get()), n * 16);
  f->set_next_hop(reinterpret_cast<const char*>(c.next_hop.get()), n * 16);
  AddWidened(f->mutable_src_port(), c.src_port.get(), n);
  AddWidened(f->mutable_dst_port(), c.dst_port.get(), n);
  AddWidened(f->mutable_protocol(), c.protocol.get(), n);
  AddWidened(f->mutable_tcp_flags(), c.tcp_flags.get(), n);
  AddWidened(f->mutable_tos(), c.tos.get(), n);
  f->mutable_bytes()->Add(c.bytes.get(), c.bytes.get() + n);
  f->mutable_packets()->Add(c.packets.get(), c.packets.get() + n);
  f->mutable_start_unix_millis()->Add(c.start.get(), c.start.get() + n);
  f->mutable_end_unix_millis()->Add(c.end.get(), c.end.get() + n);
  f->mutable_input_interface()->Add(c.input_if.get(), c.input_if.get() + n);
  f->mutable_output_interface()->Add(c.output_if.get(), c.output_if.get() + n);
  f->mutable_src_as()->Add(c.src_as.get(), c.src_as.get() + n);
  f->mutable_dst_as()->Add(c.dst_as.get(), c.dst_as.get() + n);
  f->mutable_sampling_interval()->Add(c.sampling.get(), c.sampling.get() + n);
  f->mutable_flags()->Add(c.flags.get(), c.flags.get() + n);
  AddOffsets(f->mutable_receive_offset_nanos(), c.receive.get(), n, first_receive_);
  f->mutable_enterprise_count()->Add(c.enterprise_count.get(), c.enterprise_count.get() + n);
  f->mutable_enterprise_number()->Add(c.ent_number.get(), c.ent_number.get() + c.ent_used);
  f->mutable_enterprise_element()->Add(c.ent_element.get(), c.ent_element.get() + c.ent_used);
  f->mutable_enterprise_length()->Add(c.ent_length.get(), c.ent_length.get() + c.ent_used);
  f->set_enterprise_data(c.ent_data.get(), c.ent_bytes);
}

void BatchBuilder::LinePointsToProto(v1::Batch* out) const {
  const LineColumns& c = lines_;
  const uint32_t n = c.count;
  v1::LineProtocolColumns* l = out->mutable_line_protocol();
  l->mutable_measurement()->Add(c.measurement.get(), c.measurement.get() + n);
  l->mutable_timestamp_unix_nanos()->Add(c.timestamp.get(), c.timestamp.get() + n);
  l->mutable_flags()->Add(c.flags.get(), c.flags.get() + n);
  l->mutable_source()->Add(c.source.get(), c.source.get() + n);
  AddOffsets(l->mutable_receive_offset_nanos(), c.receive.get(), n, first_receive_);
  l->mutable_tag_count()->Add(c.tag_count.get(), c.tag_count.get() + n);
  l->mutable_tag_key()->Add(c.tag_key.get(), c.tag_key.get() + c.tags_used);
  l->mutable_tag_value()->Add(c.tag_value.get(), c.tag_value.get() + c.tags_used);
  l->mutable_field_count()->Add(c.field_count.get(), c.field_count.get() + n);
  l->mutable_field_key()->Add(c.field_key.get(), c.field_key.get() + c.fields_used);
  l->mutable_field_type()->Reserve(static_cast<int>(c.fields_used));
  for (uint32_t i = 0; i < c.fields_used; ++i) {
    const uint64_t bits = c.field_value[i];
    l->add_field_type(static_cast<v1::FieldType>(c.field_type[i]));
    switch (static_cast<decode::FieldType>(c.field_type[i])) {
      case decode::FieldType::kFloat: {
        double d;
        std::memcpy(&d, &bits, sizeof(d));
        l->add_float_value(d);
        break;
      }
      case decode::FieldType::kInteger:
        l->add_int_value(static_cast<int64_t>(bits));
        break;
      case decode::FieldType::kUnsigned:
        l->add_uint_value(bits);
        break;
      case decode::FieldType::kString:
        l->add_string_value(static_cast<uint32_t>(bits));
        break;
      case decode::FieldType::kBoolean:
        l->add_bool_value(bits != 0);
        break;
    }
  }
}

}  // namespace firehose::batch
