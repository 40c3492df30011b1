// statsd_exporter-style aggregation of statsd records; see statsd_aggregator.h.
#include "relay/statsd_metrics/statsd_aggregator.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/firehose/v1/ingest.pb.h"
#include "relay/statsd_metrics/metric_names.h"

namespace firehose::relay {
namespace {

// The aggregator's own metrics; statsd names that would expose one of these are
// refused as type conflicts.
constexpr absl::string_view kOwnPrefix = "firehose_statsd_metrics_";

constexpr absl::string_view kDropReasonNames[] = {
    "malformed_batch",  "malformed_record", "invalid_name",  "invalid_value",
    "negative_counter", "set_unsupported",  "type_conflict", "series_limit",
};
static_assert(std::size(kDropReasonNames) == static_cast<size_t>(StatsdDropReason::kCount));

constexpr absl::string_view kTagReasonNames[] = {"no_value", "empty_key", "reserved_label",
                                                 "invalid_utf8"};
static_assert(std::size(kTagReasonNames) == static_cast<size_t>(StatsdTagIgnoreReason::kCount));

double TimerScale(TimerUnit unit) {
  switch (unit) {
    case TimerUnit::kNanoseconds:
      return 1e-9;
    case TimerUnit::kMicroseconds:
      return 1e-6;
    case TimerUnit::kMilliseconds:
      return 1e-3;
    case TimerUnit::kSeconds:
      break;
  }
  return 1;
}

// The sample rate as the sender most likely wrote it. The batch carries it as a float,
// and 0.1f is 0.100000001490116..., so 1 / 0.1f is not 10; the shortest decimal that
// reads back as the same float ("0.1") is what statsd_exporter would have parsed into a
// double. The decoder guarantees (0, 1]; anything else (a hand-built batch) counts as 1.
double DecimalRate(float rate) {
  if (!(rate > 0 && rate <= 1)) {
    return 1;
  }
  char text[32];
  std::to_chars_result printed = std::to_chars(text, text + sizeof(text), rate);
  double value = rate;
  if (printed.ec == std::errc() && std::from_chars(text, printed.ptr, value).ec == std::errc() &&
      value > 0 && value <= 1) {
    return value;
  }
  return rate;
}

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t extra;
    uint32_t code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) {
      return false;
    }
    for (size_t k = 1; k <= extra; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      code = (code << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMin[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace

absl::string_view StatsdDropReasonName(StatsdDropReason reason) {
  return kDropReasonNames[static_cast<size_t>(reason)];
}

absl::string_view StatsdTagIgnoreReasonName(StatsdTagIgnoreReason reason) {
  return kTagReasonNames[static_cast<size_t>(reason)];
}

uint64_t StatsdAggregator::Stats::dropped_total() const {
  uint64_t total = 0;
  for (uint64_t n : dropped) {
    total += n;
  }
  return total;
}

absl::StatusOr<std::unique_ptr<StatsdAggregator>> StatsdAggregator::Create(
    StatsdMetricsConfig config) {
  if (absl::Status s = ValidateStatsdMetricsConfig(config, "statsd_metrics config"); !s.ok()) {
    return s;
  }
  absl::StatusOr<NameMapper> mapper = NameMapper::Create(config.mappings);
  if (!mapper.ok()) {
    return mapper.status();
  }
  return std::unique_ptr<StatsdAggregator>(
      new StatsdAggregator(std::move(config), *std::move(mapper)));
}

StatsdAggregator::StatsdAggregator(StatsdMetricsConfig config, NameMapper mapper)
    : config_(std::move(config)),
      mapper_(std::move(mapper)),
      timer_scale_(TimerScale(config_.timer_unit)),
      // Each series can be reached through a few tag orders; the rest is room for
      // cached refusals (conflicts, the series limit), which never change.
      max_cache_entries_(static_cast<size_t>(config_.max_series) * 2 + 4096) {}

void StatsdAggregator::Drop(StatsdDropReason reason, uint64_t n) {
  stats_.dropped[static_cast<size_t>(reason)] += n;
}

void StatsdAggregator::Add(const v1::Batch& batch) {
  const v1::StatsdColumns& s = batch.statsd();
  const int n = s.name_size();
  absl::MutexLock lock(&mu_);
  stats_.records += n;
  if (n == 0) {
    return;
  }
  // Dense columns the aggregator reads must have one entry per record; sample_rate and
  // flags may also be absent altogether (all defaults).
  const bool rates = s.sample_rate_size() == n;
  const bool flags = s.flags_size() == n;
  if (s.value_size() != n || s.type_size() != n || s.tag_count_size() != n ||
      (!rates && s.sample_rate_size() != 0) || (!flags && s.flags_size() != 0)) {
    Drop(StatsdDropReason::kMalformedBatch, n);
    return;
  }
  uint64_t tag_total = 0;
  for (int i = 0; i < n; ++i) {
    tag_total += s.tag_count(i);
  }
  if (tag_total != static_cast<uint64_t>(s.tags_size())) {
    Drop(StatsdDropReason::kMalformedBatch, n);
    return;
  }
  const int strings = batch.strings_size();
  int tag_begin = 0;
  // A batch's records mostly share a handful of rates: convert each run once.
  float last_rate = 1;
  double rate = 1;
  for (int i = 0; i < n; ++i) {
    const int tag_end = tag_begin + static_cast<int>(s.tag_count(i));
    const int first_tag = tag_begin;
    tag_begin = tag_end;

    bool in_range = s.name(i) < static_cast<uint32_t>(strings);
    for (int t = first_tag; t < tag_end && in_range; ++t) {
      in_range = s.tags(t) < static_cast<uint32_t>(strings);
    }
    if (!in_range) {
      Drop(StatsdDropReason::kMalformedRecord);
      continue;
    }
    double value = s.value(i);
    if (rates && s.sample_rate(i) != last_rate) {
      last_rate = s.sample_rate(i);
      rate = DecimalRate(last_rate);
    }
    Kind kind;
    char kind_tag;
    switch (s.type(i)) {
      case v1::METRIC_TYPE_COUNTER:
        kind = Kind::kCounter;
        kind_tag = 'c';
        value /= rate;
        break;
      case v1::METRIC_TYPE_GAUGE:
        kind = Kind::kGauge;  // statsd_exporter ignores the sample rate of gauges too
        kind_tag = 'g';
        break;
      case v1::METRIC_TYPE_TIMER:
        kind = Kind::kHistogram;
        kind_tag = 'h';
        value *= timer_scale_;
        break;
      case v1::METRIC_TYPE_HISTOGRAM:
      case v1::METRIC_TYPE_DISTRIBUTION:
        kind = Kind::kHistogram;
        kind_tag = 'h';
        break;
      case v1::METRIC_TYPE_SET:
        Drop(StatsdDropReason::kSetUnsupported);
        continue;
      default:
        Drop(StatsdDropReason::kMalformedRecord);
        continue;
    }
    if (!std::isfinite(value)) {
      Drop(StatsdDropReason::kInvalidValue);
      continue;
    }
    if (kind == Kind::kCounter && value < 0) {
      Drop(StatsdDropReason::kNegativeCounter);
      continue;
    }
    const std::string& name = batch.strings(static_cast<int>(s.name(i)));
    if (name.empty()) {
      Drop(StatsdDropReason::kInvalidName);
      continue;
    }

    // Raw key: name, kind and the tags as sent, NUL-separated (none of them can hold a
    // NUL that matters: a NUL inside would only split the cache, never merge two).
    key_.clear();
    key_.append(name);
    key_.push_back('\0');
    key_.push_back(kind_tag);
    for (int t = first_tag; t < tag_end; ++t) {
      key_.push_back('\0');
      key_.append(batch.strings(static_cast<int>(s.tags(t))));
    }
    const Resolved* resolved;
    Resolved fresh;
    auto it = cache_.find(key_);
    if (it != cache_.end()) {
      resolved = &it->second;
    } else {
      fresh = Resolve(name, kind, batch, first_tag, tag_end);
      if (cache_.size() < max_cache_entries_) {
        resolved = &cache_.emplace(key_, fresh).first->second;
      } else {
        resolved = &fresh;
      }
    }
    for (size_t r = 0; r < resolved->tags_ignored.size(); ++r) {
      stats_.tags_ignored[r] += resolved->tags_ignored[r];
    }
    Series* series = resolved->series;
    if (series == nullptr) {
      Drop(resolved->drop);
      continue;
    }
    ++stats_.aggregated;
    switch (kind) {
      case Kind::kCounter:
        series->value += value;
        break;
      case Kind::kGauge:
        if (flags && (s.flags(i) & v1::STATSD_FLAG_GAUGE_DELTA) != 0) {
          series->value += value;
        } else {
          series->value = value;
        }
        break;
      case Kind::kHistogram:
        // A sample sent at rate r stands for 1/r samples (statsd_exporter observes it
        // int(1/r) times); rounding keeps 0.1f, which is 9.99..., at 10.
        Observe(series, value, std::max<uint64_t>(1, std::llround(1.0 / rate)));
        break;
    }
  }
}

void StatsdAggregator::Observe(Series* series, double value, uint64_t weight) {
  const std::vector<double>& bounds = config_.histogram_buckets;
  // Buckets are "less than or equal": the first bound >= value.
  size_t index = std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
  series->buckets[index] += weight;
  series->count += weight;
  series->sum += value * static_cast<double>(weight);
}

StatsdAggregator::Resolved StatsdAggregator::Resolve(absl::string_view statsd_name, Kind kind,
                                                     const v1::Batch& batch, int tag_begin,
                                                     int tag_end) {
  Resolved result;
  auto ignore = [&](StatsdTagIgnoreReason reason) {
    uint8_t& n = result.tags_ignored[static_cast<size_t>(reason)];
    if (n < std::numeric_limits<uint8_t>::max()) {
      ++n;
    }
  };
  std::string name;
  std::vector<std::pair<std::string, std::string>> mapped;
  if (!mapper_.Map(statsd_name, &name, &mapped)) {
    result.drop = StatsdDropReason::kInvalidName;
    return result;
  }
  if (kind == Kind::kCounter && !absl::EndsWith(name, "_total")) {
    name.append("_total");
  }
  // Labels: the rule's first (they win over tags of the same name), then the tags in
  // order, a later tag replacing an earlier one with the same key.
  std::vector<prometheus::ClientMetric::Label> labels;
  for (auto& [label, value] : mapped) {
    if (!IsValidUtf8(value)) {
      ignore(StatsdTagIgnoreReason::kInvalidUtf8);
      continue;
    }
    labels.push_back({std::move(label), std::move(value)});
  }
  const size_t mapped_count = labels.size();
  const v1::StatsdColumns& s = batch.statsd();
  for (int t = tag_begin; t < tag_end; ++t) {
    absl::string_view tag = batch.strings(static_cast<int>(s.tags(t)));
    size_t colon = tag.find(':');
    if (colon == absl::string_view::npos || colon + 1 == tag.size()) {
      ignore(StatsdTagIgnoreReason::kNoValue);
      continue;
    }
    if (colon == 0) {
      ignore(StatsdTagIgnoreReason::kEmptyKey);
      continue;
    }
    std::string key;
    AppendSanitizedLabelName(tag.substr(0, colon), &key);
    absl::string_view value = tag.substr(colon + 1);
    // "le" belongs to histogram buckets and "quantile" to summaries; Prometheus tools
    // (promtool's lint, histogram_quantile) misread either elsewhere.
    if (key == "le" || key == "quantile") {
      ignore(StatsdTagIgnoreReason::kReservedLabel);
      continue;
    }
    if (!IsValidUtf8(value)) {
      ignore(StatsdTagIgnoreReason::kInvalidUtf8);
      continue;
    }
    auto same =
        std::find_if(labels.begin(), labels.end(),
                     [&](const prometheus::ClientMetric::Label& l) { return l.name == key; });
    if (same == labels.end()) {
      labels.push_back({std::move(key), std::string(value)});
    } else if (same - labels.begin() >= static_cast<ptrdiff_t>(mapped_count)) {
      same->value = std::string(value);
    }
  }
  std::sort(labels.begin(), labels.end());

  auto family_it = families_.find(name);
  if (family_it != families_.end()) {
    if (family_it->second->kind != kind) {
      result.drop = StatsdDropReason::kTypeConflict;
      return result;
    }
  } else if (Collides(ReservedNames(name, kind))) {
    result.drop = StatsdDropReason::kTypeConflict;
    return result;
  }

  std::string canonical = name;
  for (const auto& label : labels) {
    absl::StrAppend(&canonical, absl::string_view("\0", 1), label.name, absl::string_view("\0", 1),
                    label.value);
  }
  if (auto found = series_by_labels_.find(canonical); found != series_by_labels_.end()) {
    result.series = found->second;
    return result;
  }
  if (stats_.series >= config_.max_series) {
    result.drop = StatsdDropReason::kSeriesLimit;
    return result;
  }
  Family* family;
  if (family_it != families_.end()) {
    family = family_it->second.get();
  } else {
    auto created = std::make_unique<Family>();
    created->name = name;
    created->kind = kind;
    family = created.get();
    families_.emplace(name, std::move(created));
    for (std::string& reserved : ReservedNames(name, kind)) {
      sample_names_.emplace(std::move(reserved), family);
    }
  }
  auto series = std::make_unique<Series>();
  series->family = family;
  series->labels = std::move(labels);
  if (kind == Kind::kHistogram) {
    series->buckets.assign(config_.histogram_buckets.size() + 1, 0);
  }
  result.series = series.get();
  series_by_labels_.emplace(std::move(canonical), series.get());
  family->series.push_back(std::move(series));
  ++stats_.series;
  return result;
}

std::vector<std::string> StatsdAggregator::ReservedNames(absl::string_view name, Kind kind) {
  std::vector<std::string> names = {std::string(name)};
  if (kind == Kind::kHistogram) {
    for (absl::string_view suffix : {"_bucket", "_sum", "_count"}) {
      names.push_back(absl::StrCat(name, suffix));
    }
  } else if (kind == Kind::kCounter && name.size() > 6 && absl::EndsWith(name, "_total")) {
    names.emplace_back(name.substr(0, name.size() - 6));
  }
  return names;
}

bool StatsdAggregator::Collides(const std::vector<std::string>& reserved) const {
  for (const std::string& name : reserved) {
    if (absl::StartsWith(name, kOwnPrefix) || sample_names_.contains(name)) {
      return true;
    }
  }
  return false;
}

StatsdAggregator::Stats StatsdAggregator::GetStats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

std::vector<prometheus::MetricFamily> StatsdAggregator::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  absl::MutexLock lock(&mu_);
  std::vector<const Family*> sorted;
  sorted.reserve(families_.size());
  for (const auto& [name, family] : families_) {
    sorted.push_back(family.get());
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const Family* a, const Family* b) { return a->name < b->name; });
  const std::vector<double>& bounds = config_.histogram_buckets;
  for (const Family* family : sorted) {
    prometheus::MetricFamily& f = out.emplace_back();
    f.name = family->name;
    switch (family->kind) {
      case Kind::kCounter:
        f.type = prometheus::MetricType::Counter;
        f.help = "statsd counter aggregated by the firehose relay.";
        break;
      case Kind::kGauge:
        f.type = prometheus::MetricType::Gauge;
        f.help = "statsd gauge aggregated by the firehose relay.";
        break;
      case Kind::kHistogram:
        f.type = prometheus::MetricType::Histogram;
        f.help = "statsd timer/histogram/distribution aggregated by the firehose relay.";
        break;
    }
    f.metric.reserve(family->series.size());
    for (const auto& series : family->series) {
      prometheus::ClientMetric& m = f.metric.emplace_back();
      m.label = series->labels;
      switch (family->kind) {
        case Kind::kCounter:
          m.counter.value = series->value;
          break;
        case Kind::kGauge:
          m.gauge.value = series->value;
          break;
        case Kind::kHistogram: {
          m.histogram.sample_count = series->count;
          m.histogram.sample_sum = series->sum;
          uint64_t cumulative = 0;
          m.histogram.bucket.reserve(bounds.size() + 1);
          for (size_t b = 0; b <= bounds.size(); ++b) {
            cumulative += series->buckets[b];
            m.histogram.bucket.push_back(
                {cumulative,
                 b < bounds.size() ? bounds[b] : std::numeric_limits<double>::infinity()});
          }
          break;
        }
      }
    }
  }
  CollectOwn(&out);
  return out;
}

void StatsdAggregator::CollectOwn(std::vector<prometheus::MetricFamily>* out) const {
  auto family = [&](absl::string_view name, absl::string_view help, prometheus::MetricType type) {
    prometheus::MetricFamily& f = out->emplace_back();
    f.name = std::string(name);
    f.help = std::string(help);
    f.type = type;
    return &f;
  };
  auto counter = [](prometheus::MetricFamily* f, double value, absl::string_view reason = {}) {
    prometheus::ClientMetric& m = f->metric.emplace_back();
    if (!reason.empty()) {
      m.label.push_back({"reason", std::string(reason)});
    }
    m.counter.value = value;
  };
  counter(family("firehose_statsd_metrics_records_total",
                 "statsd records read from batches; = aggregated + dropped.",
                 prometheus::MetricType::Counter),
          static_cast<double>(stats_.records));
  counter(family("firehose_statsd_metrics_aggregated_total",
                 "statsd records added to an exposed series.", prometheus::MetricType::Counter),
          static_cast<double>(stats_.aggregated));
  prometheus::MetricFamily* dropped =
      family("firehose_statsd_metrics_dropped_total", "statsd records not aggregated, by reason.",
             prometheus::MetricType::Counter);
  for (size_t r = 0; r < stats_.dropped.size(); ++r) {
    counter(dropped, static_cast<double>(stats_.dropped[r]), kDropReasonNames[r]);
  }
  prometheus::MetricFamily* tags =
      family("firehose_statsd_metrics_tags_ignored_total",
             "DogStatsD tags not turned into labels, by reason (the record is kept).",
             prometheus::MetricType::Counter);
  for (size_t r = 0; r < stats_.tags_ignored.size(); ++r) {
    counter(tags, static_cast<double>(stats_.tags_ignored[r]), kTagReasonNames[r]);
  }
  family("firehose_statsd_metrics_series", "Aggregated statsd series exposed.",
         prometheus::MetricType::Gauge)
      ->metric.emplace_back()
      .gauge.value = static_cast<double>(stats_.series);
  family("firehose_statsd_metrics_series_limit", "Configured max_series.",
         prometheus::MetricType::Gauge)
      ->metric.emplace_back()
      .gauge.value = static_cast<double>(config_.max_series);
}

}  // namespace firehose::relay
