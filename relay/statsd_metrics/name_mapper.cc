// Mapping rules and name sanitizing; see name_mapper.h.
#include "relay/statsd_metrics/name_mapper.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "relay/statsd_metrics/metric_names.h"

namespace firehose::relay {
namespace {

constexpr int kMaxCaptures = 9;

}  // namespace

absl::StatusOr<CaptureTemplate> CaptureTemplate::Parse(absl::string_view text, int captures) {
  CaptureTemplate result;
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      literal.push_back(text[i]);
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] < '1' || text[i + 1] > '9') {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text, "\": '$' must be followed by a capture number 1-9"));
    }
    int n = text[i + 1] - '0';
    if (n > captures) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"", text, "\" uses $", n, " but the match has ", captures, " '*' component(s)"));
    }
    if (!literal.empty()) {
      result.pieces_.push_back({std::move(literal), -1});
      literal.clear();
    }
    result.pieces_.push_back({"", n - 1});
    ++i;
  }
  if (!literal.empty()) {
    result.pieces_.push_back({std::move(literal), -1});
  }
  return result;
}

void CaptureTemplate::Expand(const std::vector<absl::string_view>& captures,
                             std::string* out) const {
  for (const Piece& piece : pieces_) {
    if (piece.capture < 0) {
      out->append(piece.literal);
    } else {
      absl::string_view value = captures[piece.capture];
      out->append(value.data(), value.size());
    }
  }
}

std::string CaptureTemplate::WithStandIn(absl::string_view stand_in) const {
  std::string out;
  for (const Piece& piece : pieces_) {
    if (piece.capture < 0) {
      out.append(piece.literal);
    } else {
      out.append(stand_in.data(), stand_in.size());
    }
  }
  return out;
}

absl::StatusOr<CompiledMapping> CompileMapping(const StatsdMapping& mapping) {
  CompiledMapping compiled;
  if (mapping.match.empty()) {
    return absl::InvalidArgumentError("match: must not be empty");
  }
  int captures = 0;
  for (absl::string_view part : absl::StrSplit(mapping.match, '.')) {
    if (part.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("match: \"", mapping.match, "\" has an empty component"));
    }
    if (part == "*") {
      compiled.components.push_back({"", true});
      ++captures;
      continue;
    }
    if (part.find('*') != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "match: \"", mapping.match, "\": '*' must be a whole dot-separated component"));
    }
    compiled.components.push_back({std::string(part), false});
  }
  if (captures > kMaxCaptures) {
    return absl::InvalidArgumentError(absl::StrCat("match: \"", mapping.match, "\" has ", captures,
                                                   " '*' components, at most 9 are allowed"));
  }
  absl::StatusOr<CaptureTemplate> name = CaptureTemplate::Parse(mapping.name, captures);
  if (!name.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("name: ", name.status().message()));
  }
  // A capture is never empty and is sanitized after expansion, so "a" stands for any.
  if (!IsValidMetricName(name->WithStandIn("a"))) {
    return absl::InvalidArgumentError(
        absl::StrCat("name: \"", mapping.name, "\" is not a valid metric name"));
  }
  compiled.name = *std::move(name);
  for (const auto& [label, value] : mapping.labels) {
    if (!IsValidLabelName(label)) {
      return absl::InvalidArgumentError(
          absl::StrCat("labels: \"", label, "\" is not a valid label name"));
    }
    absl::StatusOr<CaptureTemplate> value_template = CaptureTemplate::Parse(value, captures);
    if (!value_template.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("labels.", label, ": ", value_template.status().message()));
    }
    compiled.labels.emplace_back(label, *std::move(value_template));
  }
  return compiled;
}

absl::StatusOr<NameMapper> NameMapper::Create(const std::vector<StatsdMapping>& mappings) {
  NameMapper mapper;
  for (size_t i = 0; i < mappings.size(); ++i) {
    absl::StatusOr<CompiledMapping> compiled = CompileMapping(mappings[i]);
    if (!compiled.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("mappings[", i, "].", compiled.status().message()));
    }
    mapper.mappings_.push_back(*std::move(compiled));
  }
  return mapper;
}

bool NameMapper::Map(absl::string_view statsd_name, std::string* name,
                     std::vector<std::pair<std::string, std::string>>* labels) const {
  name->clear();
  if (statsd_name.empty()) {
    return false;
  }
  std::vector<absl::string_view> parts = absl::StrSplit(statsd_name, '.');
  std::vector<absl::string_view> captures;
  for (const CompiledMapping& mapping : mappings_) {
    if (mapping.components.size() != parts.size()) {
      continue;
    }
    captures.clear();
    bool matched = true;
    for (size_t i = 0; i < parts.size() && matched; ++i) {
      const CompiledMapping::Component& component = mapping.components[i];
      if (component.wildcard) {
        matched = !parts[i].empty();
        captures.push_back(parts[i]);
      } else {
        matched = component.literal == parts[i];
      }
    }
    if (!matched) {
      continue;
    }
    // Captures may hold any bytes ('-', UTF-8): their invalid bytes become '_' in the
    // name (not in label values), and the rule's own text was checked at load.
    std::vector<std::string> cleaned(captures.size());
    std::vector<absl::string_view> cleaned_views;
    for (size_t i = 0; i < captures.size(); ++i) {
      for (char c : captures[i]) {
        cleaned[i].push_back(absl::ascii_isalnum(static_cast<unsigned char>(c)) ? c : '_');
      }
      cleaned_views.push_back(cleaned[i]);
    }
    mapping.name.Expand(cleaned_views, name);
    if (absl::ascii_isdigit(static_cast<unsigned char>((*name)[0]))) {
      name->insert(0, "_");
    }
    for (const auto& [label, value] : mapping.labels) {
      std::string text;
      value.Expand(captures, &text);
      labels->emplace_back(label, std::move(text));
    }
    return true;
  }
  return AppendSanitizedMetricName(statsd_name, name);
}

}  // namespace firehose::relay
