#!/bin/bash
# End-to-end test of the pcapgen binary: writes captures, checks the summary line, the
# pcap header and size, determinism per seed, and that bad flags fail with status 1.
set -euo pipefail

PCAPGEN="$1"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"

fail() { echo "FAIL: $*" >&2; exit 1; }

"$PCAPGEN" --out="$TMP/a.pcap" --packets=100 --names=50 --lines_per_packet=2 --seed=7 \
  2> "$TMP/a.err"
grep -q "wrote 100 packets, 200 lines" "$TMP/a.err" || fail "summary: $(cat "$TMP/a.err")"
[[ $(wc -l < "$TMP/a.err") -eq 1 ]] || fail "expected one summary line"

# Classic pcap magic (little-endian microsecond) d4 c3 b2 a1.
magic=$(od -An -tx1 -N4 "$TMP/a.pcap" | tr -d ' ')
[[ "$magic" == "d4c3b2a1" ]] || fail "bad magic $magic"
size=$(stat -c %s "$TMP/a.pcap")
# 24-byte file header + 100 * (16-byte record header + >= 60-byte frame).
(( size >= 24 + 100 * 76 )) || fail "file too small: $size"

"$PCAPGEN" --out="$TMP/b.pcap" --packets=100 --names=50 --lines_per_packet=2 --seed=7 2>/dev/null
cmp -s "$TMP/a.pcap" "$TMP/b.pcap" || fail "same seed gave different files"
"$PCAPGEN" --out="$TMP/c.pcap" --packets=100 --names=50 --lines_per_packet=2 --seed=8 2>/dev/null
! cmp -s "$TMP/a.pcap" "$TMP/c.pcap" || fail "different seeds gave identical files"

# Defaults: 4096 packets x 3 lines.
"$PCAPGEN" --out="$TMP/d.pcap" 2> "$TMP/d.err"
grep -q "wrote 4096 packets, 12288 lines" "$TMP/d.err" || fail "defaults: $(cat "$TMP/d.err")"

if "$PCAPGEN" --packets=1 2>/dev/null; then fail "missing --out accepted"; fi
if "$PCAPGEN" --out="$TMP/e.pcap" --names=0 2>/dev/null; then fail "--names=0 accepted"; fi
if "$PCAPGEN" --out="$TMP/no/dir/f.pcap" 2>/dev/null; then fail "bad path accepted"; fi
echo PASS
