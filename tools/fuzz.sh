#!/usr/bin/env bash
# Builds the decoders' libFuzzer targets with clang (ASan + UBSan + libFuzzer, Debian's
# clang-14 and libclang-rt-14-dev) outside Bazel, whose toolchain is gcc, and runs each
# for a bounded time from the seed corpus in tests/fuzz/corpus/<target>/.
#
#   tools/fuzz.sh                 every target, 20 s each (what `make test` runs)
#   tools/fuzz.sh 300             every target, 5 minutes each (`make fuzz`)
#   tools/fuzz.sh 60 netflow      one target
#
# The seeds are copied to build/fuzz/corpus/<target>/ and the run grows that copy, so
# the repository's corpus only changes by hand. A crash stops with the input saved as
# build/fuzz/artifacts/<target>-crash-*; add it to tests/fuzz/corpus/<target>/ so the
# target's *_fuzz_test replays it forever, then fix the decoder.
# Prints one line per target: "fuzz: TARGET execs=N seconds=S new_corpus=M result=ok".
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-20}
if ! [[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]]; then
  # libFuzzer reads a non-number as 0, which means "run forever".
  echo "fuzz: first argument is seconds per target (a positive integer), got '$SECONDS_PER_TARGET'" >&2
  echo "usage: tools/fuzz.sh [SECONDS] [statsd|netflow|influx ...]" >&2
  exit 2
fi
shift || true
TARGETS=("$@")
[[ ${#TARGETS[@]} -eq 0 ]] && TARGETS=(statsd netflow influx)

CXX=${FUZZ_CXX:-}
if [[ -z "$CXX" ]]; then
  for candidate in clang++-14 clang++; do
    if command -v "$candidate" >/dev/null; then CXX=$candidate; break; fi
  done
fi
[[ -n "$CXX" ]] || { echo "fuzz: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

OUT=build/fuzz
mkdir -p "$OUT/bin" "$OUT/artifacts" "$OUT/corpus"

# Sources of each target: the fuzz entry point and the decoder it drives.
sources() {
  case "$1" in
    statsd) echo node/decode/statsd_fuzz.cc node/decode/statsd_decoder.cc \
        node/decode/separator_index.cc node/decode/decoder.cc ;;
    netflow) echo node/decode/netflow_fuzz.cc node/decode/netflow_decoder.cc \
        node/decode/netflow_v5.cc node/decode/netflow_v9.cc node/decode/ipfix.cc \
        node/decode/flow_template_cache.cc node/decode/decoder.cc ;;
    influx) echo node/decode/influx_fuzz.cc node/decode/influx_decoder.cc node/decode/decoder.cc ;;
    *) echo "fuzz: unknown target $1 (statsd, netflow, influx)" >&2; return 1 ;;
  esac
}

CXXFLAGS=(-std=c++20 -O1 -g -I. -fsanitize=fuzzer,address,undefined
          -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
read -r -a ABSL_CFLAGS <<<"$(pkg-config --cflags absl_status absl_statusor)"
read -r -a ABSL_LIBS <<<"$(pkg-config --libs absl_status absl_statusor)"

status=0
for target in "${TARGETS[@]}"; do
  srcs=$(sources "$target")
  bin="$OUT/bin/${target}_fuzzer"
  # shellcheck disable=SC2086
  if ! "$CXX" "${CXXFLAGS[@]}" "${ABSL_CFLAGS[@]}" $srcs -o "$bin" "${ABSL_LIBS[@]}"; then
    echo "fuzz: $target result=BUILD_FAILED"
    status=1
    continue
  fi

  corpus="$OUT/corpus/$target"
  mkdir -p "$corpus"
  cp -n tests/fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  before=$(find "$corpus" -type f | wc -l)
  log="$OUT/$target.log"
  start=$(date +%s)
  if "$bin" -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$OUT/artifacts/$target-" "$corpus" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
  fi
  seconds=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1)
  after=$(find "$corpus" -type f | wc -l)
  echo "fuzz: $target execs=${execs:-?} seconds=$seconds new_corpus=$((after - before)) result=$result"
  if [[ $result != ok ]]; then
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5 >&2 || true
    echo "fuzz: full log in $log" >&2
  fi
done
exit $status
