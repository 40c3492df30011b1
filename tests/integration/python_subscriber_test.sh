#!/usr/bin/env bash
# examples/python/subscriber.py (Debian's python3-grpcio, /usr/bin/python3) against a
# real ingestd on the kernel socket backend: the standard health service answers
# SERVING, server reflection lists the services, and a filtered subscription receives
# exactly the matching records sent over loopback UDP, once each.
set -euo pipefail
ingestd=node/ingestd
example=examples/python/subscriber.py
py=/usr/bin/python3
dir=${TEST_TMPDIR:-$(mktemp -d)}
pid=""
sub=""
cleanup() {
  [[ -n "$sub" ]] && kill -KILL "$sub" 2>/dev/null || true
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$dir/ingestd.log" >&2 || true; exit 1; }

udp_port=$("$py" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$dir/node.yaml" <<YAML
node_id: py-node
backend: kernel
kernel:
  bind_address: 127.0.0.1
decoders:
  '$udp_port': statsd
grpc:
  listen: 127.0.0.1:0
metrics:
  listen: ""
YAML
"$ingestd" --config="$dir/node.yaml" --wait_for_subscribers=1 >"$dir/stdout" 2>"$dir/ingestd.log" &
pid=$!
for _ in $(seq 1 300); do
  grep -q '^READY' "$dir/stdout" 2>/dev/null && break
  sleep 0.1
done
address=$(sed -n 's/^READY grpc=\([^ ]*\) .*/\1/p' "$dir/stdout")
[[ -n "$address" ]] || fail "no READY line"

health=$(timeout 20 "$py" "$example" "$address" --health)
[[ "$health" == "SERVING" ]] || fail "health: '$health'"
services=$(timeout 20 "$py" "$example" "$address" --list-services)
for s in firehose.v1.Ingest grpc.health.v1.Health grpc.reflection.v1alpha.ServerReflection; do
  grep -qx "$s" <<<"$services" || fail "reflection does not list $s: $services"
done

want=300
timeout 60 "$py" "$example" "$address" --json --prefix py. --max-records $want \
  >"$dir/records" 2>"$dir/sub.log" &
sub=$!
for _ in $(seq 1 300); do
  grep -q 'receiving' "$dir/ingestd.log" && break
  sleep 0.1
done
grep -q 'receiving' "$dir/ingestd.log" || fail "subscriber never connected"
sleep 0.3

"$py" - "$udp_port" $want <<'PY'
import socket, sys, time
port, want = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(want):
    # Every matching line is paired with one the prefix filter must drop.
    s.sendto(("py.value:%d|c\nother.value:%d|c" % (i, i)).encode(), ("127.0.0.1", port))
    if i % 50 == 49:
        time.sleep(0.002)
PY

wait "$sub" || fail "subscriber exited non-zero: $(cat "$dir/sub.log")"
sub=""
"$py" - "$dir/records" $want <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
want = int(sys.argv[2])
assert len(rows) == want, len(rows)
assert all(r["name"] == "py.value" and r["node_id"] == "py-node" for r in rows), rows[:3]
assert sorted(int(r["value"]) for r in rows) == list(range(want))
PY

kill -TERM "$pid"
wait "$pid" || fail "ingestd exited non-zero"
pid=""
echo "PASS"
