#!/usr/bin/python3
"""make bench: how fast firehose decodes statsd, next to the ceilings and baselines.

A benchmark, not a test. On the same realistic capture (tools/pcapgen: statsd lines of
typical length with tags, 1500 distinct names, three lines per packet) it measures:

  dpdk     ingestd, one worker lcore, net_pcap with infinite_rx=1: packets per worker
           CPU-second (the worker thread's CLOCK_THREAD_CPUTIME_ID, exported as
           firehose_worker_cpu_seconds_total), median and range over --runs runs of
           --seconds each, after a warm-up; plus the accounting identity of every run,
           and records per worker CPU-second.
  floor    the dpdk mode with no decoder for the capture's port (every packet received,
           parsed to UDP, dropped as unknown_port): the worker's receive floor, from which
           the run derives what decode + batch cost and what each speed target leaves
           them ("bounds" in results.json).
  lines    the dpdk mode on captures with --lines-sweep lines per packet (default 1 and
           20; --lines-seconds each): per-packet and per-record rates as packing varies.
  testpmd  dpdk-testpmd --forward-mode=rxonly on the same vdev: the PMD's own ceiling,
           packets per forwarding-lcore CPU-second (/proc/PID/task/TID/stat).
  kernel   ingestd's kernel socket backend, one worker, fed over loopback by
           tools/bench/udp_replay: packets per receiver CPU-second, and the kernel's
           receive-buffer drops.
  memory   ingestd's RSS growth over a --soak-seconds run after --memory-warmup, sampled
           every second, with a 1 MiB replay ring and with the default 64 MiB one.
  peers    collectd's statsd plugin and netdata's statsd server (Debian packages, installed
           on first use; see tools/bench/peers.py), fed like the kernel backend: fraction
           received and packets per CPU-second of the peer process.
  fanout   packets per worker CPU-second with 0 and with 16 filtered subscribers, and one
           subscriber's records per second on loopback (tools/bench/fanout.py).
  latency  receive-to-subscriber latency P50/P99/P999 (tools/bench/latency_probe, from
           the receive timestamps in the batches) while udp_replay offers a paced
           100 kpps (--runs runs: median and range), then one run at each
           --latency-curve rate (default 150 and 200 kpps), then as fast as it can, to
           the kernel backend over loopback (net_pcap cannot be paced); with the node's
           named drops and the CPU other processes took meanwhile, which sets the tail
           on a shared machine.

Hugepages are used when 2 MiB pages can be reserved (and released afterwards);
otherwise EAL runs on 4 KiB pages (--no-huge), and the results say which.
Writes build/bench/results.json and prints a table.
"""

import argparse
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import fanout as fanout_bench
import peers as peer_bench

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HUGEPAGES = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
WANT_HUGEPAGES = 512  # 1 GiB: the capture, the mempool and EAL's own needs
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message):
    print(message, file=sys.stderr, flush=True)


def bazel_bin():
    out = subprocess.run(["bazel", "info", "--config=release", "bazel-bin"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def build():
    log("== building (bazel --config=release)")
    subprocess.run(["bazel", "build", "--config=release", "//node:ingestd",
                    "//tools/pcapgen", "//tools/bench:udp_replay",
                    "//tools/bench:latency_probe", "//controlplane/ingestctl",
                    "//node/export:subscribe_benchmark"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return bazel_bin()


class Hugepages:
    """Reserves 2 MiB pages if the kernel allows, and gives them back on exit."""

    def __init__(self):
        self.previous = None
        self.reserved = 0

    def __enter__(self):
        try:
            with open(HUGEPAGES) as f:
                self.previous = int(f.read())
            with open(HUGEPAGES, "w") as f:
                f.write(str(self.previous + WANT_HUGEPAGES))
            with open(HUGEPAGES) as f:
                self.reserved = int(f.read()) - self.previous
        except OSError:
            self.reserved = 0
        return self

    def __exit__(self, *exc):
        # Give back only what this run reserved: another run that started meanwhile
        # may hold pages of its own, and the count read at start would be stale.
        if self.reserved > 0:
            try:
                with open(HUGEPAGES) as f:
                    now = int(f.read())
                with open(HUGEPAGES, "w") as f:
                    f.write(str(max(0, now - self.reserved)))
            except OSError:
                pass

    def eal_args(self):
        if self.reserved >= WANT_HUGEPAGES // 2:
            return ["--in-memory", "--no-pci"]
        return ["--no-huge", "--no-shconf", "-m", "1024", "--no-pci"]

    def describe(self):
        if self.reserved >= WANT_HUGEPAGES // 2:
            return f"2 MiB hugepages ({self.reserved} reserved for the run, released after)"
        return "4 KiB pages (--no-huge): hugepages could not be reserved"


def metrics(address):
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as response:
        text = response.read().decode()
    sums = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = re.split(r"[{ ]", line, 1)[0]
        sums[name] = sums.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return sums


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def thread_cpu_seconds(pid, name_prefix):
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
            if not comm.startswith(name_prefix):
                continue
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
        except OSError:
            continue
    return None


class Ingestd:
    def __init__(self, binary, config_text, workdir, name):
        self.config = os.path.join(workdir, f"{name}.yaml")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen([binary, f"--config={self.config}"],
                                        stdout=subprocess.PIPE, stderr=self.log_file, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("READY"):
            self.process.kill()
            raise RuntimeError(f"ingestd did not start; see {self.log_path}")
        self.metrics_address = re.search(r"metrics=(\S+)", line).group(1)
        self.grpc_address = re.search(r"grpc=(\S+)", line).group(1)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log_file.close()
        with open(self.log_path) as f:
            summary = [l for l in f if "packets received" in l]
        m = re.search(r"packets received (\d+) = delivered (\d+) \+ answered (\d+) "
                      r"\+ dropped (\d+)", summary[-1] if summary else "")
        if not m:
            return None
        received, delivered, answered, dropped = map(int, m.groups())
        return {"received": received, "delivered": delivered, "answered": answered,
                "dropped": dropped, "identity_holds": received == delivered + answered + dropped}


def window(node, seconds):
    before = metrics(node.metrics_address)
    time.sleep(seconds)
    after = metrics(node.metrics_address)
    packets = after["firehose_rx_packets_total"] - before["firehose_rx_packets_total"]
    cpu = (after["firehose_worker_cpu_seconds_total"]
           - before["firehose_worker_cpu_seconds_total"])
    # The named drops, and the records decoded (to state a rate per record as well).
    drops = {k: after.get(k, 0) - before.get(k, 0) for k in (
        "firehose_rx_dropped_packets_total", "firehose_batch_dropped_records_total",
        "firehose_nic_rx_missed_total", "firehose_decoder_records_total")}
    return packets, cpu, drops


def dpdk_config(pcap, prefix, eal_args):
    args = ", ".join(f'"{a}"' for a in eal_args + ["--no-telemetry"])
    return f"""node_id: bench
eal:
  file_prefix: {prefix}
  args: [{args}]
ports:
  - device: net_pcap0,rx_pcap={pcap},infinite_rx=1
lcores:
  main: 0
  workers: [1]
mempool:
  mbufs_per_queue: 16383
grpc:
  listen: 127.0.0.1:0
metrics:
  listen: 127.0.0.1:0
"""


def bench_floor(binary, pcap, hugepages, args, workdir):
    """The worker's receive floor: ingestd on the same capture with no decoder for its
    port, so every packet is received, parsed to UDP and dropped as unknown_port. What
    is left of the dpdk mode's cost per packet above this is decode + batch."""
    rates, identities = [], []
    for run in range(args.runs):
        config = dpdk_config(pcap, f"fh-bench-{os.getpid()}", hugepages.eal_args())
        node = Ingestd(binary, config + 'decoders:\n  "9": statsd\n', workdir, f"floor{run}")
        time.sleep(args.warmup)
        packets, cpu, _ = window(node, args.lines_seconds)
        identity = node.stop()
        rates.append(packets / cpu)
        identities.append(identity)
        log(f"   floor run {run + 1}: {packets / cpu:,.0f} packets per worker CPU-second, "
            f"none decoded; {identity}")
    return summarize(rates), identities


def bounds(results):
    """What the three speed targets would need, from this run's own medians (ns per
    packet): P = the receive floor, D = the dpdk mode's cost above it (decode + batch),
    K = the kernel backend's cost above D (its receive path)."""
    total = 1e9 / results["dpdk"]["median"]
    floor = 1e9 / results["floor"]["median"]
    decode = total - floor
    out = {"dpdk_ns_per_packet": total, "receive_floor_ns_per_packet": floor,
           "decode_batch_ns_per_packet": decode,
           "budget_ns_for_10M": 100.0, "decode_batch_budget_ns_for_10M": 100.0 - floor}
    if "testpmd" in results:
        budget = 1e9 / (0.25 * results["testpmd"]["median"])
        out["budget_ns_for_25pct_testpmd"] = budget
        out["decode_batch_budget_ns_for_25pct_testpmd"] = budget - floor
    if "kernel" in results:
        kernel_receive = 1e9 / results["kernel"]["median"] - decode
        out["kernel_receive_ns_per_packet"] = kernel_receive
        # DPDK / kernel = (D + K) / (D + P); with D = 0 it is K / P, its ceiling.
        out["dpdk_over_kernel_ceiling_with_free_decode"] = kernel_receive / floor
        out["decode_batch_budget_ns_for_10x_kernel"] = (kernel_receive - 10 * floor) / 9
    return out


def summarize(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def bench_dpdk(binary, pcap, hugepages, args, workdir, seconds=None, label="dpdk"):
    """Packets and records per worker CPU-second over args.runs runs of `seconds`."""
    seconds = seconds or args.seconds
    rates, record_rates, identities = [], [], []
    for run in range(args.runs):
        node = Ingestd(binary, dpdk_config(pcap, f"fh-bench-{os.getpid()}", hugepages.eal_args()),
                       workdir, f"{label}{run}")
        time.sleep(args.warmup)
        packets, cpu, counts = window(node, seconds)
        identity = node.stop()
        rates.append(packets / cpu)
        record_rates.append(counts["firehose_decoder_records_total"] / cpu)
        identities.append(identity)
        log(f"   {label} run {run + 1}: {packets / cpu:,.0f} packets "
            f"({record_rates[-1]:,.0f} records) per worker CPU-second "
            f"({packets / seconds:,.0f} packets/s wall); {identity}")
    return summarize(rates), summarize(record_rates), identities


def bench_lines(binary, pcapgen, hugepages, args, workdir, out_dir):
    """The dpdk mode on captures with other line counts per packet. Plain statsd clients
    send one line per datagram; DogStatsD-style clients pack lines up to ~1.4 KB. The
    headline stays the three-line capture; this shows how the per-packet rate moves with
    the packing while the per-record rate holds."""
    results = {}
    for lines in args.lines_sweep:
        pcap = os.path.join(out_dir, f"statsd_{lines}lines.pcap")
        subprocess.run([pcapgen, f"--out={pcap}", "--packets=4096", "--names=1500",
                        f"--lines_per_packet={lines}"], check=True, stderr=subprocess.DEVNULL)
        packets, records, identities = bench_dpdk(binary, pcap, hugepages, args, workdir,
                                                  seconds=args.lines_seconds,
                                                  label=f"dpdk-{lines}lines")
        results[str(lines)] = {"pps_per_cpu_s": packets, "records_per_cpu_s": records,
                               "identity": identities}
    return results


def bench_memory(binary, pcap, hugepages, args, workdir):
    """RSS over a soak, sampled every second after a warm-up long enough to fill the
    replay ring (it fills within ~1 s at this rate). Growth compares the mean of the
    last 5 samples with the first 5.

    Two soaks: with a 1 MiB replay ring, where every other buffer is fixed from start-up
    and growth shows a leak; and with the default 64 MiB ring, the node as shipped. The
    ring is bounded by the memory its batches hold (ReplayFootprint), so its heap stays
    within a batch of the budget; what is left is glibc handing the top of its heap back
    and taking it again, a few MiB up and down (the min-max range), not growth.
    """
    results = {}
    for label, replay_bytes in (("ring_1MiB", 1 << 20), ("ring_default_64MiB", None)):
        config = dpdk_config(pcap, f"fh-bench-{os.getpid()}", hugepages.eal_args())
        if replay_bytes:
            config = config.replace("grpc:\n  listen: 127.0.0.1:0\n",
                                    f"grpc:\n  listen: 127.0.0.1:0\n  replay_bytes: {replay_bytes}\n")
        node = Ingestd(binary, config, workdir, f"soak-{label}")
        time.sleep(args.memory_warmup)
        samples = []
        deadline = time.time() + args.soak_seconds
        while True:
            samples.append(rss_kib(node.process.pid))
            if time.time() >= deadline:
                break
            time.sleep(1)
        m = metrics(node.metrics_address)
        ring = m.get("firehose_replay_ring_bytes", 0)
        ring_batches = m.get("firehose_replay_ring_batches", 0)
        identity = node.stop()
        growth = statistics.mean(samples[-5:]) - statistics.mean(samples[:5])
        results[label] = {"rss_start_kib": samples[0], "rss_end_kib": samples[-1],
                          "rss_min_kib": min(samples), "rss_max_kib": max(samples),
                          "growth_kib": round(growth), "ring_bytes_at_end": ring,
                          "ring_batches_at_end": ring_batches,
                          "samples_kib": samples, "identity": identity}
        log(f"   memory ({label}): RSS {samples[0]} KiB -> {samples[-1]} KiB over "
            f"{args.soak_seconds:.0f} s after {args.memory_warmup:.0f} s warm-up "
            f"(min {min(samples)}, max {max(samples)}); growth {growth:,.0f} KiB; {identity}")
    # The headline is the node as configured by default.
    return {**results, "seconds": args.soak_seconds, "warmup_seconds": args.memory_warmup,
            "growth_kib": results["ring_default_64MiB"]["growth_kib"]}


def bench_testpmd(pcap, hugepages, args):
    rates = []
    for run in range(args.runs):
        cmd = ["dpdk-testpmd", "-l", "0,1", "--file-prefix", f"fh-testpmd-{os.getpid()}",
               *hugepages.eal_args(), "--vdev", f"net_pcap0,rx_pcap={pcap},infinite_rx=1",
               "--", "--forward-mode=rxonly", "--stats-period", "1",
               "--total-num-mbufs=16384"]
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
        samples = []  # (time, cumulative RX-packets, forwarding thread CPU seconds)
        deadline = time.time() + args.warmup + args.seconds + 5
        for line in process.stdout:
            m = re.search(r"RX-packets:\s+(\d+)\s+RX-missed", line)
            if m:
                cpu = thread_cpu_seconds(process.pid, "rte-worker")
                samples.append((time.time(), int(m.group(1)), cpu))
            if time.time() > deadline or (samples and samples[-1][0] - samples[0][0]
                                           >= args.warmup + args.seconds):
                break
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        subprocess.run(["rm", "-rf", f"/var/run/dpdk/fh-testpmd-{os.getpid()}"])
        usable = [s for s in samples if s[0] - samples[0][0] >= args.warmup]
        if len(usable) < 2 or usable[-1][2] is None or usable[-1][2] == usable[0][2]:
            raise RuntimeError("testpmd produced no usable statistics")
        packets = usable[-1][1] - usable[0][1]
        cpu = usable[-1][2] - usable[0][2]
        rates.append(packets / cpu)
        log(f"   testpmd run {run + 1}: {packets / cpu:,.0f} packets per lcore CPU-second")
    return summarize(rates)


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def bench_kernel(binary, replay, pcap, args, workdir):
    rates, results = [], []
    for run in range(args.runs):
        port = free_udp_port()
        node = Ingestd(binary, f"""node_id: bench-kernel
backend: kernel
kernel:
  bind_address: 127.0.0.1
  workers: 1
  rcvbuf_bytes: 33554432
decoders:
  "{port}": statsd
grpc:
  listen: 127.0.0.1:0
metrics:
  listen: 127.0.0.1:0
""", workdir, f"kernel{run}")
        sender = subprocess.Popen([replay, f"--pcap={pcap}", f"--port={port}",
                                   f"--seconds={args.warmup + args.seconds + 1}"],
                                  stdout=subprocess.PIPE, text=True)
        time.sleep(args.warmup)
        before = metrics(node.metrics_address)
        packets, cpu, _ = window(node, args.seconds)
        after = metrics(node.metrics_address)
        sent = json.loads(sender.communicate(timeout=30)[0])
        identity = node.stop()
        # Valid statsd only: every drop in the window is the kernel's (kernel_rcvbuf).
        rcvbuf = (after.get("firehose_rx_dropped_packets_total", 0)
                  - before.get("firehose_rx_dropped_packets_total", 0))
        rates.append(packets / cpu)
        received = identity["received"] if identity else 0
        results.append({"sent": sent["sent"], "received": received,
                        "received_fraction": received / max(sent["sent"], 1),
                        "dropped_in_window": rcvbuf, "identity": identity})
        log(f"   kernel run {run + 1}: {packets / cpu:,.0f} packets per receiver CPU-second, "
            f"{rcvbuf:,.0f} dropped (kernel_rcvbuf) in the window, "
            f"{received:,}/{sent['sent']:,} received")
    return summarize(rates), results


def cpu_busy_seconds():
    """Busy time of all CPUs since boot (/proc/stat: user, nice, system, irq, softirq), in
    seconds. irq and softirq count too: a process's system time includes the softirq work
    done in its context (loopback receive, here), which /proc/stat books as softirq, so
    without them the bench's own processes would seem to use more than the machine did."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[1:8])
    return (user + nice + system + irq + softirq) / CLK_TCK


def latency_run(binary, replay, probe, pcap, args, workdir, label, pps):
    """One paced run: ingestd (kernel backend), latency_probe subscribed, udp_replay
    offering `pps` (0 = as fast as it can). Also measures how much CPU processes other
    than these three took meanwhile: on a shared 2-vCPU machine that, not the node, is
    what sets the tail."""
    port = free_udp_port()
    busy_before, ours_before, wall_before = cpu_busy_seconds(), os.times(), time.time()
    node = Ingestd(binary, f"""node_id: bench-latency
backend: kernel
kernel:
  bind_address: 127.0.0.1
  workers: 1
  rcvbuf_bytes: 33554432
decoders:
  "{port}": statsd
batch:
  max_delay_us: {args.latency_max_delay_us}
grpc:
  listen: 127.0.0.1:0
metrics:
  listen: 127.0.0.1:0
""", workdir, f"latency-{label}")
    listener = subprocess.Popen([probe, f"--address={node.grpc_address}",
                                 f"--seconds={args.seconds + 2}", "--skip_seconds=1"],
                                stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    sender = subprocess.Popen([replay, f"--pcap={pcap}", f"--port={port}",
                               f"--seconds={args.seconds}", f"--pps={pps}"],
                              stdout=subprocess.PIPE, text=True)
    sent = json.loads(sender.communicate(timeout=args.seconds + 30)[0])
    probe_out = listener.communicate(timeout=args.seconds + 30)[0]
    identity = node.stop()
    wall = time.time() - wall_before
    ours_after = os.times()
    ours = (ours_after.children_user + ours_after.children_system
            - ours_before.children_user - ours_before.children_system)
    measured = json.loads(probe_out.strip().splitlines()[-1])
    measured["offered_pps"] = sent["sent"] / sent["seconds"]
    measured["identity"] = identity
    measured["dropped"] = identity["dropped"] if identity else None
    # CPUs' worth of other processes' time (approximate: per-tick accounting).
    measured["other_cpu_load"] = round(max(0.0, cpu_busy_seconds() - busy_before - ours) / wall,
                                       2)
    log(f"   latency {label} ({measured['offered_pps']:,.0f} pps offered): "
        f"P50 {measured['p50_us']:.0f} us, P99 {measured['p99_us']:.0f} us, "
        f"P999 {measured['p999_us']:.0f} us over {measured['records']:,} records; "
        f"node dropped {measured['dropped']} packets (named reasons); "
        f"other processes used {measured['other_cpu_load']:.2f} CPUs meanwhile")
    if measured.get("uncounted"):
        log(f"   latency {label}: {measured['uncounted']:,} records arrived after the probe's "
            "buffer was full and are not in the percentiles (shorten --seconds)")
    return measured


def bench_latency(binary, replay, probe, pcap, args, workdir):
    """--runs runs at 100 kpps (median and range of each percentile), one run at each
    --latency-curve rate (where the knee lies between 100 kpps and the sender's maximum),
    then one run as fast as udp_replay can send."""
    runs = [latency_run(binary, replay, probe, pcap, args, workdir, f"100kpps-{i + 1}", 100000)
            for i in range(args.runs)]
    paced = {key: statistics.median(r[key] for r in runs)
             for key in ("p50_us", "p99_us", "p999_us", "offered_pps", "records")}
    for key in ("p50_us", "p99_us", "p999_us"):
        paced[f"{key}_range"] = [min(r[key] for r in runs), max(r[key] for r in runs)]
    paced["runs"] = runs
    paced["dropped"] = None if None in (r["dropped"] for r in runs) else sum(
        r["dropped"] for r in runs)
    results = {"100kpps": paced}
    for rate in args.latency_curve:
        label = f"{rate // 1000}kpps"
        results[label] = latency_run(binary, replay, probe, pcap, args, workdir, label, rate)
    results["max"] = latency_run(binary, replay, probe, pcap, args, workdir, "max", 0)
    results["batch_max_delay_us"] = args.latency_max_delay_us
    return results


def rate_list(text):
    """argparse type: a comma list of packets-per-second rates, each at least 1000."""
    rates = [int(r) for r in text.split(",") if r.strip()]
    if any(r < 1000 for r in rates):
        raise argparse.ArgumentTypeError(f"rates must be at least 1000 pps: {text}")
    return rates


def count_list(text):
    """argparse type: a comma list of lines-per-packet counts, 1 to 20 (20 lines of the
    capture's ~65 bytes still fit one 1500-byte frame)."""
    counts = [int(c) for c in text.split(",") if c.strip()]
    if any(c < 1 or c > 20 for c in counts):
        raise argparse.ArgumentTypeError(f"line counts must be 1 to 20: {text}")
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--soak-seconds", type=float, default=60)
    parser.add_argument("--memory-warmup", type=float, default=10,
                        help="seconds before the soak (the 64 MiB ring fills in ~1 s)")
    parser.add_argument("--latency-max-delay-us", type=int, default=200)
    parser.add_argument("--latency-curve", type=rate_list, default=[150000, 200000],
                        help="comma list of further paced rates (pps), one run each")
    parser.add_argument("--fanout-subscribers", type=int, default=16)
    parser.add_argument("--bin-dir", default="",
                        help="bazel-bin of a --config=release build to use instead of building")
    parser.add_argument("--lines-sweep", type=count_list, default=[1, 20],
                        help="comma list of other lines-per-packet counts for the lines mode")
    parser.add_argument("--lines-seconds", type=float, default=5,
                        help="window of each lines-mode run")
    modes = ["dpdk", "floor", "lines", "testpmd", "kernel", "peers", "fanout", "latency", "memory"]
    parser.add_argument("--skip", default="", help="comma list of: " + ",".join(modes))
    parser.add_argument("--only", default="", help="comma list of modes to run (the rest "
                        "are skipped)")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so peers and ingestd are stopped and hugepages released.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    skip = set(filter(None, args.skip.split(",")))
    if args.only:
        skip |= set(modes) - set(args.only.split(","))

    # --bin-dir: use release binaries already built (e.g. while another bazel command
    # holds the shared server's lock); by default build them.
    bin_dir = args.bin_dir or build()
    out_dir = os.path.join(ROOT, "build", "bench")
    os.makedirs(out_dir, exist_ok=True)
    pcap = os.path.join(out_dir, "statsd.pcap")
    subprocess.run([f"{bin_dir}/tools/pcapgen/pcapgen", f"--out={pcap}", "--packets=4096",
                    "--names=1500", "--lines_per_packet=3"], check=True,
                   stderr=subprocess.DEVNULL)
    ingestd = f"{bin_dir}/node/ingestd"
    replay = f"{bin_dir}/tools/bench/udp_replay"
    results = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(),
                    "kernel": platform.release()},
        "capture": {"packets": 4096, "names": 1500, "lines_per_packet": 3},
        "method": {"runs": args.runs, "seconds": args.seconds, "warmup": args.warmup},
    }
    with tempfile.TemporaryDirectory() as workdir, Hugepages() as hugepages:
        results["memory_mode"] = hugepages.describe()
        log(f"== memory: {hugepages.describe()}")
        if "dpdk" not in skip:
            log("== dpdk: ingestd, one worker lcore, net_pcap infinite_rx")
            results["dpdk"], results["dpdk_records"], results["dpdk_identity"] = bench_dpdk(
                ingestd, pcap, hugepages, args, workdir)
            results["dpdk_pps_per_cpu_s"] = results["dpdk"]["median"]
            results["dpdk_records_per_cpu_s"] = results["dpdk_records"]["median"]
        if "floor" not in skip:
            log("== floor: the dpdk mode with no decoder for the capture's port")
            results["floor"], results["floor_identity"] = bench_floor(
                ingestd, pcap, hugepages, args, workdir)
        if "lines" not in skip:
            log(f"== lines: the dpdk mode with {args.lines_sweep} lines per packet")
            results["dpdk_by_lines_per_packet"] = bench_lines(
                ingestd, f"{bin_dir}/tools/pcapgen/pcapgen", hugepages, args, workdir, out_dir)
        if "testpmd" not in skip:
            log("== testpmd rxonly on the same capture")
            results["testpmd"] = bench_testpmd(pcap, hugepages, args)
            results["testpmd_rxonly_pps_per_cpu_s"] = results["testpmd"]["median"]
        if "kernel" not in skip:
            log("== kernel backend over loopback")
            results["kernel"], results["kernel_runs"] = bench_kernel(
                ingestd, replay, pcap, args, workdir)
            results["kernel_pps_per_cpu_s"] = results["kernel"]["median"]
        if "peers" not in skip:
            log("== peers: collectd statsd plugin, netdata statsd, over loopback")
            results["peers"] = peer_bench.bench_peers(replay, pcap, args, workdir,
                                                      free_udp_port, summarize)
        if "fanout" not in skip:
            log(f"== fanout: 0 and {args.fanout_subscribers} filtered subscribers; one "
                "subscriber's records/s")
            results["fanout"] = fanout_bench.bench_fanout(
                lambda name: Ingestd(ingestd, dpdk_config(pcap, f"fh-bench-{os.getpid()}",
                                                          hugepages.eal_args()), workdir, name),
                window, summarize, f"{bin_dir}/controlplane/ingestctl/ingestctl", args)
            results["subscriber_records_per_s"] = summarize(fanout_bench.bench_subscriber(
                f"{bin_dir}/node/export/subscribe_benchmark", args))
        if "latency" not in skip:
            log("== latency: paced loopback into the kernel backend")
            results["latency"] = bench_latency(ingestd, replay,
                                               f"{bin_dir}/tools/bench/latency_probe", pcap,
                                               args, workdir)
        if "memory" not in skip:
            log(f"== memory: {args.soak_seconds:.0f} s soak")
            results["memory"] = bench_memory(ingestd, pcap, hugepages, args, workdir)
    if "dpdk" in results and "floor" in results:
        results["bounds"] = bounds(results)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=2)

    print(f"\nfirehose bench — {results['date']} — {results['machine']['cpu']}, "
          f"{results['machine']['cores']} cores — {results['memory_mode']}")
    print(f"{'path':<34}{'median':>14}{'min':>14}{'max':>14}")
    for key, label in (("dpdk", "ingestd DPDK (pkts/worker CPU-s)"),
                       ("testpmd", "testpmd rxonly (pkts/lcore CPU-s)"),
                       ("kernel", "ingestd kernel (pkts/recv CPU-s)")):
        if key in results:
            r = results[key]
            print(f"{label:<34}{r['median']:>14,.0f}{r['min']:>14,.0f}{r['max']:>14,.0f}")
    if "dpdk_records" in results:
        r = results["dpdk_records"]
        print(f"{'  records/worker CPU-s (3 lines)':<34}{r['median']:>14,.0f}{r['min']:>14,.0f}"
              f"{r['max']:>14,.0f}")
    for lines, r in results.get("dpdk_by_lines_per_packet", {}).items():
        for key, unit in (("pps_per_cpu_s", "pkts"), ("records_per_cpu_s", "records")):
            v = r[key]
            print(f"{f'  {unit}/worker CPU-s ({lines} lines)':<34}{v['median']:>14,.0f}"
                  f"{v['min']:>14,.0f}{v['max']:>14,.0f}")
    if "floor" in results:
        r = results["floor"]
        print(f"{'  receive floor, nothing decoded':<34}{r['median']:>14,.0f}{r['min']:>14,.0f}"
              f"{r['max']:>14,.0f}")
    if "bounds" in results:
        b = results["bounds"]
        line = (f"per packet: {b['dpdk_ns_per_packet']:,.0f} ns = receive floor "
                f"{b['receive_floor_ns_per_packet']:,.0f} + decode and batch "
                f"{b['decode_batch_ns_per_packet']:,.0f}; 10 M/s allows 100 ns "
                f"({b['decode_batch_budget_ns_for_10M']:,.0f} for decode and batch)")
        if "budget_ns_for_25pct_testpmd" in b:
            line += (f"; 25 % of testpmd allows {b['budget_ns_for_25pct_testpmd']:,.0f} ns "
                     f"({b['decode_batch_budget_ns_for_25pct_testpmd']:,.0f} for decode and batch)")
        print(line)
        if "kernel_receive_ns_per_packet" in b:
            print(f"kernel receive {b['kernel_receive_ns_per_packet']:,.0f} ns per packet: DPDK / "
                  f"kernel could reach {b['dpdk_over_kernel_ceiling_with_free_decode']:.1f}x "
                  f"only if decode and batch cost nothing; 10x allows "
                  f"{b['decode_batch_budget_ns_for_10x_kernel']:,.0f} ns for them")
    if "dpdk" in results and "testpmd" in results:
        print(f"DPDK / testpmd: {results['dpdk']['median'] / results['testpmd']['median']:.1%}")
    if "dpdk" in results and "kernel" in results:
        print(f"DPDK / kernel:  {results['dpdk']['median'] / results['kernel']['median']:.1f}x")
    for label, r in results.get("latency", {}).items():
        if isinstance(r, dict):
            spread = "".join(f"  {k[:-3].upper()} {r[k]:,.0f} us" + (
                f" ({r[k + '_range'][0]:,.0f}-{r[k + '_range'][1]:,.0f})"
                if k + "_range" in r else "") for k in ("p50_us", "p99_us", "p999_us"))
            dropped = f"  dropped {r['dropped']:,}" if r.get("dropped") is not None else ""
            print(f"latency {label:<8} ({r['offered_pps']:>10,.0f} pps):{spread}{dropped}")
    if "fanout" in results:
        f = results["fanout"]
        for key in sorted(k for k in f if k.startswith("subscribers_")):
            r = f[key]
            label = f"{key.split('_')[1]} filtered subscribers"
            print(f"{label + ' (pkts/worker CPU-s)':<34}{r['median']:>14,.0f}{r['min']:>14,.0f}"
                  f"{r['max']:>14,.0f}")
        r = results["subscriber_records_per_s"]
        print(f"{'one subscriber (records/s)':<34}{r['median']:>14,.0f}{r['min']:>14,.0f}"
              f"{r['max']:>14,.0f}")
    for name, r in results.get("peers", {}).items():
        if r.get("pps_per_cpu_s"):
            p = r["pps_per_cpu_s"]
            print(f"{name + ' (pkts/process CPU-s)':<34}{p['median']:>14,.0f}{p['min']:>14,.0f}"
                  f"{p['max']:>14,.0f}  received {r['fraction_received']['median']:.1%}")
    if "memory" in results:
        m = results["memory"]
        for label in ("ring_1MiB", "ring_default_64MiB"):
            r = m[label]
            print(f"RSS growth over {m['seconds']:.0f} s ({label}): {r['growth_kib']:,} KiB "
                  f"(range {r['rss_min_kib']:,}-{r['rss_max_kib']:,} KiB)")
    print(f"results: {os.path.relpath(os.path.join(out_dir, 'results.json'), ROOT)}")


if __name__ == "__main__":
    main()
