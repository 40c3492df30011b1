"""The peers in `make bench`: collectd's statsd plugin and netdata's statsd server.

Each peer runs from a throwaway config in the bench's temp dir, listening on a free
loopback UDP port, and is fed by tools/bench/udp_replay exactly like ingestd's kernel
backend (same capture, as fast as the sender can, same duration). Per run we record:

  received        datagrams the peer read. netdata counts them itself
                  (netdata.statsd_packets, read raw from its own API on loopback);
                  collectd's statsd plugin keeps no count, so for it (and as a cross-check
                  for netdata) the kernel's counters of the peer's socket are used:
                  sent - socket drops (/proc/net/udp "drops") - what is still queued.
  cpu_seconds     utime + stime of the whole peer process (/proc/PID/stat, all threads:
                  receive, parse, aggregate, flush) from just before the sender starts
                  until the socket has drained.
  pps_per_cpu_s   received / cpu_seconds. The kernel backend's headline figure charges
                  only ingestd's receive thread (which decodes and batches too), to compare
                  with the DPDK worker; its kernel_process figure charges the whole ingestd
                  process, as a peer is charged, to compare with the peers.

Peers keep their default socket receive buffer (neither has an option for it). They are
Debian packages that `make bench` installs on first use (see ensure_installed); on a host
with systemd their packaged services are disabled and stopped, since the bench starts its
own instances.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
PACKAGES = {"collectd": "collectd-core", "netdata": "netdata"}


def log(message):
    print(message, file=sys.stderr, flush=True)


def ensure_installed():
    """Installs the peers' Debian packages if missing; keeps their services off."""
    missing = [p for p in PACKAGES.values() if not package_version(p)]
    if missing:
        log(f"== installing peers: {' '.join(missing)} (apt-get)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                               *missing], check=True, env=env, stdout=subprocess.DEVNULL)
    # Debian starts packaged daemons on install where systemd runs: the bench wants only
    # its own instances (and the ports free), so switch the services off for good.
    if shutil.which("systemctl") and subprocess.run(
            ["systemctl", "is-system-running"], capture_output=True,
            text=True).stdout.strip() not in ("offline", ""):
        for service in ("collectd", "netdata"):
            subprocess.run(["systemctl", "disable", "--now", service],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def package_version(package):
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status} ${Version}", package],
                         capture_output=True, text=True)
    if out.returncode != 0 or "install ok installed" not in out.stdout:
        return None
    return out.stdout.rsplit(" ", 1)[1]


def process_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime, all threads


def udp_socket(port):
    """(queued bytes, drops) of the UDP socket bound to 127.0.0.1:port, or None."""
    want = f"0100007F:{port:04X}"
    with open("/proc/net/udp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1] == want:
                return int(fields[4].split(":")[1], 16), int(fields[-1])
    return None


class Peer:
    name = ""

    def __init__(self, workdir, port, run):
        self.dir = os.path.join(workdir, f"{self.name}{run}")
        os.makedirs(self.dir)
        self.port = port
        self.log = open(os.path.join(self.dir, "stdout.log"), "w")
        self.process = subprocess.Popen(self.command(), cwd=self.dir, stdout=self.log,
                                        stderr=subprocess.STDOUT, env=self.environment(),
                                        start_new_session=True)
        deadline = time.time() + 20
        while udp_socket(port) is None:
            if self.process.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not open its statsd socket; see {self.dir}")
            time.sleep(0.1)

    def environment(self):
        return dict(os.environ)

    def own_count(self):
        """Datagrams the peer says it read, or None when it keeps no such count."""
        return None

    def stop(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        self.log.close()


class Collectd(Peer):
    name = "collectd"
    method = ("collectd -f with LoadPlugin statsd only (Interval 1, Delete* true); values "
              "stop in the PostCache chain (no write plugin: nothing is written); received = "
              "sent - the kernel's drops on its socket (the plugin keeps no count)")

    def command(self):
        conf = os.path.join(self.dir, "collectd.conf")
        with open(conf, "w") as f:
            f.write(f"""Hostname "firehose-bench"
FQDNLookup false
Interval 1
BaseDir "{self.dir}"
PIDFile "{self.dir}/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
AutoLoadPlugin false
LoadPlugin logfile
<Plugin logfile>
  LogLevel "info"
  File "{self.dir}/collectd.log"
</Plugin>
LoadPlugin statsd
<Plugin statsd>
  Host "127.0.0.1"
  Port "{self.port}"
  DeleteCounters true
  DeleteTimers true
  DeleteGauges true
  DeleteSets true
</Plugin>
<Chain "FirehoseBench">
  Target "stop"
</Chain>
PostCacheChain "FirehoseBench"
""")
        return ["collectd", "-f", "-C", conf]

    def rejected_lines(self):
        """Lines collectd's statsd plugin logged as unparsable (it rejects DogStatsD tags)."""
        try:
            with open(os.path.join(self.dir, "collectd.log"), errors="replace") as f:
                return sum(1 for line in f if "Unable to parse line" in line)
        except OSError:
            return None


class Netdata(Peer):
    name = "netdata"
    method = ("netdata -D, every plugin but statsd off, db mode ram, health/ML/registry/cloud "
              "off, web API on a free loopback port; received = its own "
              "netdata.statsd_packets (udp) counter, raw (source=as-collected)")

    def __init__(self, workdir, port, run):
        self.web_port = free_tcp_port()
        super().__init__(workdir, port, run)

    def environment(self):
        return dict(os.environ, DO_NOT_TRACK="1")  # no anonymous statistics

    def command(self):
        d = self.dir
        for sub in ("cache", "lib", "log", "run", "health.d"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        plugins_off = "\n".join(f"  {p} = no" for p in (
            "proc", "diskspace", "cgroups", "tc", "idlejitter", "timex", "checks", "apps",
            "python.d", "charts.d", "go.d", "ebpf", "perf", "slabinfo", "freeipmi",
            "nfacct", "xenstat", "ioping", "fping"))
        conf = os.path.join(d, "netdata.conf")
        with open(conf, "w") as f:
            f.write(f"""[global]
  hostname = firehose-bench
  run as user = {'root' if os.geteuid() == 0 else os.environ.get('USER', 'nobody')}
[db]
  mode = ram
  update every = 1
[directories]
  config = {d}
  stock config = /usr/lib/netdata/conf.d
  cache = {d}/cache
  lib = {d}/lib
  log = {d}/log
  run = {d}/run
  home = {d}
  plugins = /usr/lib/netdata/plugins.d
  web = /usr/share/netdata/web
  health config = {d}/health.d
[logs]
  debug log = none
  error log = {d}/log/error.log
  access log = none
[web]
  mode = static-threaded
  bind to = 127.0.0.1:{self.web_port}
[health]
  enabled = no
[ml]
  enabled = no
[registry]
  enabled = no
[cloud]
  enabled = no
[plugins]
  enable running new plugins = no
{plugins_off}
  statsd = yes
[statsd]
  enabled = yes
  bind to = udp:127.0.0.1:{self.port}
  update every (flushInterval) = 1
""")
        return ["netdata", "-D", "-c", conf]

    def own_count(self):
        url = (f"http://127.0.0.1:{self.web_port}/api/v1/allmetrics?format=prometheus"
               f"&source=as-collected&filter=netdata.statsd_packets")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                text = response.read().decode()
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith("netdata_netdata_statsd_packets_total") and \
                    'dimension="udp"' in line:
                return int(float(line.split("} ", 1)[1].split()[0]))
        return None


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_once(peer_class, replay, pcap, port, seconds, workdir, run):
    peer = peer_class(workdir, port, run)
    try:
        time.sleep(2 if peer_class is Netdata else 0.5)  # let its charts/threads settle
        _, drops_before = udp_socket(port)
        own_before = peer.own_count()
        cpu_before = process_cpu_seconds(peer.process.pid)
        sender = subprocess.run([replay, f"--pcap={pcap}", f"--port={port}",
                                 f"--seconds={seconds}"], capture_output=True, text=True,
                                timeout=seconds + 30, check=True)
        sent = json.loads(sender.stdout)["sent"]
        # Let the peer drain its socket, then (netdata) publish its per-second counters.
        deadline = time.time() + 5
        while udp_socket(port)[0] > 0 and time.time() < deadline:
            time.sleep(0.05)
        queued, drops_after = udp_socket(port)
        if peer_class is Netdata:
            time.sleep(1.5)
        cpu = process_cpu_seconds(peer.process.pid) - cpu_before
        own_after = peer.own_count()
    finally:
        peer.stop()
    # Datagrams still queued after the drain timeout were not read: reported, not counted
    # (they would only be read after the CPU window closed).
    by_socket = sent - (drops_after - drops_before)
    result = {"sent": sent, "socket_drops": drops_after - drops_before,
              "left_queued_bytes": queued, "received_by_socket_counters": by_socket,
              "cpu_seconds": cpu}
    received = by_socket
    if own_before is not None and own_after is not None:
        result["received_own_counter"] = own_after - own_before
        received = own_after - own_before
    if isinstance(peer, Collectd):
        result["rejected_lines_logged"] = peer.rejected_lines()
    result["received"] = received
    result["fraction_received"] = received / max(sent, 1)
    result["pps_per_cpu_s"] = received / cpu if cpu > 0 else None
    return result


def bench_peers(replay, pcap, args, workdir, free_udp_port, summarize):
    """Runs every peer args.runs times; returns the `peers` object of results.json."""
    ensure_installed()
    peers = {}
    for peer_class in (Collectd, Netdata):
        version = package_version(PACKAGES[peer_class.name])
        runs = []
        for run in range(args.runs):
            r = run_once(peer_class, replay, pcap, free_udp_port(),
                         args.warmup + args.seconds + 1, workdir, run)
            runs.append(r)
            log(f"   {peer_class.name} run {run + 1}: {r['pps_per_cpu_s'] or 0:,.0f} packets per "
                f"CPU-second, {r['received']:,}/{r['sent']:,} received "
                f"({r['fraction_received']:.1%}), {r['cpu_seconds']:.2f} CPU-s")
        rates = [r["pps_per_cpu_s"] for r in runs if r["pps_per_cpu_s"]]
        peers[peer_class.name] = {
            "version": version,
            "method": peer_class.method,
            "fraction_received": summarize([r["fraction_received"] for r in runs]),
            "cpu_seconds": summarize([r["cpu_seconds"] for r in runs]),
            "pps_per_cpu_s": summarize(rates) if rates else None,
            "runs": runs,
        }
    return peers
