#!/usr/bin/env bash
# Runs the whole test suite the way CI does: every test in the default configuration,
# then the tests of the code that reads untrusted bytes or owns long-lived memory again
# under AddressSanitizer + UndefinedBehaviorSanitizer (ASAN_SCOPE: the data path in node/,
# the client library, the relay, and the sysfs readers of preflight and NIC binding; not
# suites that start DPDK or carry no C++ of their own, tagged "dpdk" and "noasan"), then
# the tests tagged "tsan" under ThreadSanitizer, then each decoder's libFuzzer target for
# a bounded time (FUZZ_SECONDS, default 20; tools/fuzz.sh). Ends with one line
# "tests: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BAZEL=${BAZEL:-bazel}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

status=0
echo "== bazel test //... (default configuration)"
$BAZEL test //... 2>&1 | tee "$logs/default" || status=1
# The multi-process suites under tests/ and the etcd-driven control plane run once, in the
# default configuration: building every binary a second time under ASan would take
# `make test` past its 30 minutes on a 2-core machine.
ASAN_SCOPE=(//node/... //client/... //relay/... //controlplane/preflight/... //controlplane/nic/...
  //controlplane/hostfs/...)
echo "== bazel test --config=asan ${ASAN_SCOPE[*]} (sanitizers; DPDK suites excluded)"
# --build_tests_only: the binaries under these packages (ingestd, the relay) were built in
# the default pass; here only what the tests link is rebuilt with sanitizers.
$BAZEL test --config=asan --build_tests_only --test_tag_filters=-dpdk,-noasan "${ASAN_SCOPE[@]}" 2>&1 | tee "$logs/asan" || status=1

# Threads that share memory through atomics alone (tagged "tsan"; see .bazelrc for why
# only those) once more under ThreadSanitizer: a missing acquire or release there loses or
# corrupts a batch without any test assertion failing.
echo "== bazel test --config=tsan (tests tagged tsan)"
$BAZEL test --config=tsan --build_tests_only --test_tag_filters=tsan //node/... 2>&1 | tee "$logs/tsan" || status=1

echo "== fuzz: each decoder's libFuzzer target for ${FUZZ_SECONDS:-20} s (tools/fuzz.sh)"
if tools/fuzz.sh "${FUZZ_SECONDS:-20}" | tee "$logs/fuzz"; then :; else status=1; fi

# Bazel prints a line per test target, "//pkg:name  PASSED in 0.1s", sometimes twice
# (progress and summary); count each target once per configuration.
count() {
  for run in default asan tsan; do
    grep -E "^//[^ ]+ +(\(cached\) )?$1" "$logs/$run" | awk -v r="$run" '{print r, $1}' | sort -u
  done | wc -l
}
# Each fuzz target counts once too: "fuzz: NAME ... result=ok|FAILED|BUILD_FAILED".
passed=$(( $(count PASSED) + $(grep -c 'result=ok$' "$logs/fuzz") ))
failed=$(( $(count '(FAILED|TIMEOUT|NO STATUS|FLAKY)') + $(grep -cE 'result=(FAILED|BUILD_FAILED)$' "$logs/fuzz") ))
echo "tests: ${passed} passed, ${failed} failed"
if [[ $status -ne 0 || $failed -ne 0 || $passed -eq 0 ]]; then
  exit 1
fi
