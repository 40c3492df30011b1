// Prometheus name validity and sanitizing; see metric_names.h.
#include "relay/statsd_metrics/metric_names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace firehose::relay {
namespace {

bool IsWordByte(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void AppendSanitized(absl::string_view name, std::string* out) {
  if (IsDigit(name[0])) {
    out->push_back('_');
  }
  for (char c : name) {
    out->push_back(IsWordByte(c) ? c : '_');
  }
}

}  // namespace

bool IsValidMetricName(absl::string_view name) {
  if (name.empty() || IsDigit(name[0])) {
    return false;
  }
  for (char c : name) {
    if (!IsWordByte(c) && c != ':') {
      return false;
    }
  }
  return true;
}

bool IsValidLabelName(absl::string_view name) {
  if (name.empty() || IsDigit(name[0]) || absl::StartsWith(name, "__")) {
    return false;
  }
  for (char c : name) {
    if (!IsWordByte(c)) {
      return false;
    }
  }
  return true;
}

bool AppendSanitizedMetricName(absl::string_view name, std::string* out) {
  if (name.empty()) {
    return false;
  }
  AppendSanitized(name, out);
  return true;
}

bool AppendSanitizedLabelName(absl::string_view name, std::string* out) {
  if (name.empty()) {
    return false;
  }
  size_t start = out->size();
  AppendSanitized(name, out);
  if (absl::StartsWith(absl::string_view(*out).substr(start), "__")) {
    out->insert(start, "tag");
  }
  return true;
}

}  // namespace firehose::relay
