// Columnar batch building and conversion to the wire message; see the header.
#include "node/batch/batch_builder.h"

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
      text_(std::make_unique<uint32_t[]>(limits.max_records)) {}

uint32_t BatchBuilder::approx_bytes() const {
  return strings_.bytes_used() + sources_.bytes_used() + records_ * kBytesPerRecord +
         tags_used_ * kBytesPerTag;
}

void BatchBuilder::Clear() {
  strings_.Clear();
  sources_.Clear();
  records_ = 0;
  tags_used_ = 0;
  first_receive_ = 0;
  last_receive_ = 0;
}

uint32_t BatchBuilder::InternSource(const PacketMeta& meta) {
  char key[kSourceKeyMax];
  const uint32_t len = std::min<uint32_t>(meta.source_address_len, 16);
  std::memcpy(key, meta.source_address, len);
  key[len] = static_cast<char>(meta.source_port >> 8);
  key[len + 1] = static_cast<char>(meta.source_port & 0xff);
  // Index 0 of the source dictionary is the empty key, never a real source; the wire
  // column is 0-based, so shift down by one.
  const uint32_t index = sources_.Intern(std::string_view(key, len + 2));
  return index == StringDictionary::kNotAdded ? index : index - 1;
}

AddResult BatchBuilder::AddStatsd(const decode::StatsdRecord& record,
                                  const PacketMeta& meta) {
  // Worst case this record adds: its strings, a source key, its fixed cost and tags.
  uint32_t new_bytes = static_cast<uint32_t>(record.name.size() + record.text.size()) +
                       kSourceKeyMax + kBytesPerRecord + record.tag_count * kBytesPerTag;
  for (int i = 0; i < record.tag_count; ++i) {
    new_bytes += static_cast<uint32_t>(record.tags[i].size());
  }
  if (new_bytes > limits_.max_bytes ||
      static_cast<uint32_t>(record.tag_count) > max_tags_) {
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
  const uint32_t source = InternSource(meta);
  if (name == StringDictionary::kNotAdded || text == StringDictionary::kNotAdded ||
      source == StringDictionary::kNotAdded) {
    return records_ == 0 ? AddResult::kTooLarge : AddResult::kFull;
  }
  const uint32_t tag_base = tags_used_;
  for (int i = 0; i < record.tag_count; ++i) {
    const uint32_t tag = strings_.Intern(record.tags[i]);
    if (tag == StringDictionary::kNotAdded) {
      return records_ == 0 ? AddResult::kTooLarge : AddResult::kFull;
    }
    tags_[tag_base + i] = tag;
  }

  const uint32_t r = records_++;
  tags_used_ += record.tag_count;
  name_[r] = name;
  value_[r] = record.value;
  type_[r] = static_cast<uint8_t>(record.type);
  sample_rate_[r] = record.sample_rate;
  tag_count_[r] = static_cast<uint32_t>(record.tag_count);
  source_[r] = source;
  receive_[r] = meta.receive_unix_nanos;
  flags_[r] = record.flags;
  text_[r] = text;
  if (r == 0 || meta.receive_unix_nanos < first_receive_) {
    first_receive_ = meta.receive_unix_nanos;
  }
  last_receive_ = std::max(last_receive_, meta.receive_unix_nanos);
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

  if (records_ == 0) return;
  v1::StatsdColumns* statsd = out->mutable_statsd();
  const uint32_t n = records_;
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
}

}  // namespace firehose::batch
