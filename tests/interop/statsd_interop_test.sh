#!/usr/bin/env bash
# Interop: statsd packets produced by a real client library (Debian's python3-statsd,
# run with /usr/bin/python3) are captured on 127.0.0.1 and decoded by firehose's
# StatsdDecoder; every record must equal what the client was asked to send, and no
# line may be counted as an error.
set -euo pipefail

STATSD_DUMP=$(realpath "$1")
UTIL=$(realpath "$2")
CLIENT=$(realpath "$3")
PY=/usr/bin/python3

if ! $PY -c 'import statsd' 2>/dev/null; then
  if [[ -n "${FIREHOSE_INTEROP_REQUIRED:-}" ]]; then
    echo "python3-statsd missing (apt-get install python3-statsd)" >&2
    exit 1
  fi
  echo "SKIP: python3-statsd not installed (tools/bootstrap.sh installs it)"
  exit 0
fi

WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/statsd-interop.XXXXXX")
CAPTURE_PID=
cleanup() {
  [[ -n "$CAPTURE_PID" ]] && kill "$CAPTURE_PID" 2>/dev/null || true
  [[ -n "$CAPTURE_PID" ]] && wait "$CAPTURE_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

$PY "$UTIL" capture port statsd.dgrams 1.5 20 >count &
CAPTURE_PID=$!
for _ in $(seq 100); do [[ -f port ]] && break; sleep 0.05; done
$PY "$CLIENT" "$(cat port)" >expected.tsv
wait "$CAPTURE_PID"
CAPTURE_PID=

"$STATSD_DUMP" statsd.dgrams >decoded.tsv
# The timer's value is measured by the client: check its shape, then drop it.
timer=$(grep -P '^app\.block\t' decoded.tsv || true)
if [[ -z "$timer" ]] || ! awk -F'\t' '{ exit !($3 == "ms" && $2 >= 0 && $4 == 1) }' <<<"$timer"; then
  echo "FAIL: timer record missing or malformed: '$timer'" >&2
  exit 1
fi
grep -vP '^app\.block\t' decoded.tsv >decoded_rest.tsv || true
grep -v '^#' expected.tsv >expected_rest.tsv
if ! diff -u expected_rest.tsv decoded_rest.tsv; then
  echo "FAIL: decoded records differ from what the client sent" >&2
  exit 1
fi
echo "statsd interop: $(wc -l <decoded.tsv) records decoded exactly from $(cat count) datagrams"
