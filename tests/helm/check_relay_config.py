#!/usr/bin/python3
"""Checks a rendered chart against the relay's config contract (helpers/relay_config.md,
relay/relay_config.cc): relay.yaml in the ConfigMap parses, has only the contract's keys and the
required ones, its listen ports are the container ports the probes use, every file it names is
provided by a mounted Secret item, and the pod runs non-root, read-only, without capabilities.
Usage: check_relay_config.py RENDERED.yaml [--write-config OUT]  (exit 1 with the reasons)."""
import re
import sys

import yaml

TOP = {"relay_id", "grpc", "health", "metrics", "upstream", "statsd_metrics"}
GRPC = {"listen", "insecure", "replay_bytes", "subscriber_queue_batches",
        "subscriber_queue_bytes", "slow_subscriber", "heartbeat_ms", "tls", "tokens"}
UPSTREAM = {"pairs", "tls", "token_file", "reconnect_backoff_ms", "idle_timeout_ms"}
STATSD = {"enabled", "histogram_buckets", "timer_unit", "mappings", "max_series"}

errors = []


def expect(cond, what):
    if not cond:
        errors.append(what)


def subset(section, allowed, where):
    extra = set(section) - allowed
    expect(not extra, f"{where}: keys outside the contract: {sorted(extra)}")


def main():
    docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    cms = [c for c in by_kind.get("ConfigMap", []) if "relay.yaml" in c.get("data", {})]
    expect(len(cms) == 1, f"want one ConfigMap with relay.yaml, got {len(cms)}")
    deps = by_kind.get("Deployment", [])
    expect(len(deps) == 1, f"want one Deployment, got {len(deps)}")
    if errors:
        return
    text = cms[0]["data"]["relay.yaml"]
    cfg = yaml.safe_load(text)

    subset(cfg, TOP, "relay.yaml")
    for key in ("relay_id", "grpc", "metrics", "upstream"):
        expect(key in cfg, f"relay.yaml: {key} missing")
    expect(re.fullmatch(r"[A-Za-z0-9._-]{1,64}", str(cfg.get("relay_id", ""))),
           f"relay_id {cfg.get('relay_id')!r} is not 1-64 of A-Za-z0-9._-")
    grpc, up = cfg.get("grpc", {}), cfg.get("upstream", {})
    subset(grpc, GRPC, "grpc")
    subset(cfg.get("metrics", {}), {"listen"}, "metrics")
    subset(cfg.get("health") or {}, {"listen"}, "health")
    subset(up, UPSTREAM, "upstream")
    subset(cfg.get("statsd_metrics") or {}, STATSD, "statsd_metrics")
    subset(grpc.get("tls", {}), {"cert", "key", "client_ca"}, "grpc.tls")
    subset(up.get("tls", {}), {"ca", "cert", "key", "server_name"}, "upstream.tls")
    expect(grpc.get("tls") or grpc.get("insecure") is True,
           "grpc: plaintext off loopback needs insecure: true (or tls)")
    pairs = up.get("pairs") or []
    expect(pairs, "upstream.pairs: at least one pair")
    for i, p in enumerate(pairs):
        subset(p, {"name", "nodes"}, f"upstream.pairs[{i}]")
        expect(p.get("nodes"), f"upstream.pairs[{i}].nodes: at least one node")
        for n in p.get("nodes", []):
            expect(re.fullmatch(r".+:\d+", n), f"upstream.pairs[{i}].nodes: {n!r} is not host:port")

    pod = deps[0]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    expect(grpc.get("listen", "").endswith(f":{ports.get('grpc')}"),
           f"grpc.listen {grpc.get('listen')} is not on the grpc containerPort {ports.get('grpc')}")
    expect(cfg["metrics"]["listen"].endswith(f":{ports.get('metrics')}"),
           f"metrics.listen {cfg['metrics']['listen']} is not on containerPort {ports.get('metrics')}")
    health = (cfg.get("health") or {}).get("listen")
    expect(not health or grpc.get("tls"), "health.listen without server TLS (the grpc port serves health)")
    expect(bool(health) == ("health" in ports),
           f"health.listen {health} but container ports {sorted(ports)}")
    if health:
        # TLS on the grpc port: the probes ask the plaintext health-only port.
        expect(health.endswith(f":{ports.get('health')}"),
               f"health.listen {health} is not on the health containerPort {ports.get('health')}")
        probe_port = ports.get("health")
    elif not grpc.get("tls"):
        probe_port = ports["grpc"]
    else:
        probe_port = None
        # TLS and no health port: the kubelet's gRPC probe has no TLS, a TCP check is all that works.
        for probe in ("livenessProbe", "readinessProbe"):
            expect(c[probe].get("tcpSocket") == {"port": "grpc"} and "grpc" not in c[probe],
                   f"{probe} on a TLS port is {c[probe]}, want tcpSocket: {{port: grpc}}")
    if probe_port is not None:
        live, ready = c["livenessProbe"].get("grpc"), c["readinessProbe"].get("grpc")
        expect(live == {"port": probe_port, "service": ""}, f"livenessProbe.grpc is {live}")
        expect(ready == {"port": probe_port, "service": "firehose.v1.Ingest"},
               f"readinessProbe.grpc is {ready}")
    expect(any(a == "--config=/etc/firehose-relay/relay.yaml" for a in c["args"]),
           f"args {c['args']} do not load /etc/firehose-relay/relay.yaml")

    # Every file relay.yaml names must be an item of a Secret volume mounted at its directory.
    files = [v for k, v in grpc.get("tls", {}).items()] + list(up.get("tls", {}).values())
    files = [f for f in files if f.startswith("/")]
    files += [t["token_file"] for t in grpc.get("tokens", [])]
    if "token_file" in up:
        files.append(up["token_file"])
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    provided = {}
    for m in c.get("volumeMounts", []):
        secret = volumes.get(m["name"], {}).get("secret")
        if secret:
            expect(m.get("readOnly") is True, f"volumeMount {m['name']} is not readOnly")
            for item in secret.get("items", []):
                provided[f"{m['mountPath']}/{item['path']}"] = (secret["secretName"], item["key"])
    for f in files:
        expect(f in provided, f"relay.yaml names {f} but no Secret item is mounted there")
    unused = set(provided) - set(files)
    expect(not unused, f"Secret items mounted but not in relay.yaml: {sorted(unused)}")

    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    expect(psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 10001, "pod not non-root 10001")
    expect(csc.get("readOnlyRootFilesystem") is True, "root filesystem not read-only")
    expect(csc.get("allowPrivilegeEscalation") is False, "privilege escalation allowed")
    expect(csc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities not dropped")
    expect(pod.get("automountServiceAccountToken") is False, "service account token mounted")
    expect("checksum/config" in deps[0]["spec"]["template"]["metadata"].get("annotations", {}),
           "no checksum/config annotation")

    if len(sys.argv) == 4 and sys.argv[2] == "--write-config":
        with open(sys.argv[3], "w") as out:
            out.write(text)
    print(f"relay.yaml: {len(pairs)} pair(s), {len(files)} secret file(s) all mounted, "
          "ports " + " ".join(f"{k}={v}" for k, v in ports.items()) +
          f", probes on {c['readinessProbe'].get('grpc', c['readinessProbe'])}")


main()
if errors:
    print("\n".join(f"{sys.argv[1]}: {e}" for e in errors), file=sys.stderr)
    sys.exit(1)
