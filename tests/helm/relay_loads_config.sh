#!/usr/bin/env bash
# The real relay loads relay.yaml files rendered by the chart, answers the chart's gRPC probes as
# the kubelet sends them (on the grpc port of plaintext configs, on the plaintext health-only port
# of TLS configs, where Subscribe is refused), and serves the metrics the Grafana dashboard
# queries (from the last config). The rendered files are moved to loopback for the run: listeners on
# 127.0.0.1:0, each node on a closed 127.0.0.1 port (the relay keeps reconnecting), and the Secret
# mount paths under a temporary directory holding throwaway certificates (openssl) and tokens.
#
#   relay_loads_config.sh RELAY_BIN DASHBOARD.json RELAY.yaml...
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
relay=$1 dashboard=$2
shift 2
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/relay_config.XXXXXX")
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# What the chart's Secrets would hold, at the chart's paths below $tmp/etc.
e=$tmp/etc/firehose-relay
mkdir -p "$e/tls" "$e/client-ca" "$e/upstream/ca" "$e/upstream/tls" "$e/upstream/token" "$e/tokens"
cert() {  # cert DIR CN: a key and certificate signed by the throwaway CA
  openssl req -newkey rsa:2048 -nodes -keyout "$1/tls.key" -subj "/CN=$2" -out "$tmp/$2.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\n' "$2" >"$tmp/$2.ext"
  openssl x509 -req -in "$tmp/$2.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
    -days 1 -extfile "$tmp/$2.ext" -out "$1/tls.crt" 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/ca.key" -subj "/CN=test-ca" -days 1 \
  -out "$tmp/ca.crt" 2>/dev/null
cp "$tmp/ca.crt" "$e/client-ca/ca.crt"
cp "$tmp/ca.crt" "$e/upstream/ca/ca.crt"
cert "$e/tls" relay.telemetry.svc
cert "$e/upstream/tls" relay-client
for t in upstream/token/token tokens/dashboards tokens/flow-archiver tokens/admin; do
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$e/$t"
done

want=$(grep -o 'firehose_[a-z_]*' "$dashboard" | sort -u)
n=0
for rendered in "$@"; do
  n=$((n + 1))
  cfg=$tmp/relay-$n.yaml
  # Listeners and nodes to loopback; node ports 1, 2, ... are closed.
  awk -v etc="$tmp/etc" '
    /listen:/ { sub(/listen: .*/, "listen: 127.0.0.1:0") }
    /^ *nodes:/ { in_nodes = 1; print; next }
    in_nodes && /^ *- [^ ]+$/ { sub(/- .*/, "- 127.0.0.1:" (++port)); print; next }
    { in_nodes = 0; gsub("/etc/", etc "/"); print }
  ' "$rendered" >"$cfg"
  grep -q 'metrics:' "$cfg" || fail "$rendered: no metrics section"
  "$relay" --config="$cfg" >"$tmp/out-$n" 2>"$tmp/err-$n" &
  pid=$!
  for _ in $(seq 100); do
    grep -q '^READY' "$tmp/out-$n" && break
    kill -0 "$pid" 2>/dev/null || fail "$rendered: the relay exited: $(cat "$tmp/err-$n")"
    sleep 0.1
  done
  ready=$(grep '^READY' "$tmp/out-$n") || fail "$rendered: no READY line: $(cat "$tmp/err-$n")"
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$ready"; }
  metrics=$(field metrics) grpc=$(field grpc) health=$(field health)
  curl -sf "http://$metrics/metrics" >"$tmp/metrics-$n" || fail "$rendered: no /metrics on $metrics"
  # Not ready: the nodes are unreachable, so the readiness the probe reports is 0.
  grep -q '^firehose_relay_ready 0' "$tmp/metrics-$n" || fail "$rendered: firehose_relay_ready is not 0"
  # Where the chart points the probes: the grpc port when it is plaintext, else the health port.
  probe_at=
  if grep -q 'insecure: true' "$cfg"; then
    [[ $health == off ]] || fail "$rendered: a health-only port on a plaintext relay ($health)"
    probe_at=$grpc
  elif grep -q '^health:' "$cfg"; then
    [[ $health != off ]] || fail "$rendered: health.listen given but the relay serves none"
    probe_at=$health
    # TLS on the grpc port: plaintext gets no health answer there; the health port has no Subscribe.
    on_tls=$(/usr/bin/python3 "$here/grpc_probe.py" "$grpc" "")
    [[ $on_tls == ERROR* ]] || fail "$rendered: plaintext health on the TLS port answered $on_tls"
    sub=$(/usr/bin/python3 "$here/grpc_probe.py" "$health" --subscribe)
    [[ $sub == "ERROR UNIMPLEMENTED" ]] || fail "$rendered: Subscribe on the health port: $sub"
  fi
  if [[ -n $probe_at ]]; then
    # The chart's probes, as the kubelet sends them: liveness SERVING, readiness NOT_SERVING.
    live=$(/usr/bin/python3 "$here/grpc_probe.py" "$probe_at" "")
    ready_probe=$(/usr/bin/python3 "$here/grpc_probe.py" "$probe_at" firehose.v1.Ingest)
    [[ $live == SERVING && $ready_probe == NOT_SERVING ]] ||
      fail "$rendered: probes: liveness $live (want SERVING), readiness $ready_probe (want NOT_SERVING)"
    probed=", probes on $probe_at: liveness $live, readiness $ready_probe${sub:+, Subscribe there: $sub}"
  fi
  kill "$pid" && wait "$pid" || fail "$rendered: the relay did not exit cleanly on SIGTERM"
  pid=
  echo "ok the relay loads $(basename "$rendered") (${ready}${probed:-})"
  probed= sub=
done
# Every metric the dashboard queries is served (by the last config: statsd_metrics enabled).
missing=$(for m in $want; do grep -q "^$m[{ ]" "$tmp/metrics-$n" || echo "$m"; done)
[[ -z $missing ]] || fail "dashboard metrics the relay does not serve: $missing"
echo "ok the relay serves all $(wc -w <<<"$want") metrics the dashboard queries"
