#!/usr/bin/env bash
# Runs the whole test suite the way CI does: every test in the default configuration,
# then every test that does not start DPDK again under AddressSanitizer +
# UndefinedBehaviorSanitizer. Ends with one line "tests: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BAZEL=${BAZEL:-bazel}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
echo "== bazel test //... (default configuration)"
$BAZEL test //... 2>&1 | tee -a "$log" || status=1
echo "== bazel test --config=asan (sanitizers; DPDK suites excluded)"
$BAZEL test --config=asan --test_tag_filters=-dpdk //... 2>&1 | tee -a "$log" || status=1

# Bazel prints one line per test target: "//pkg:name   PASSED in 0.1s".
passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +(FAILED|TIMEOUT|NO STATUS|FLAKY)' "$log")
echo "tests: ${passed} passed, ${failed} failed"
if [[ $status -ne 0 || $failed -ne 0 || $passed -eq 0 ]]; then
  exit 1
fi
