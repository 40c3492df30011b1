"""Subscription figures in `make bench` (issue 5's targets).

fanout      Does fan-out slow the lcore? ingestd on net_pcap (infinite_rx=1, one worker
            lcore), packets per worker CPU-second over a window, with 0 subscribers and with
            --fanout-subscribers filtered ones (`ingestctl tail --prefix no.such.metric.`:
            the filter matches nothing, so the clients themselves cost little). To keep
            the comparison about the code path and not about CPU sharing on a small
            machine, every ingestd thread except the worker lcore, and every subscriber
            process, is pinned to CPU 0 (the worker lcore has CPU 1 to itself, apart from
            whatever else runs on the machine) — in both cases alike.
subscriber  One subscriber's records per second on loopback: node/export's
            subscribe_benchmark (real hub, replay ring, gRPC server and C++ client, 4096-
            record statsd batches), --runs times.
relay       The relay's CPU per forwarded 4096-record batch: relay/relay_benchmark (a fake
            node publishing ingestd-encoded batches, the relay in process, a real
            subscriber reading it), --runs times: its follower thread's CPU, the whole
            process's, and the subscriber's records per second.
"""

import os
import re
import subprocess
import sys
import time
import urllib.request

from benchlib import on_cpus

WORKER_THREAD_PREFIXES = ("rte-worker", "dpdk-worker", "lcore-worker")


def log(message):
    print(message, file=sys.stderr, flush=True)


def pin_all_but_worker(pid, cpu):
    """Pins every thread of `pid` except DPDK worker lcores to `cpu`; returns how many
    threads were left alone (the worker lcores)."""
    left = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
            if comm.startswith(WORKER_THREAD_PREFIXES):
                left += 1
                continue
            os.sched_setaffinity(int(tid), {cpu})
        except OSError:
            continue  # a thread that ended meanwhile
    return left


def start_tail_clients(ingestctl, grpc_address, prefixes, cpu=None):
    """`ingestctl tail` subscribers, one per name prefix, output discarded; with `cpu`,
    each pinned there. Stop them with stop_clients."""
    return [subprocess.Popen([ingestctl, "tail", grpc_address, "--prefix", prefix,
                              "--name", f"bench{i}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=on_cpus((cpu,) if cpu is not None else ()))
            for i, prefix in enumerate(prefixes)]


def stop_clients(clients):
    for c in clients:
        c.terminate()
    for c in clients:
        try:
            c.wait(timeout=10)
        except subprocess.TimeoutExpired:
            c.kill()
            c.wait()


def bench_fanout(start_node, window, summarize, ingestctl, args):
    """start_node(name) starts ingestd on the capture (bench.py's DPDK configuration)."""
    results = {}
    for count in (0, args.fanout_subscribers):
        rates, details = [], []
        for run in range(args.runs):
            node = start_node(f"fanout{count}-{run}")
            clients = []
            try:
                workers = pin_all_but_worker(node.process.pid, 0)
                clients = start_tail_clients(ingestctl, node.grpc_address,
                                             ["no.such.metric."] * count, cpu=0)
                time.sleep(args.warmup)
                # Threads gRPC started for the new streams inherit CPU 0 from their
                # creators; pin again in case any appeared otherwise.
                pin_all_but_worker(node.process.pid, 0)
                packets, cpu, drops = window(node, args.seconds)
                connected = ingestd_metric(node, "firehose_subscribers")
            finally:
                stop_clients(clients)
                identity = node.stop()
            rates.append(packets / cpu)
            # How much of its CPU the busy-polling worker actually got: below 1, the
            # machine's other load shared CPU 1 with it during the window.
            details.append({"packets": packets, "worker_cpu_seconds": cpu,
                            "worker_cpu_share": cpu / args.seconds,
                            "connected_subscribers": connected, "worker_threads": workers,
                            "identity": identity})
            log(f"   fanout {count} subscribers run {run + 1}: {packets / cpu:,.0f} packets per "
                f"worker CPU-second ({connected:.0f} connected, worker got "
                f"{cpu / args.seconds:.0%} of a CPU); identity "
                f"{identity and identity['identity_holds']}")
        results[f"subscribers_{count}"] = {**summarize(rates), "runs_detail": details}
    base = results["subscribers_0"]["median"]
    loaded = results[f"subscribers_{args.fanout_subscribers}"]["median"]
    results["ratio_median"] = loaded / base
    results["pinning"] = ("worker lcore alone on CPU 1; other ingestd threads and the "
                          "subscribers on CPU 0")
    return results


def ingestd_metric(node, name):
    with urllib.request.urlopen(f"http://{node.metrics_address}/metrics", timeout=5) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if re.match(rf"{name}(\{{| )", line):
            total += float(line.rsplit(" ", 1)[1])
    return total


def bench_subscriber(binary, args):
    rates = []
    for run in range(args.runs):
        out = subprocess.run([binary, "--subscribers=1", "--batches=2000"],
                             capture_output=True, text=True, timeout=300, check=True).stdout
        m = re.search(r"records_per_s_slowest_subscriber=(\S+)", out)
        rates.append(float(m.group(1)))
        log(f"   one subscriber run {run + 1}: {rates[-1]:,.0f} records/s")
    return rates


def bench_relay(binary, summarize, args):
    figures = {"follow_cpu_us_per_batch": [], "process_cpu_us_per_batch": [],
               "records_per_s": []}
    for run in range(args.runs):
        out = subprocess.run([binary, "--batches=2000"], capture_output=True, text=True,
                             timeout=300, check=True).stdout
        for key, values in figures.items():
            values.append(float(re.search(rf"{key}=(\S+)", out).group(1)))
        log(f"   relay run {run + 1}: follower {figures['follow_cpu_us_per_batch'][-1]:.0f} us, "
            f"process {figures['process_cpu_us_per_batch'][-1]:.0f} us per batch; "
            f"{figures['records_per_s'][-1]:,.0f} records/s")
    return {key: summarize(values) for key, values in figures.items()}
