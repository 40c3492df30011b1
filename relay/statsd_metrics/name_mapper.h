// Turns a statsd metric name into a Prometheus metric name plus labels, with the
// configured mapping rules (glob `*` per dot-separated component, $1..$9 captures) and,
// for names no rule matches, by sanitizing the name. Used only when the aggregator
// meets a (name, tags) it has not seen before, so it favours clarity over speed.
#ifndef FIREHOSE_RELAY_STATSD_METRICS_NAME_MAPPER_H_
#define FIREHOSE_RELAY_STATSD_METRICS_NAME_MAPPER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "relay/statsd_metrics/statsd_metrics_config.h"

namespace firehose::relay {

// A name or label-value template: literal text and $n references, n in 1..9.
class CaptureTemplate {
 public:
  // Fails with a message (no file or field: the caller adds them) when `text` has a
  // '$' not followed by a digit 1-9, or refers to a capture above `captures`.
  static absl::StatusOr<CaptureTemplate> Parse(absl::string_view text, int captures);

  // Appends the text with every $n replaced by captures[n-1].
  void Expand(const std::vector<absl::string_view>& captures, std::string* out) const;

  // The text with every $n replaced by `stand_in`: what validation checks.
  std::string WithStandIn(absl::string_view stand_in) const;

 private:
  struct Piece {
    std::string literal;
    int capture = -1;  // index into the captures, or -1 for a literal piece
  };
  std::vector<Piece> pieces_;
};

// A compiled mapping rule.
struct CompiledMapping {
  // One entry per dot-separated component: a literal, or `*` (wildcard).
  struct Component {
    std::string literal;
    bool wildcard = false;
  };
  std::vector<Component> components;
  CaptureTemplate name;
  std::vector<std::pair<std::string, CaptureTemplate>> labels;  // sorted by label name
};

// Compiles one rule, or says what is wrong with it. Errors name the field relative to
// the rule ("match: ...", "name: ...", "labels.x: ...").
absl::StatusOr<CompiledMapping> CompileMapping(const StatsdMapping& mapping);

class NameMapper {
 public:
  static absl::StatusOr<NameMapper> Create(const std::vector<StatsdMapping>& mappings);

  // Sets `name` to the Prometheus name for `statsd_name` and appends the rule's labels
  // to `labels`. Returns false when the name cannot be made valid (it is empty, or a
  // rule expanded to nothing).
  bool Map(absl::string_view statsd_name, std::string* name,
           std::vector<std::pair<std::string, std::string>>* labels) const;

 private:
  std::vector<CompiledMapping> mappings_;
};

}  // namespace firehose::relay

#endif  // FIREHOSE_RELAY_STATSD_METRICS_NAME_MAPPER_H_
