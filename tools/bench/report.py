"""The table `make bench` prints at the end, from the results it writes to
build/bench/results.json."""

import os

from benchlib import ROOT


def print_table(results, out_dir):
    print(f"\nfirehose bench — {results['date']} — {results['machine']['cpu']}, "
          f"{results['machine']['cores']} cores — {results['memory_mode']}")
    print(f"{'path':<34}{'median':>14}{'min':>14}{'max':>14}")
    for key, label in (("dpdk", "ingestd DPDK (pkts/worker CPU-s)"),
                       ("testpmd", "testpmd rxonly (pkts/lcore CPU-s)"),
                       ("kernel", "ingestd kernel (pkts/recv CPU-s)"),
                       ("kernel_process", "  … per whole-process CPU-s")):
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
        if isinstance(r, dict) and "offered_pps" in r:
            spread = "".join(f"  {k[:-3].upper()} {r[k]:,.0f} us" + (
                f" ({r[k + '_range'][0]:,.0f}-{r[k + '_range'][1]:,.0f})"
                if k + "_range" in r else "") for k in ("p50_us", "p99_us", "p999_us"))
            dropped = f"  dropped {r['dropped']:,}" if r.get("dropped") is not None else ""
            wakeup = (f"  host wake-up P99 {r['host_wakeup_p99_us']:,.0f} us"
                      if "host_wakeup_p99_us" in r else "")
            print(f"latency {label:<8} ({r['offered_pps']:>10,.0f} pps):{spread}{dropped}"
                  f"{wakeup}")
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
    if "relay" in results:
        for key, label in (("follow_cpu_us_per_batch", "relay follower (us CPU/batch)"),
                           ("process_cpu_us_per_batch", "relay process (us CPU/batch)"),
                           ("records_per_s", "relay subscriber (records/s)")):
            r = results["relay"][key]
            print(f"{label:<34}{r['median']:>14,.0f}{r['min']:>14,.0f}{r['max']:>14,.0f}")
    for name, r in results.get("peers", {}).items():
        if r.get("pps_per_cpu_s"):
            p = r["pps_per_cpu_s"]
            print(f"{name + ' (pkts/process CPU-s)':<34}{p['median']:>14,.0f}{p['min']:>14,.0f}"
                  f"{p['max']:>14,.0f}  received {r['fraction_received']['median']:.1%}")
    if "memory" in results:
        m = results["memory"]
        for label in ("ring_1MiB", "ring_default_64MiB",
                      "ring_default_64MiB_filtered_subscribers"):
            if label not in m:
                continue
            r = m[label]
            print(f"RSS growth over {m['seconds']:.0f} s ({label}): {r['growth_kib']:,} KiB "
                  f"(range {r['rss_min_kib']:,}-{r['rss_max_kib']:,} KiB)")
    print(f"results: {os.path.relpath(os.path.join(out_dir, 'results.json'), ROOT)}")
