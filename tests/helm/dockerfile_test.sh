#!/usr/bin/env bash
# Keeps the Dockerfile honest where no container engine runs: the runtime stage installs exactly
# the Debian packages whose shared libraries the relay links (ldd + dpkg -S on the built binary),
# the build stage installs only packages of tools/bootstrap.sh, it builds the target whose output
# it copies, the build context keeps what Bazel needs, and user, ports and config path are the
# Helm chart's.
#
#   dockerfile_test.sh DOCKERFILE DOCKERIGNORE RELAY_BIN BOOTSTRAP_SH CHART_DIR
set -euo pipefail
dockerfile=$1 dockerignore=$2 relay=$3 bootstrap=$4 chart=$5
fail() { echo "FAIL: $*" >&2; exit 1; }

# Packages one stage installs: the words after "apt-get install ... --no-install-recommends".
stage_packages() {  # stage_packages FROM-LINE-REGEX
  awk -v from="$1" '
    $0 ~ /^FROM / { in_stage = ($0 ~ from) }
    in_stage && /apt-get install/ { on = 1; next }
    in_stage && on { if ($0 ~ /^ *&&/) { on = 0; next } gsub(/\\/, ""); print }
  ' "$dockerfile" | tr ' ' '\n' | grep -v '^$' | sort -u
}

# 1. Runtime libraries: what ldd resolves, by owning package, minus bookworm-slim's own.
base="libc6 libgcc-s1 libstdc++6 zlib1g"
# dpkg records a library under /lib or /usr/lib (merged /usr): ask for both spellings at once.
libs=$(ldd "$relay" | awk '$3 ~ /^\// {print $3}' | xargs readlink -f | sed 's#^/usr/lib/#/lib/#' | sort -u)
owners=$(dpkg -S $libs ${libs//\/lib\//\/usr\/lib\/} 2>/dev/null || true)
# Lines are "pkg[:arch][, pkg...]: path".
unowned=$(comm -23 <(echo "$libs") <(sed 's/.*: //; s#^/usr/lib/#/lib/#' <<<"$owners" | sort -u))
[[ -z $unowned ]] || fail "no package owns $unowned"
needed=$(sed 's/: [^:]*$//; s/, /\n/g' <<<"$owners" | sed 's/:.*//' | sort -u |
  grep -vxF -f <(tr ' ' '\n' <<<"$base"))
runtime=$(stage_packages 'bookworm-slim')
[[ -n $runtime ]] || fail "no apt-get install in the bookworm-slim stage"
missing=$(comm -23 <(echo "$needed") <(echo "$runtime"))
extra=$(comm -13 <(echo "$needed") <(echo "$runtime"))
[[ -z $missing ]] || fail "the relay links libraries of packages the runtime stage lacks: $missing"
[[ -z $extra ]] || fail "the runtime stage installs packages the relay does not link: $extra"
echo "ok runtime stage = the relay's $(wc -l <<<"$runtime") library packages: $(tr '\n' ' ' <<<"$runtime")"

# 2. Build stage packages all come from tools/bootstrap.sh.
declared=$(sed -n '/^PACKAGES=(/,/^)/p' "$bootstrap" | sed 's/#.*//' | tr ' ' '\n' | grep -v '^$\|PACKAGES\|)' | sort -u)
build=$(stage_packages 'AS build')
[[ -n $build ]] || fail "no apt-get install in the build stage"
stray=$(comm -23 <(echo "$build") <(echo "$declared") || true)
[[ -z $stray ]] || fail "build stage packages not in tools/bootstrap.sh: $stray"
echo "ok build stage packages are tools/bootstrap.sh's ($(wc -l <<<"$build"))"

# 3. It builds //relay:relay and copies that target's output.
grep -q 'bazel build --config=release .*//relay:relay' "$dockerfile" || fail "no bazel build of //relay:relay"
grep -q 'bazel-bin)/relay/relay"' "$dockerfile" || fail "does not copy bazel-bin/relay/relay"
grep -q '^COPY --from=build /out/firehose-relay /usr/bin/firehose-relay$' "$dockerfile" ||
  fail "runtime stage does not install /usr/bin/firehose-relay"
# The build context must keep what Bazel reads, and leave out local outputs.
for keep in WORKSPACE .bazelrc .bazelversion BUILD.bazel bazel relay node proto client; do
  while read -r pat; do
    [[ -z $pat || $pat == \#* ]] && continue
    # shellcheck disable=SC2053
    [[ $keep == $pat ]] && fail ".dockerignore pattern '$pat' drops $keep, which the build needs"
  done <"$dockerignore"
done
for drop in .git 'bazel-*' build; do grep -qxF "$drop" "$dockerignore" || fail ".dockerignore keeps $drop"; done
echo "ok builds //relay:relay from a context with WORKSPACE, bazel/, relay/, node/, proto/, client/"

# 4. The image matches the chart: uid, ports, config path, entrypoint.
grep -q '^USER 10001:10001$' "$dockerfile" || fail "USER is not 10001"
grep -q 'runAsUser: 10001' "$chart/templates/deployment.yaml" || fail "chart runAsUser is not 10001"
grpc=$(sed -n 's/^  grpc: \([0-9][0-9]*\) .*/\1/p' "$chart/values.yaml")
metrics=$(sed -n 's/^  metrics: \([0-9][0-9]*\) .*/\1/p' "$chart/values.yaml")
health=$(sed -n 's/^  health: \([0-9][0-9]*\) .*/\1/p' "$chart/values.yaml")
grep -qx "EXPOSE $grpc $metrics $health" "$dockerfile" ||
  fail "EXPOSE is not the chart's ports $grpc $metrics $health"
grep -qx 'ENTRYPOINT \["/usr/bin/firehose-relay"\]' "$dockerfile" || fail "ENTRYPOINT"
grep -qx 'CMD \["--config=/etc/firehose-relay/relay.yaml"\]' "$dockerfile" || fail "CMD"
grep -q -- '--config={{ $p.config }}/relay.yaml' "$chart/templates/deployment.yaml" &&
  grep -q '^config: /etc/firehose-relay$' "$chart/templates/_helpers.tpl" || fail "chart config path differs"
echo "ok user 10001, ports $grpc $metrics, /etc/firehose-relay/relay.yaml as in the chart"
echo PASS
