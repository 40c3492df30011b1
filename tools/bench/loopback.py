"""`make bench` modes on ingestd's kernel socket backend, fed over loopback by
tools/bench/udp_replay: packets per receive-thread CPU-second (kernel), and
receive-to-subscriber latency at paced rates (latency). See tools/bench/bench.py."""

import json
import os
import statistics
import subprocess
import time

from benchlib import (CLK_TCK, Ingestd, free_udp_port, log, metrics, on_cpus,
                      process_cpu_seconds, summarize, window)


def bench_kernel(binary, replay, pcap, args, workdir):
    """Packets per receive-thread CPU-second (the figure the DPDK worker is compared
    with), and per CPU-second of the whole ingestd process (receive, export, gRPC and
    metrics threads: the figure to compare with a peer, which is charged its whole
    process). Returns (summary of the first, summary of the second, per-run details)."""
    rates, process_rates, results = [], [], []
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
        process_before = process_cpu_seconds(node.process.pid)
        packets, cpu, _ = window(node, args.seconds)
        process_cpu = process_cpu_seconds(node.process.pid) - process_before
        after = metrics(node.metrics_address)
        sent = json.loads(sender.communicate(timeout=30)[0])
        identity = node.stop()
        # Valid statsd only: every drop in the window is the kernel's (kernel_rcvbuf).
        rcvbuf = (after.get("firehose_rx_dropped_packets_total", 0)
                  - before.get("firehose_rx_dropped_packets_total", 0))
        # Waits for datagrams to gather (kernel.coalesce_us): with few, the worker read
        # about one datagram per recvmmsg call and paid the call's cost for each.
        waits = (after.get("firehose_kernel_coalesce_waits_total", 0)
                 - before.get("firehose_kernel_coalesce_waits_total", 0))
        rates.append(packets / cpu)
        process_rates.append(packets / process_cpu)
        received = identity["received"] if identity else 0
        results.append({"sent": sent["sent"], "received": received,
                        "received_fraction": received / max(sent["sent"], 1),
                        "dropped_in_window": rcvbuf, "coalesce_waits_in_window": waits,
                        "process_cpu_seconds": process_cpu, "identity": identity})
        log(f"   kernel run {run + 1}: {packets / cpu:,.0f} packets per receiver CPU-second "
            f"({packets / process_cpu:,.0f} per CPU-second of the whole process), "
            f"{rcvbuf:,.0f} dropped (kernel_rcvbuf) in the window, "
            f"{received:,}/{sent['sent']:,} received, {waits:,.0f} waits for datagrams to "
            f"gather ({packets / max(waits, 1):,.0f} packets per wait)")
    return summarize(rates), summarize(process_rates), results


def cpu_busy_seconds():
    """Busy time of all CPUs since boot (/proc/stat: user, nice, system, irq, softirq), in
    seconds. irq and softirq count too: a process's system time includes the softirq work
    done in its context (loopback receive, here), which /proc/stat books as softirq, so
    without them the bench's own processes would seem to use more than the machine did."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[1:8])
    return (user + nice + system + irq + softirq) / CLK_TCK


def steal_seconds():
    """Time the hypervisor ran something else while this VM's vCPUs wanted to run, since
    boot, all CPUs (/proc/stat's steal column), in seconds."""
    with open("/proc/stat") as f:
        return int(f.readline().split()[8]) / CLK_TCK


def latency_cpus(args):
    """(node CPUs, load CPUs) for the latency mode: with --latency-pin and at least two
    CPUs, the node gets the last CPU to itself and the sender and the probe share the
    rest, as on a real node, whose cores are isolated (preflight checks) and whose
    senders and subscribers are other machines; otherwise nobody is confined."""
    cpus = sorted(os.sched_getaffinity(0))
    if not args.latency_pin or len(cpus) < 2:
        return (), ()
    return tuple(cpus[-1:]), tuple(cpus[:-1])


def host_wakeup(jitter):
    """How late the machine wakes a sleeping thread on each CPU, measured for one second
    while nothing of ours runs (tools/bench/wakeup_jitter): {cpu: {p50_us, p99_us, ...}}."""
    cpus = ",".join(str(cpu) for cpu in sorted(os.sched_getaffinity(0)))
    out = subprocess.run([jitter, f"--cpus={cpus}", "--seconds=1"], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    return json.loads(out)["cpus"]


def worst_wakeup_p99(measured):
    """The largest wake-up P99 of any CPU before or after a run, in microseconds."""
    return max(cpu["p99_us"] for side in ("before", "after")
               for cpu in measured["host_wakeup"][side].values())


def latency_run(binary, replay, probe, jitter, pcap, args, workdir, label, pps):
    """One paced run: ingestd (kernel backend), latency_probe subscribed, udp_replay
    offering `pps` (0 = as fast as it can). Also measures how much CPU processes other
    than these three took meanwhile, and how late the host wakes an idle CPU's thread
    just before and just after the run: on a shared 2-vCPU VM those, not the node, are
    what set the tail."""
    node_cpus, load_cpus = latency_cpus(args)
    wakeup_before = host_wakeup(jitter)
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
""", workdir, f"latency-{label}", cpus=node_cpus)
    listener = subprocess.Popen([probe, f"--address={node.grpc_address}",
                                 f"--seconds={args.seconds + 2}", "--skip_seconds=1"],
                                stdout=subprocess.PIPE, text=True, preexec_fn=on_cpus(load_cpus))
    time.sleep(0.5)
    node_cpu_before, steal_before = process_cpu_seconds(node.process.pid), steal_seconds()
    probe_cpu_before = process_cpu_seconds(listener.pid)
    sender = subprocess.Popen([replay, f"--pcap={pcap}", f"--port={port}",
                               f"--seconds={args.seconds}", f"--pps={pps}"],
                              stdout=subprocess.PIPE, text=True, preexec_fn=on_cpus(load_cpus))
    sent = json.loads(sender.communicate(timeout=args.seconds + 30)[0])
    # While the sender ran: the node's share of a CPU (with the node confined to one, how
    # close it came to saturating it) and the vCPU time the host took back.
    node_cpu_share = (process_cpu_seconds(node.process.pid) - node_cpu_before) / sent["seconds"]
    steal_share = (steal_seconds() - steal_before) / sent["seconds"]
    probe_cpu_share = (process_cpu_seconds(listener.pid) - probe_cpu_before) / sent["seconds"]
    probe_out = listener.communicate(timeout=args.seconds + 30)[0]
    identity = node.stop()
    wall = time.time() - wall_before
    ours_after = os.times()
    ours = (ours_after.children_user + ours_after.children_system
            - ours_before.children_user - ours_before.children_system)
    measured = json.loads(probe_out.strip().splitlines()[-1])
    measured["offered_pps"] = sent["sent"] / sent["seconds"]
    measured["identity"] = identity
    measured["host_wakeup"] = {"before": wakeup_before, "after": host_wakeup(jitter)}
    measured["host_wakeup_p99_us"] = worst_wakeup_p99(measured)
    measured["dropped"] = identity["dropped"] if identity else None
    measured["node_cpu_share"] = round(node_cpu_share, 3)
    measured["probe_cpu_share"] = round(probe_cpu_share, 3)
    measured["steal_cpu_share"] = round(steal_share, 3)
    # CPUs' worth of other processes' time (approximate: per-tick accounting).
    measured["other_cpu_load"] = round(max(0.0, cpu_busy_seconds() - busy_before - ours) / wall,
                                       2)
    log(f"   latency {label} ({measured['offered_pps']:,.0f} pps offered): "
        f"P50 {measured['p50_us']:.0f} us, P99 {measured['p99_us']:.0f} us, "
        f"P999 {measured['p999_us']:.0f} us over {measured['records']:,} records; "
        f"node dropped {measured['dropped']} packets (named reasons); "
        f"other processes used {measured['other_cpu_load']:.2f} CPUs meanwhile; "
        f"the node used {node_cpu_share:.0%} of a CPU, the probe {probe_cpu_share:.0%}, "
        f"the host took back "
        f"{steal_share:.1%} of the vCPUs' time; "
        f"host wake-up P99 up to {measured['host_wakeup_p99_us']:.0f} us around the run")
    if measured.get("uncounted"):
        log(f"   latency {label}: {measured['uncounted']:,} records arrived after the probe's "
            "buffer was full and are not in the percentiles (shorten --seconds)")
    return measured


def bench_latency(binary, replay, probe, jitter, pcap, args, workdir):
    """--runs runs at 100 kpps (median and range of each percentile), one run at each
    --latency-curve rate (where the knee lies between 100 kpps and the sender's maximum),
    then one run as fast as udp_replay can send."""
    runs = [latency_run(binary, replay, probe, jitter, pcap, args, workdir, f"100kpps-{i + 1}",
                        100000) for i in range(args.runs)]
    paced = {key: statistics.median(r[key] for r in runs)
             for key in ("p50_us", "p99_us", "p999_us", "offered_pps", "records")}
    paced["host_wakeup_p99_us"] = statistics.median(r["host_wakeup_p99_us"] for r in runs)
    for key in ("p50_us", "p99_us", "p999_us"):
        paced[f"{key}_range"] = [min(r[key] for r in runs), max(r[key] for r in runs)]
    paced["runs"] = runs
    paced["dropped"] = None if None in (r["dropped"] for r in runs) else sum(
        r["dropped"] for r in runs)
    results = {"100kpps": paced}
    for rate in args.latency_curve:
        label = f"{rate // 1000}kpps"
        results[label] = latency_run(binary, replay, probe, jitter, pcap, args, workdir, label,
                                     rate)
    results["max"] = latency_run(binary, replay, probe, jitter, pcap, args, workdir, "max", 0)
    results["batch_max_delay_us"] = args.latency_max_delay_us
    node_cpus, load_cpus = latency_cpus(args)
    results["cpus"] = {"node": list(node_cpus), "sender_and_probe": list(load_cpus)}
    return results
