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
           tools/bench/udp_replay: packets per receiver CPU-second (and per CPU-second
           of the whole process, to set beside the peers), the kernel's
           receive-buffer drops, and the worker's waits for datagrams to gather
           (kernel.coalesce_us, its default here).
  memory   ingestd's RSS growth over a --soak-seconds run after --memory-warmup, sampled
           every second, with a 1 MiB replay ring, with the default 64 MiB one, and
           with the default ring and --memory-subscribers prefix-filtered subscribers.
  peers    collectd's statsd plugin and netdata's statsd server (Debian packages, installed
           on first use; see tools/bench/peers.py), fed like the kernel backend: fraction
           received and packets per CPU-second of the peer process.
  fanout   packets per worker CPU-second with 0 and with 16 filtered subscribers, and one
           subscriber's records per second on loopback (tools/bench/fanout.py).
  relay    the relay's follower-thread and process CPU per forwarded batch
           (relay/relay_benchmark; tools/bench/fanout.py).
  latency  receive-to-subscriber latency P50/P99/P999 (tools/bench/latency_probe, from
           the receive timestamps in the batches) while udp_replay offers a paced
           100 kpps (--runs runs: median and range), then one run at each
           --latency-curve rate (default 150 and 200 kpps), then as fast as it can, to
           the kernel backend over loopback (net_pcap cannot be paced); with the node's
           named drops, the CPU other processes took meanwhile and how late the host
           wakes a sleeping thread on each CPU just before and after each run
           (tools/bench/wakeup_jitter), which set the tail on a shared VM. The node runs on the last CPU, the sender and the probe
           on the others (--no-latency-pin to let them share).

Hugepages are used when 2 MiB pages can be reserved (and released afterwards);
otherwise EAL runs on 4 KiB pages (--no-huge), and the results say which.
Writes build/bench/results.json and prints a table.

This file runs the modes in order; they live beside it: worker.py (dpdk, floor, lines,
memory, testpmd and the bounds), loopback.py (kernel, latency), peers.py, fanout.py,
with benchlib.py's shared pieces and report.py's table.
"""

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time

import fanout as fanout_bench
import peers as peer_bench
from benchlib import (ROOT, Hugepages, Ingestd, cpu_model, dpdk_config, free_udp_port, log,
                      summarize, window)
from loopback import bench_kernel, bench_latency
from report import print_table
from worker import bench_dpdk, bench_floor, bench_lines, bench_memory, bench_testpmd, bounds


def bazel_bin():
    out = subprocess.run(["bazel", "info", "--config=release", "bazel-bin"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def build():
    log("== building (bazel --config=release)")
    subprocess.run(["bazel", "build", "--config=release", "//node:ingestd",
                    "//tools/pcapgen", "//tools/bench:udp_replay",
                    "//tools/bench:latency_probe", "//tools/bench:wakeup_jitter",
                    "//controlplane/ingestctl",
                    "//node/export:subscribe_benchmark", "//relay:relay_benchmark"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return bazel_bin()


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
    parser.add_argument("--memory-subscribers", type=int, default=8,
                        help="prefix-filtered subscribers in the third memory soak (0: none)")
    parser.add_argument("--subscriber-memory-warmup", type=float, default=30,
                        help="seconds before that soak (subscribers connect, their "
                             "streams' buffers reach their size)")
    parser.add_argument("--latency-max-delay-us", type=int, default=200)
    parser.add_argument("--latency-curve", type=rate_list, default=[150000, 200000],
                        help="comma list of further paced rates (pps), one run each")
    parser.add_argument("--latency-pin", action=argparse.BooleanOptionalAction, default=True,
                        help="latency mode: the node on the last CPU, the sender and the "
                             "probe on the others (--no-latency-pin: all share every CPU)")
    parser.add_argument("--fanout-subscribers", type=int, default=16)
    parser.add_argument("--bin-dir", default="",
                        help="bazel-bin of a --config=release build to use instead of building")
    parser.add_argument("--lines-sweep", type=count_list, default=[1, 20],
                        help="comma list of other lines-per-packet counts for the lines mode")
    parser.add_argument("--lines-seconds", type=float, default=5,
                        help="window of each lines-mode run")
    modes = ["dpdk", "floor", "lines", "testpmd", "kernel", "peers", "fanout", "relay", "latency",
             "memory"]
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
            results["kernel"], results["kernel_process"], results["kernel_runs"] = bench_kernel(
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
        if "relay" not in skip:
            log("== relay: CPU per forwarded batch")
            results["relay"] = fanout_bench.bench_relay(
                f"{bin_dir}/relay/relay_benchmark", summarize, args)
        if "latency" not in skip:
            log("== latency: paced loopback into the kernel backend")
            results["latency"] = bench_latency(ingestd, replay,
                                               f"{bin_dir}/tools/bench/latency_probe",
                                               f"{bin_dir}/tools/bench/wakeup_jitter", pcap,
                                               args, workdir)
        if "memory" not in skip:
            log(f"== memory: {args.soak_seconds:.0f} s soak")
            results["memory"] = bench_memory(ingestd, pcap, hugepages, args, workdir,
                                             f"{bin_dir}/controlplane/ingestctl/ingestctl")
    if "dpdk" in results and "floor" in results:
        results["bounds"] = bounds(results)
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=2)

    print_table(results, out_dir)


if __name__ == "__main__":
    main()
