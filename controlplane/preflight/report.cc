// Table and JSON output of preflight reports; see report.h.
#include "controlplane/preflight/report.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace firehose::preflight {
namespace {

// JSON string escaping for the few characters that can appear in sysfs values and
// paths; anything below 0x20 becomes \u00XX so the output stays one valid line.
std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string Summary(const Report& report) {
  return absl::StrCat("preflight: ", report.CountVerdict(Verdict::kPass), " passed, ",
                      report.CountVerdict(Verdict::kWarn), " warnings, ",
                      report.CountVerdict(Verdict::kFail), " failed");
}

}  // namespace

std::string FormatTable(const Report& report, bool verbose) {
  size_t name_width = 5;
  size_t subject_width = 7;
  for (const Check& c : report.checks) {
    name_width = std::max(name_width, c.name.size());
    subject_width = std::max(subject_width, c.subject.size());
  }
  auto row = [&](absl::string_view status, absl::string_view name, absl::string_view subject,
                 absl::string_view detail) {
    return absl::StrFormat("%-6s %-*s %-*s %s\n", status, name_width, name, subject_width, subject,
                           detail);
  };
  std::string out = row("STATUS", "CHECK", "SUBJECT", "DETAIL");
  for (const Check& c : report.checks) {
    if (!verbose && c.verdict == Verdict::kPass) continue;
    // Advisory checks say so, so an operator can tell a warning that blocks nothing.
    std::string detail = c.detail;
    if (!c.required && c.verdict != Verdict::kPass) detail += " [advisory]";
    out += row(VerdictName(c.verdict), c.name, c.subject, detail);
    if (c.verdict != Verdict::kPass && !c.fix.empty()) {
      out += absl::StrCat("       fix: ", c.fix, "\n");
    }
  }
  return absl::StrCat(out, Summary(report), "\n");
}

std::string FormatJson(const Report& report) {
  std::string out = absl::StrCat("{\"ok\":", report.ok() ? "true" : "false",
                                 ",\"passed\":", report.CountVerdict(Verdict::kPass),
                                 ",\"warnings\":", report.CountVerdict(Verdict::kWarn),
                                 ",\"failed\":", report.CountVerdict(Verdict::kFail),
                                 ",\"checks\":[");
  for (size_t i = 0; i < report.checks.size(); ++i) {
    const Check& c = report.checks[i];
    absl::StrAppend(&out, i ? "," : "", "{\"name\":", JsonString(c.name),
                    ",\"subject\":", JsonString(c.subject), ",\"status\":\"",
                    VerdictName(c.verdict), "\",\"required\":", c.required ? "true" : "false",
                    ",\"detail\":", JsonString(c.detail), ",\"fix\":", JsonString(c.fix), "}");
  }
  return out + "]}";
}

std::string FormatFailures(const Report& report) {
  std::string out;
  for (const Check& c : report.checks) {
    if (c.verdict != Verdict::kFail) continue;
    absl::StrAppend(&out, c.subject, ": ", c.name, ": ", c.detail, "; fix: ", c.fix, "\n");
  }
  return out;
}

}  // namespace firehose::preflight
