"""`make bench` modes on the worker lcore (ingestd on net_pcap with infinite_rx=1): packets
and records per worker CPU-second (dpdk), the receive floor with nothing decoded
(floor), other line counts per packet (lines), the bounds the speed targets leave
decode + batch, RSS over a soak (memory), and testpmd rxonly's ceiling on the same
device (testpmd). See tools/bench/bench.py for what each mode is for."""

import os
import re
import signal
import statistics
import subprocess
import time

from benchlib import (Ingestd, dpdk_config, log, metrics, rss_kib, summarize,
                      thread_cpu_seconds, window)
from fanout import start_tail_clients, stop_clients


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


def soak_rss(node, warmup, seconds):
    """RSS of `node` every second for `seconds` after `warmup`: the samples, and the
    growth (mean of the last 5 samples minus the first 5)."""
    time.sleep(warmup)
    samples = []
    deadline = time.time() + seconds
    while True:
        samples.append(rss_kib(node.process.pid))
        if time.time() >= deadline:
            break
        time.sleep(1)
    return samples, statistics.mean(samples[-5:]) - statistics.mean(samples[:5])


# One name prefix per filtered subscriber in the memory soak: each keeps ~1/12 of the
# capture's records (pcapgen draws names under 12 prefixes).
SOAK_PREFIXES = ["api.", "web.", "db.", "cache.", "queue.", "auth.", "billing.", "search."]


def bench_memory(binary, pcap, hugepages, args, workdir, ingestctl=None):
    """RSS over a soak, sampled every second after a warm-up long enough to fill the
    replay ring (it fills within ~1 s at this rate). Growth compares the mean of the
    last 5 samples with the first 5.

    Two soaks: with a 1 MiB replay ring, where every other buffer is fixed from start-up
    and growth shows a leak; and with the default 64 MiB ring, the node as shipped. The
    ring is bounded by the memory its batches hold (ReplayFootprint), so its heap stays
    within a batch of the budget; what is left is glibc handing the top of its heap back
    and taking it again, a few MiB up and down (the min-max range), not growth.

    With `ingestctl`, a third soak: the default ring with --memory-subscribers
    prefix-filtered subscribers connected (`ingestctl tail --prefix`), after a longer
    warm-up (--subscriber-memory-warmup) in which their streams' buffers reach their
    size. Filtered streams parse every batch, so this is where per-thread heap use
    shows (node/export/pooled_arena.h, heap_tuning.h). Their queues also hold batches
    the ring has evicted while they lag (up to grpc.subscriber_queue_batches each), so
    this soak's RSS moves with how far behind they fall on a busy machine.
    """
    results = {}
    soaks = [("ring_1MiB", 1 << 20, 0), ("ring_default_64MiB", None, 0)]
    if ingestctl and args.memory_subscribers > 0:
        soaks.append(("ring_default_64MiB_filtered_subscribers", None, args.memory_subscribers))
    for label, replay_bytes, subscribers in soaks:
        config = dpdk_config(pcap, f"fh-bench-{os.getpid()}", hugepages.eal_args())
        if replay_bytes:
            config = config.replace("grpc:\n  listen: 127.0.0.1:0\n",
                                    f"grpc:\n  listen: 127.0.0.1:0\n  replay_bytes: {replay_bytes}\n")
        node = Ingestd(binary, config, workdir, f"soak-{label}")
        prefixes = [SOAK_PREFIXES[i % len(SOAK_PREFIXES)] for i in range(subscribers)]
        clients = start_tail_clients(ingestctl, node.grpc_address, prefixes)
        try:
            warmup = args.subscriber_memory_warmup if subscribers else args.memory_warmup
            samples, growth = soak_rss(node, warmup, args.soak_seconds)
            m = metrics(node.metrics_address)
        finally:
            stop_clients(clients)
            identity = node.stop()
        ring = m.get("firehose_replay_ring_bytes", 0)
        ring_batches = m.get("firehose_replay_ring_batches", 0)
        results[label] = {"rss_start_kib": samples[0], "rss_end_kib": samples[-1],
                          "rss_min_kib": min(samples), "rss_max_kib": max(samples),
                          "growth_kib": round(growth), "ring_bytes_at_end": ring,
                          "ring_batches_at_end": ring_batches, "subscribers": subscribers,
                          "connected_at_end": m.get("firehose_subscribers", 0),
                          "warmup_seconds": warmup,
                          "samples_kib": samples, "identity": identity}
        log(f"   memory ({label}): RSS {samples[0]} KiB -> {samples[-1]} KiB over "
            f"{args.soak_seconds:.0f} s after {warmup:.0f} s warm-up "
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
