// Implementation of config_rules.h: the rule helpers of ingestd's config reader and
// validator.
#include "node/config/config_rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace firehose::config {
namespace {

constexpr size_t kMaxNameLength = 64;

bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Characters a bracketed IPv6 host may hold (hex, colons, an embedded IPv4, a zone).
bool IsBracketedHostChar(char c) {
  return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.' || c == '%';
}

// Characters of a host name or IPv4 address.
bool IsPlainHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

}  // namespace

std::string JoinPath(absl::string_view parent, absl::string_view child) {
  if (parent.empty()) {
    return std::string(child.data(), child.size());
  }
  return absl::StrCat(parent, ".", child);
}

std::string IndexPath(absl::string_view parent, size_t index) {
  return absl::StrCat(parent, "[", index, "]");
}

absl::Status FieldError(absl::string_view source, absl::string_view path, absl::string_view what) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", what));
  }
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", path, ": ", what));
}

std::string Quote(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

std::string RangeText(const Range& range) {
  return absl::StrCat(range.power_of_two ? "must be a power of two between " : "must be between ",
                      range.min, " and ", range.max);
}

bool InRange(const Range& range, uint64_t value) {
  return value >= range.min && value <= range.max && (!range.power_of_two || IsPowerOfTwo(value));
}

absl::Status RangeError(absl::string_view source, absl::string_view path, const Range& range,
                        absl::string_view got) {
  return FieldError(source, path, absl::StrCat(RangeText(range), ", got ", got));
}

absl::Status CheckRange(absl::string_view source, absl::string_view path, const Range& range,
                        uint64_t value) {
  if (InRange(range, value)) {
    return absl::OkStatus();
  }
  return RangeError(source, path, range, absl::StrCat(value));
}

bool IsDigits(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

bool IsSafeName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

absl::Status CheckSafeName(absl::string_view source, absl::string_view path,
                           absl::string_view name) {
  if (IsSafeName(name)) {
    return absl::OkStatus();
  }
  return FieldError(
      source, path,
      absl::StrCat("must be 1 to 64 of the characters A-Z a-z 0-9 . _ -, got ", Quote(name)));
}

std::optional<HostPort> ParseHostPort(absl::string_view text) {
  HostPort result;
  absl::string_view port_text;
  if (absl::StartsWith(text, "[")) {
    size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    result.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    if (result.host.empty() ||
        !std::all_of(result.host.begin(), result.host.end(), IsBracketedHostChar)) {
      return std::nullopt;
    }
  } else {
    size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) {
      return std::nullopt;
    }
    result.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (result.host.empty() ||
        !std::all_of(result.host.begin(), result.host.end(), IsPlainHostChar)) {
      return std::nullopt;
    }
  }
  if (port_text.size() > 5 || !IsDigits(port_text)) {
    return std::nullopt;
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return std::nullopt;
  }
  result.port = static_cast<uint16_t>(port);
  return result;
}

bool IsWildcardHost(absl::string_view host) {
  return host == "0.0.0.0" || host == "::" || host == "0:0:0:0:0:0:0:0";
}

bool IsLoopbackHost(absl::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || absl::StartsWith(host, "127.");
}

}  // namespace firehose::config
