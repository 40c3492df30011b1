"""Shared pieces of `make bench`'s modes (tools/bench/bench.py): the machine's
hugepages, an ingestd process and its /metrics, windows of its counters, the DPDK
configuration every net_pcap mode uses, and the median-and-range summary."""

import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HUGEPAGES = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
WANT_HUGEPAGES = 512  # 1 GiB: the capture, the mempool and EAL's own needs
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message):
    print(message, file=sys.stderr, flush=True)


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


def process_cpu_seconds(pid):
    """User + system CPU of every thread of `pid` so far, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def on_cpus(cpus):
    """A Popen preexec_fn that confines the child (and every thread it starts) to `cpus`;
    None when `cpus` is empty (no confinement)."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


class Ingestd:
    def __init__(self, binary, config_text, workdir, name, cpus=()):
        self.config = os.path.join(workdir, f"{name}.yaml")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen([binary, f"--config={self.config}"],
                                        stdout=subprocess.PIPE, stderr=self.log_file, text=True,
                                        preexec_fn=on_cpus(cpus))
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


def summarize(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()
