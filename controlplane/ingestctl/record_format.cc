// The shared part of record_format (see record_format.h): escaping, JSON quoting,
// times, addresses, the row head every record kind starts with, and TextLines /
// JsonLines, which hand each section of a batch to the formatter of its record kind
// (record_format_statsd.cc, record_format_flow.cc, record_format_line.cc).
#include "controlplane/ingestctl/record_format.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "controlplane/ingestctl/record_format_internal.h"

namespace firehose::ctl {
namespace record_format_internal {
namespace {

// Length of the well-formed UTF-8 sequence starting at text[i] (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0 if it is not one.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  auto continuation = [&](size_t k, unsigned char low = 0x80, unsigned char high = 0xbf) {
    return k < text.size() && byte(k) >= low && byte(k) <= high;
  };
  unsigned char lead = byte(i);
  if (lead >= 0xc2 && lead <= 0xdf) {
    return continuation(i + 1) ? 2 : 0;
  }
  if (lead >= 0xe0 && lead <= 0xef) {
    unsigned char low = lead == 0xe0 ? 0xa0 : 0x80;
    unsigned char high = lead == 0xed ? 0x9f : 0xbf;
    return continuation(i + 1, low, high) && continuation(i + 2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    unsigned char low = lead == 0xf0 ? 0x90 : 0x80;
    unsigned char high = lead == 0xf4 ? 0x8f : 0xbf;
    return continuation(i + 1, low, high) && continuation(i + 2) && continuation(i + 3) ? 4 : 0;
  }
  return 0;
}

}  // namespace

void AppendHexEscape(std::string* out, const char* prefix, unsigned value, int digits) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%s%0*x", prefix, digits, value);
  out->append(buffer);
}

// The backslash is escaped too so that the escapes themselves are unambiguous.
void AppendTextEscaped(std::string* out, std::string_view text) {
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out->append("\\\\");
    } else if (byte < 0x20 || byte == 0x7f) {
      AppendHexEscape(out, "\\x", byte, 2);
    } else {
      out->push_back(c);
    }
  }
}

void AppendJsonQuoted(std::string* out, std::string_view text) {
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    unsigned char byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80) {
      size_t length = Utf8SequenceLength(text, i);
      if (length == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (byte) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          AppendHexEscape(out, "\\u", byte, 4);
        } else {
          out->push_back(static_cast<char>(byte));
        }
    }
    ++i;
  }
  out->push_back('"');
}

absl::Status SectionError(const char* section, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(section, ".", what));
}

absl::Status CheckDense(const char* section, size_t n,
                        std::initializer_list<std::pair<const char*, int>> columns) {
  for (const auto& [name, size] : columns) {
    if (static_cast<size_t>(size) != n) {
      return SectionError(section,
                          absl::StrCat(name, " has ", size, " entries for ", n, " records"));
    }
  }
  return absl::OkStatus();
}

int64_t ReceiveNanos(const v1::Batch& batch, uint64_t offset) {
  return static_cast<int64_t>(static_cast<uint64_t>(batch.first_receive_unix_nanos()) + offset);
}

void AppendRowHead(std::string* line, std::string_view node_id, uint64_t epoch, uint64_t seq,
                   int64_t unix_nanos, bool json) {
  if (json) {
    line->append("{\"node_id\":");
    AppendJsonQuoted(line, node_id);
    line->append(",\"epoch\":");
    AppendNumber(line, epoch);
    line->append(",\"seq\":");
    AppendNumber(line, seq);
    line->append(",\"time\":\"");
    line->append(FormatTimestamp(unix_nanos, 9));
    line->push_back('"');
  } else {
    line->append(FormatTimestamp(unix_nanos, 6));
    line->push_back(' ');
    AppendTextEscaped(line, node_id);
    line->append(" #");
    AppendNumber(line, seq);
  }
}

void AppendRowHead(std::string* line, const v1::Batch& batch, uint64_t offset, bool json) {
  AppendRowHead(line, batch.node_id(), batch.epoch(), batch.seq(), ReceiveNanos(batch, offset),
                json);
}

std::string IpText(std::string_view bytes) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (bytes.size() == 4) {
    inet_ntop(AF_INET, bytes.data(), text, sizeof(text));
  } else if (bytes.size() == 16) {
    inet_ntop(AF_INET6, bytes.data(), text, sizeof(text));
  }
  return text;
}

}  // namespace record_format_internal

namespace {

using record_format_internal::AppendFlowLines;
using record_format_internal::AppendLinePointLines;
using record_format_internal::AppendStatsdLines;

// Statsd rows, then flows, then line-protocol points of one batch.
absl::StatusOr<std::vector<std::string>> AllLines(const v1::Batch& batch, bool json) {
  std::vector<std::string> lines;
  lines.reserve(batch.statsd().name_size() + batch.flows().version_size() +
                batch.line_protocol().measurement_size());
  for (auto append : {AppendStatsdLines, AppendFlowLines, AppendLinePointLines}) {
    if (absl::Status s = append(batch, json, &lines); !s.ok()) return s;
  }
  return lines;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> TextLines(const v1::Batch& batch) {
  return AllLines(batch, /*json=*/false);
}

absl::StatusOr<std::vector<std::string>> JsonLines(const v1::Batch& batch) {
  return AllLines(batch, /*json=*/true);
}

std::string JsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  record_format_internal::AppendJsonQuoted(&out, text);
  return out;
}

std::string FormatTimestamp(int64_t unix_nanos, int fraction_digits) {
  if (fraction_digits < 0) {
    fraction_digits = 0;
  }
  if (fraction_digits > 9) {
    fraction_digits = 9;
  }
  std::string format = fraction_digits == 0
                           ? "%Y-%m-%dT%H:%M:%SZ"
                           : absl::StrCat("%Y-%m-%dT%H:%M:%E", fraction_digits, "SZ");
  return absl::FormatTime(format, absl::FromUnixNanos(unix_nanos), absl::UTCTimeZone());
}

std::string FormatEndpoint(const v1::Endpoint& endpoint) {
  const std::string& address = endpoint.address();
  std::string out = record_format_internal::IpText(address);
  if (address.size() == 16) {
    out = absl::StrCat("[", out, "]");
  }
  out.push_back(':');
  record_format_internal::AppendNumber(&out, endpoint.port());
  return out;
}

}  // namespace firehose::ctl
