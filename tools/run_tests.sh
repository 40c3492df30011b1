#!/usr/bin/env bash
# Runs the whole test suite the way CI does: every test in the default configuration,
# then every test that does not start DPDK again under AddressSanitizer +
# UndefinedBehaviorSanitizer (suites with no C++ of their own are tagged "noasan" and run
# once), then each decoder's libFuzzer target for a bounded time
# (FUZZ_SECONDS, default 20; tools/fuzz.sh). Ends with one line "tests: N passed, M
# failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BAZEL=${BAZEL:-bazel}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

status=0
echo "== bazel test //... (default configuration)"
$BAZEL test //... 2>&1 | tee "$logs/default" || status=1
echo "== bazel test --config=asan (sanitizers; DPDK suites excluded)"
$BAZEL test --config=asan --test_tag_filters=-dpdk,-noasan //... 2>&1 | tee "$logs/asan" || status=1

echo "== fuzz: each decoder's libFuzzer target for ${FUZZ_SECONDS:-20} s (tools/fuzz.sh)"
if tools/fuzz.sh "${FUZZ_SECONDS:-20}" | tee "$logs/fuzz"; then :; else status=1; fi

# Bazel prints a line per test target, "//pkg:name  PASSED in 0.1s", sometimes twice
# (progress and summary); count each target once per configuration.
count() {
  for run in default asan; do
    grep -E "^//[^ ]+ +(\(cached\) )?$1" "$logs/$run" | awk -v r="$run" '{print r, $1}' | sort -u
  done | wc -l
}
passed=$(count PASSED)
failed=$(count '(FAILED|TIMEOUT|NO STATUS|FLAKY)')
echo "tests: ${passed} passed, ${failed} failed"
if [[ $status -ne 0 || $failed -ne 0 || $passed -eq 0 ]]; then
  exit 1
fi
