// Implementation of yaml_fields.h: field checks shared by the config readers.
#include "node/config/yaml_fields.h"

#include <algorithm>
#include <limits>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/config/config_rules.h"

namespace firehose::config {
namespace {

// Levenshtein distance, for "did you mean" hints on misspelt keys.
size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string UnknownFieldMessage(absl::string_view key,
                                std::initializer_list<absl::string_view> allowed) {
  std::string lower_key = absl::AsciiStrToLower(key);
  absl::string_view best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (absl::string_view candidate : allowed) {
    size_t distance = EditDistance(lower_key, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  // Close enough to be a typo: two edits, or a third of the longer name.
  size_t longer = std::max(key.size(), best.size());
  if (!best.empty() && best_distance <= std::max<size_t>(2, longer / 3)) {
    return absl::StrCat("unknown field ", Quote(key), " (did you mean ", Quote(best), "?)");
  }
  return absl::StrCat("unknown field ", Quote(key),
                      " (expected one of: ", absl::StrJoin(allowed, ", "), ")");
}

}  // namespace

absl::string_view YamlKindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::optional<std::string> YamlFieldsProblem(const YAML::Node& node,
                                             std::initializer_list<absl::string_view> allowed) {
  if (node.IsNull()) return std::nullopt;
  if (!node.IsMap()) return absl::StrCat("must be a map of fields, got ", YamlKindOf(node));
  std::set<std::string> seen;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      return absl::StrCat("field names must be plain words, got ", YamlKindOf(entry.first));
    }
    const std::string& key = entry.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return UnknownFieldMessage(key, allowed);
    }
    if (!seen.insert(key).second) return absl::StrCat("field ", Quote(key), " is given twice");
  }
  return std::nullopt;
}

}  // namespace firehose::config
