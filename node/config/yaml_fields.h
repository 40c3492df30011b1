// Shared checks for firehose's YAML config files (ingestd's and the relay's): what kind
// of value a node holds, and whether a map holds only known fields, each once, with a
// "did you mean" hint for a misspelt one. Each config reader wraps the problem text with
// its own file name and field path, so every config reports errors the same way.
#ifndef FIREHOSE_NODE_CONFIG_YAML_FIELDS_H_
#define FIREHOSE_NODE_CONFIG_YAML_FIELDS_H_

#include <initializer_list>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "yaml-cpp/yaml.h"

namespace firehose::config {

// "a scalar", "a list", "a map" or "nothing": for messages such as "must be a string,
// got a list".
absl::string_view YamlKindOf(const YAML::Node& node);

// What is wrong with `node` as a map of fields from `allowed` (a null node has no
// fields and is fine), or nullopt when nothing is: "must be a map of fields, got a
// list", "field names must be plain words, got a map", "unknown field \"lisen\" (did
// you mean \"listen\"?)", "unknown field \"x\" (expected one of: a, b)", "field \"a\"
// is given twice".
std::optional<std::string> YamlFieldsProblem(const YAML::Node& node,
                                             std::initializer_list<absl::string_view> allowed);

}  // namespace firehose::config

#endif  // FIREHOSE_NODE_CONFIG_YAML_FIELDS_H_
