// How a preflight Report is shown: a table for operators (with a fix line under every
// check that did not pass) and JSON for scripts and Ansible.
#ifndef FIREHOSE_CONTROLPLANE_PREFLIGHT_REPORT_H_
#define FIREHOSE_CONTROLPLANE_PREFLIGHT_REPORT_H_

#include <string>

#include "controlplane/preflight/preflight.h"

namespace firehose::preflight {

// Columns STATUS CHECK SUBJECT DETAIL, aligned; under each warn/fail row an indented
// "fix: ..." line; a last line "preflight: N passed, W warnings, F failed".
// `verbose` false leaves out passed checks (the summary still counts them).
std::string FormatTable(const Report& report, bool verbose = true);

// {"ok": bool, "passed": n, "warnings": n, "failed": n, "checks": [{"name", "subject",
// "status", "required", "detail", "fix"}...]}, one object, no trailing newline.
std::string FormatJson(const Report& report);

// The failed required checks, one per line: "SUBJECT: CHECK: DETAIL; fix: FIX", for
// ingestd's refusal message.
std::string FormatFailures(const Report& report);

}  // namespace firehose::preflight

#endif  // FIREHOSE_CONTROLPLANE_PREFLIGHT_REPORT_H_
