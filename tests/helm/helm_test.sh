#!/usr/bin/env bash
# Chart tests for helm/firehose-relay without helm or a cluster (docs/helm.md "What the tests
# check"): tools/helm_render renders it with Go text/template + sprig like `helm template`; the
# output must equal the goldens, pass yamllint, validate against the Kubernetes schemas of npm's
# kubernetes-models, carry a relay.yaml that meets the relay's config contract, and bad values
# must be rejected naming the field; and the real relay (//relay:relay, the first argument) loads
# the rendered relay.yaml and serves every metric the Grafana dashboard queries.
#
#   bazel test //tests/helm:helm_test
#   UPDATE=1 tests/helm/helm_test.sh [RELAY_BIN]     (rewrites the goldens; review the diff)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
chart=$root/helm/firehose-relay
vals=$here/values
# The source tree (runfiles are symlinks into it): goldens are rewritten there, caches live in its
# git-ignored build/.
src=$(cd "$(dirname "$(readlink -f "$here/helm_test.sh")")/../.." && pwd)
cache=${FIREHOSE_HELM_CACHE:-$src/build/helm-test-cache}
relay_bin=${1:+$(readlink -f "$1")}
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/helm_test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$cache"
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- the renderer: Debian's Go in GOPATH mode, sprig and gojsonschema from golang-*-dev
export GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE=$cache/go-build
render_bin=$tmp/helm_render
(cd "$root/tools/helm_render" && go build -o "$render_bin" .) || fail "tools/helm_render does not build"
render() { "$render_bin" --name fh --namespace telemetry "$@" "$chart"; }

# --- goldens: the smallest install (defaults + one pair) and every option on
declare -A sets=([minimal]="-f $vals/minimal.yaml" [full]="-f $vals/full.yaml")
for set in minimal full; do
  # shellcheck disable=SC2086
  render ${sets[$set]} >"$tmp/$set.yaml" || fail "rendering $set"
  golden=$here/golden/$set.yaml
  if [[ ${UPDATE:-0} == 1 ]]; then
    cp "$tmp/$set.yaml" "$src/tests/helm/golden/$set.yaml"
    echo "updated tests/helm/golden/$set.yaml"
  fi
  diff -u "$golden" "$tmp/$set.yaml" || fail "$set: rendering differs from golden/$set.yaml (UPDATE=1 to accept)"
  echo "ok golden $set ($(grep -c '^kind:' "$tmp/$set.yaml") objects)"
done
grep -q '^kind: ServiceMonitor' "$tmp/full.yaml" && grep -q '^kind: HorizontalPodAutoscaler' "$tmp/full.yaml" &&
  grep -q '^kind: NetworkPolicy' "$tmp/full.yaml" && grep -q 'grafana_dashboard: "1"' "$tmp/full.yaml" ||
  fail "full: an optional object is missing"
! grep -qE '^kind: (ServiceMonitor|HorizontalPodAutoscaler|NetworkPolicy)' "$tmp/minimal.yaml" ||
  fail "minimal: an optional object is rendered by default"

# --- yamllint: the chart's own YAML, the values sets, the rendered output
yamllint -s -c "$here/.yamllint" "$chart/Chart.yaml" "$chart/values.yaml" "$vals"/*.yaml \
  "$tmp/minimal.yaml" "$tmp/full.yaml" || fail "yamllint"
echo "ok yamllint"

# --- relay.yaml against the relay's config contract; files it names are mounted Secret items
for set in minimal full; do
  /usr/bin/python3 "$here/check_relay_config.py" "$tmp/$set.yaml" --write-config "$tmp/$set.relay.yaml" ||
    fail "$set: relay.yaml contract"
  yamllint -s -c "$here/.yamllint" "$tmp/$set.relay.yaml" || fail "$set: yamllint relay.yaml"
done

# --- TLS without the health port: the probes fall back to TCP (checked by the contract above)
printf 'ports: {grpc: 7443, metrics: 9302, health: 0}\n' >"$tmp/nohealth.values.yaml"
render -f "$vals/full.yaml" -f "$tmp/nohealth.values.yaml" >"$tmp/nohealth.yaml" || fail "rendering nohealth"
/usr/bin/python3 "$here/check_relay_config.py" "$tmp/nohealth.yaml" || fail "nohealth: relay.yaml contract"
grep -q 'tcpSocket' "$tmp/nohealth.yaml" && ! grep -q '^    health:' "$tmp/nohealth.yaml" ||
  fail "nohealth: TLS without ports.health must render TCP probes and no health listener"
grep -q 'name: health' "$tmp/full.yaml" && ! grep -q 'tcpSocket' "$tmp/full.yaml" ||
  fail "full: TLS with ports.health must probe the health port over gRPC"
echo "ok TLS probes: gRPC on the health port, TCP only when ports.health is 0"

# --- Kubernetes schemas: npm's kubernetes-models, installed once from package-lock.json
nm=$cache/npm/node_modules
if ! cmp -s "$here/npm/package-lock.json" "$cache/npm/package-lock.json" || [[ ! -d $nm ]]; then
  rm -rf "$cache/npm" && mkdir -p "$cache/npm"
  cp "$here/npm/package.json" "$here/npm/package-lock.json" "$cache/npm/"
  (cd "$cache/npm" && npm_config_cache=$cache/npm-cache npm ci --no-audit --no-fund --loglevel=error) ||
    fail "npm ci kubernetes-models (needs the npm registry once)"
fi
for set in minimal full; do
  node "$here/validate_k8s.mjs" "$nm" "$tmp/$set.yaml" >"$tmp/$set.k8s" || fail "$set: Kubernetes schema"
  echo "ok kubernetes-models $set: $(wc -l <"$tmp/$set.k8s") objects ($(awk '{print $2}' "$tmp/$set.k8s" | sort -u | tr '\n' ' '))"
done
[[ $(wc -l <"$tmp/full.k8s") -eq $(grep -c '^kind:' "$tmp/full.yaml") ]] || fail "full: not every object validated"
# The validator must bite: a wrong type and a missing required field are rejected.
sed 's/^  replicas: 2$/  replicas: three/' "$tmp/minimal.yaml" >"$tmp/broken.yaml"
! node "$here/validate_k8s.mjs" "$nm" "$tmp/broken.yaml" >/dev/null 2>"$tmp/broken.err" || fail "replicas: three accepted"
grep -q 'spec/replicas must be integer' "$tmp/broken.err" || fail "wrong error: $(cat "$tmp/broken.err")"
sed 's/^              port: 7070$//' "$tmp/minimal.yaml" >"$tmp/broken.yaml"
! node "$here/validate_k8s.mjs" "$nm" "$tmp/broken.yaml" >/dev/null 2>"$tmp/broken.err" || fail "probe without port accepted"
grep -q 'livenessProbe/grpc must have required property port' "$tmp/broken.err" || fail "wrong error: $(cat "$tmp/broken.err")"
echo "ok kubernetes-models rejects a wrong type and a missing required field"

# --- values the schema must reject, each naming the field (# expect: line of each file), and the
# templates' own required/fail checks (helm --skip-schema-validation)
expect_rejected() {
  local f=$1; shift
  local want; want=$(sed -n 's/^# expect: //p' "$f")
  [[ -n $want ]] || fail "$f has no '# expect:' line"
  if render "$@" -f "$vals/minimal.yaml" -f "$f" >/dev/null 2>"$tmp/err"; then
    fail "$(basename "$f"): accepted"
  fi
  grep -qF -- "$want" "$tmp/err" || fail "$(basename "$f"): error does not say '$want':$(cat "$tmp/err")"
}
n=0
for f in "$vals"/bad/*.yaml; do expect_rejected "$f"; n=$((n + 1)); done
for f in "$vals"/bad-template/*.yaml; do expect_rejected "$f" --skip-schema-validation; n=$((n + 1)); done
! render >/dev/null 2>"$tmp/err" && grep -q 'relay.upstream.pairs: Array must have at least 1 items' "$tmp/err" ||
  fail "the chart's defaults without pairs are not rejected"
echo "ok $((n + 1)) bad value sets rejected, each naming its field"
# Chart.yaml's kubeVersion (gRPC probes, policy/v1, autoscaling/v2) is enforced like helm does.
! "$render_bin" --kube-version v1.24.0 -f "$vals/minimal.yaml" "$chart" >/dev/null 2>"$tmp/err" &&
  grep -q 'requires kubeVersion: >=1.25.0-0' "$tmp/err" || fail "Kubernetes 1.24 accepted"
echo "ok Kubernetes 1.24 refused (kubeVersion >=1.25.0-0)"

# --- a config change rolls the pods, an unrelated change does not
checksum() { render -f "$vals/minimal.yaml" "$@" | sed -n 's/^ *checksum\/config: //p'; }
printf 'relay: {grpc: {heartbeat_ms: 2000}}\n' >"$tmp/cfg.yaml"
printf 'podAnnotations: {a: b}\n' >"$tmp/other.yaml"
base=$(checksum)
[[ $base =~ ^[0-9a-f]{64}$ ]] || fail "no checksum/config annotation"
[[ $(checksum -f "$tmp/cfg.yaml") != "$base" ]] || fail "a relay config change keeps the checksum"
[[ $(checksum -f "$tmp/other.yaml") == "$base" ]] || fail "a pod annotation changes the config checksum"
echo "ok checksum/config follows relay.yaml only"

# --- NOTES.txt renders with the endpoint
render --notes -f "$vals/full.yaml" >"$tmp/notes" || fail "NOTES.txt"
grep -q 'relay.telemetry.svc:7443' "$tmp/notes" && grep -q 'edge-2: ingest-2a.example.net:50052' "$tmp/notes" ||
  fail "NOTES.txt lacks the endpoint: $(cat "$tmp/notes")"
echo "ok NOTES.txt"

# --- the real relay loads the rendered config (listeners and nodes moved to loopback)
if [[ -n $relay_bin ]]; then
  render -f "$vals/minimal.yaml" -f "$vals/tokens.yaml" >"$tmp/tokens.yaml" || fail "rendering tokens"
  /usr/bin/python3 "$here/check_relay_config.py" "$tmp/tokens.yaml" --write-config "$tmp/tokens.relay.yaml" ||
    fail "tokens: relay.yaml contract"
  "$here/relay_loads_config.sh" "$relay_bin" "$chart/dashboards/firehose-relay.json" \
    "$tmp/minimal.relay.yaml" "$tmp/tokens.relay.yaml" "$tmp/full.relay.yaml" ||
    fail "the relay and the rendered config disagree"
else
  echo "note: no relay binary given, the rendered relay.yaml was not loaded by the relay"
fi
echo "PASS"
