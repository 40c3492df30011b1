// Prometheus metric and label name rules for the statsd aggregation: what is valid,
// and how a statsd name or DogStatsD tag key is turned into something valid.
#ifndef FIREHOSE_RELAY_STATSD_METRICS_METRIC_NAMES_H_
#define FIREHOSE_RELAY_STATSD_METRICS_METRIC_NAMES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace firehose::relay {

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(absl::string_view name);

// [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__" (reserved for Prometheus).
bool IsValidLabelName(absl::string_view name);

// Appends to `out` a valid metric name made from `name`: every byte outside
// [A-Za-z0-9_] (dots, dashes, colons, UTF-8 bytes...) becomes '_', and a leading digit
// gets a '_' in front. Returns false (appending nothing) when `name` is empty.
bool AppendSanitizedMetricName(absl::string_view name, std::string* out);

// Appends a valid label name made from `name` the same way; a result starting with
// "__" (reserved) is prefixed with "tag". Returns false when `name` is empty.
bool AppendSanitizedLabelName(absl::string_view name, std::string* out);

}  // namespace firehose::relay

#endif  // FIREHOSE_RELAY_STATSD_METRICS_METRIC_NAMES_H_
