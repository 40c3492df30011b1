// Reads and validates the relay's `statsd_metrics:` section; see statsd_metrics_config.h.
//
// Reading checks shapes and keys (unknown or repeated keys are errors, with a "did you
// mean" hint), validation checks values, so that a config built in code gets the same
// checks as a file. yaml-cpp reports errors by throwing; every call into it is inside a
// try block and becomes an absl::Status.
#include "relay/statsd_metrics/statsd_metrics_config.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/config/yaml_fields.h"
#include "relay/statsd_metrics/name_mapper.h"
#include "yaml-cpp/yaml.h"

namespace firehose::relay {
namespace {

constexpr absl::string_view kSection = "statsd_metrics";

struct TimerUnitName {
  absl::string_view name;
  TimerUnit unit;
};
constexpr TimerUnitName kTimerUnits[] = {
    {"nanoseconds", TimerUnit::kNanoseconds},
    {"microseconds", TimerUnit::kMicroseconds},
    {"milliseconds", TimerUnit::kMilliseconds},
    {"seconds", TimerUnit::kSeconds},
};

std::string Quote(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

class Reader {
 public:
  explicit Reader(absl::string_view source) : source_(source) {}

  absl::Status Read(const YAML::Node& section, StatsdMetricsConfig* config) const;

 private:
  absl::Status Error(absl::string_view path, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": ", path, ": ", what));
  }
  // Fails unless `node` is a map (or null: no fields) of scalar keys in `allowed`,
  // each at most once.
  absl::Status CheckFields(const YAML::Node& node, absl::string_view path,
                           std::initializer_list<absl::string_view> allowed) const;
  absl::Status ReadScalar(const YAML::Node& node, absl::string_view path, std::string* out) const;
  absl::Status ReadBool(const YAML::Node& node, absl::string_view path, bool* out) const;
  absl::Status ReadDouble(const YAML::Node& node, absl::string_view path, double* out) const;
  absl::Status ReadMapping(const YAML::Node& node, absl::string_view path,
                           StatsdMapping* out) const;

  absl::string_view source_;
};

absl::Status Reader::CheckFields(const YAML::Node& node, absl::string_view path,
                                 std::initializer_list<absl::string_view> allowed) const {
  std::optional<std::string> problem = config::YamlFieldsProblem(node, allowed);
  return problem ? Error(path, *problem) : absl::OkStatus();
}

absl::Status Reader::ReadScalar(const YAML::Node& node, absl::string_view path,
                                std::string* out) const {
  if (!node.IsScalar()) {
    return Error(path, absl::StrCat("must be a string, got ", config::YamlKindOf(node)));
  }
  *out = node.Scalar();
  return absl::OkStatus();
}

absl::Status Reader::ReadBool(const YAML::Node& node, absl::string_view path, bool* out) const {
  std::string text;
  if (absl::Status s = ReadScalar(node, path, &text); !s.ok()) {
    return s;
  }
  if (text == "true") {
    *out = true;
  } else if (text == "false") {
    *out = false;
  } else {
    return Error(path, absl::StrCat("must be true or false, got ", Quote(text)));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadDouble(const YAML::Node& node, absl::string_view path, double* out) const {
  std::string text;
  if (!node.IsScalar()) {
    return Error(path, absl::StrCat("must be a number, got ", config::YamlKindOf(node)));
  }
  text = node.Scalar();
  if (!absl::SimpleAtod(text, out) || !std::isfinite(*out)) {
    return Error(path, absl::StrCat("must be a finite number, got ", Quote(text)));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadMapping(const YAML::Node& node, absl::string_view path,
                                 StatsdMapping* out) const {
  if (!node.IsMap()) {
    return Error(path, absl::StrCat("must be a map with match, name and labels, got ",
                                    config::YamlKindOf(node)));
  }
  if (absl::Status s = CheckFields(node, path, {"match", "name", "labels"}); !s.ok()) {
    return s;
  }
  bool has_match = false;
  bool has_name = false;
  for (const auto& entry : node) {
    const std::string& key = entry.first.Scalar();
    std::string field = absl::StrCat(path, ".", key);
    absl::Status s;
    if (key == "match") {
      has_match = true;
      s = ReadScalar(entry.second, field, &out->match);
    } else if (key == "name") {
      has_name = true;
      s = ReadScalar(entry.second, field, &out->name);
    } else if (entry.second.IsNull()) {
      continue;  // "labels:" with nothing: no labels
    } else if (!entry.second.IsMap()) {
      s = Error(field, absl::StrCat("must be a map of label name to value, got ",
                                    config::YamlKindOf(entry.second)));
    } else {
      for (const auto& label : entry.second) {
        if (!label.first.IsScalar()) {
          return Error(field, "label names must be plain words");
        }
        std::string name = label.first.Scalar();
        std::string value;
        s = ReadScalar(label.second, absl::StrCat(field, ".", name), &value);
        if (!s.ok()) {
          return s;
        }
        if (!out->labels.emplace(name, std::move(value)).second) {
          return Error(field, absl::StrCat("label ", Quote(name), " is given twice"));
        }
      }
    }
    if (!s.ok()) {
      return s;
    }
  }
  if (!has_match) {
    return Error(path, "field \"match\" is required");
  }
  if (!has_name) {
    return Error(path, "field \"name\" is required");
  }
  return absl::OkStatus();
}

absl::Status Reader::Read(const YAML::Node& section, StatsdMetricsConfig* config) const {
  if (absl::Status s =
          CheckFields(section, kSection,
                      {"enabled", "histogram_buckets", "timer_unit", "mappings", "max_series"});
      !s.ok()) {
    return s;
  }
  if (section.IsNull()) {
    return absl::OkStatus();
  }
  for (const auto& entry : section) {
    const std::string& key = entry.first.Scalar();
    const YAML::Node& value = entry.second;
    std::string path = absl::StrCat(kSection, ".", key);
    absl::Status s;
    if (key == "enabled") {
      s = ReadBool(value, path, &config->enabled);
    } else if (key == "histogram_buckets") {
      if (!value.IsSequence()) {
        return Error(path,
                     absl::StrCat("must be a list of numbers, got ", config::YamlKindOf(value)));
      }
      config->histogram_buckets.clear();
      for (size_t i = 0; i < value.size() && s.ok(); ++i) {
        double bound = 0;
        s = ReadDouble(value[i], absl::StrCat(path, "[", i, "]"), &bound);
        config->histogram_buckets.push_back(bound);
      }
    } else if (key == "timer_unit") {
      std::string text;
      s = ReadScalar(value, path, &text);
      if (s.ok()) {
        auto it = std::find_if(std::begin(kTimerUnits), std::end(kTimerUnits),
                               [&](const TimerUnitName& u) { return u.name == text; });
        if (it == std::end(kTimerUnits)) {
          return Error(path, absl::StrCat("must be one of nanoseconds, microseconds, "
                                          "milliseconds, seconds; got ",
                                          Quote(text)));
        }
        config->timer_unit = it->unit;
      }
    } else if (key == "mappings") {
      if (value.IsNull()) {
        continue;
      }
      if (!value.IsSequence()) {
        return Error(path,
                     absl::StrCat("must be a list of mappings, got ", config::YamlKindOf(value)));
      }
      for (size_t i = 0; i < value.size() && s.ok(); ++i) {
        StatsdMapping mapping;
        s = ReadMapping(value[i], absl::StrCat(path, "[", i, "]"), &mapping);
        config->mappings.push_back(std::move(mapping));
      }
    } else if (key == "max_series") {
      std::string text;
      s = ReadScalar(value, path, &text);
      if (s.ok() && (text.empty() || text[0] == '-' || text[0] == '+' ||
                     !absl::SimpleAtoi(text, &config->max_series))) {
        return Error(path, absl::StrCat("must be a whole number, got ", Quote(text)));
      }
    }
    if (!s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateStatsdMetricsConfig(const StatsdMetricsConfig& config,
                                         absl::string_view source_name) {
  auto error = [&](absl::string_view field, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": ", kSection, ".", field, ": ", what));
  };
  const std::vector<double>& buckets = config.histogram_buckets;
  if (buckets.empty() || buckets.size() > kMaxHistogramBuckets) {
    return error("histogram_buckets", absl::StrCat("must list 1 to ", kMaxHistogramBuckets,
                                                   " bucket bounds, got ", buckets.size()));
  }
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (!std::isfinite(buckets[i])) {
      return error(absl::StrCat("histogram_buckets[", i, "]"),
                   "must be finite (+Inf is always added)");
    }
    if (i > 0 && buckets[i] <= buckets[i - 1]) {
      return error(absl::StrCat("histogram_buckets[", i, "]"),
                   absl::StrCat("bounds must increase strictly, got ", buckets[i], " after ",
                                buckets[i - 1]));
    }
  }
  if (config.max_series < 1 || config.max_series > kMaxStatsdSeriesLimit) {
    return error("max_series", absl::StrCat("must be between 1 and ", kMaxStatsdSeriesLimit,
                                            ", got ", config.max_series));
  }
  if (config.mappings.size() > kMaxStatsdMappings) {
    return error("mappings", absl::StrCat("at most ", kMaxStatsdMappings, " rules, got ",
                                          config.mappings.size()));
  }
  for (size_t i = 0; i < config.mappings.size(); ++i) {
    absl::StatusOr<CompiledMapping> compiled = CompileMapping(config.mappings[i]);
    if (!compiled.ok()) {
      // The message names the field inside the rule: "name: ...", "labels.x: ...".
      return absl::InvalidArgumentError(absl::StrCat(source_name, ": ", kSection, ".mappings[", i,
                                                     "].", compiled.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<StatsdMetricsConfig> ReadStatsdMetricsConfig(const YAML::Node& section,
                                                            absl::string_view source_name) {
  StatsdMetricsConfig config;
  try {
    if (section.IsDefined()) {
      if (absl::Status s = Reader(source_name).Read(section, &config); !s.ok()) {
        return s;
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": ", kSection, ": cannot read YAML: ", e.what()));
  }
  if (absl::Status s = ValidateStatsdMetricsConfig(config, source_name); !s.ok()) {
    return s;
  }
  return config;
}

}  // namespace firehose::relay
