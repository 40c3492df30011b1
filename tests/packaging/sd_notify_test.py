#!/usr/bin/python3
"""ingestd and controld speak systemd's notify protocol (Type=notify, WatchdogSec).

Each daemon runs with NOTIFY_SOCKET pointing at a unix datagram socket this test owns,
as systemd would start it, and must:
  - send READY=1 only once it serves: controld's control socket exists and ingestd's
    gRPC port accepts connections at the moment READY=1 arrives;
  - with WATCHDOG_USEC set, send WATCHDOG=1 about every half interval; without it, never;
  - send STOPPING=1 on SIGTERM and exit 0.
ingestd runs on the kernel socket backend on loopback (no DPDK), controld standalone.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

INGESTD = "node/ingestd"
CONTROLD = "controlplane/controld/controld"
WATCHDOG_USEC = 400_000  # pings expected every 0.2 s


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Notify:
    """A unix datagram socket standing in for systemd's notification socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)

    def recv(self, timeout):
        """Next message as a dict of its KEY=VALUE lines, or None on timeout."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096).decode()
        except socket.timeout:
            return None
        return dict(line.split("=", 1) for line in data.splitlines() if "=" in line)

    def close(self):
        self.sock.close()
        os.unlink(self.path)


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def start(cmd, notify, log, watchdog):
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    env.pop("WATCHDOG_USEC", None)
    env.pop("WATCHDOG_PID", None)
    if watchdog:
        env["WATCHDOG_USEC"] = str(WATCHDOG_USEC)
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)


def wait_ready(proc, notify, name, is_serving):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        msg = notify.recv(0.5)
        if proc.poll() is not None:
            fail(f"{name} exited with {proc.returncode} before READY=1")
        if msg is None:
            continue
        if "WATCHDOG" in msg:
            fail(f"{name} sent WATCHDOG=1 before READY=1: {msg}")
        if msg.get("READY") == "1":
            # Checked at once: READY=1 must mean the service is already serving.
            if not is_serving():
                fail(f"{name} sent READY=1 before it serves")
            return msg
    fail(f"{name}: no READY=1 within 30 s")


def count_watchdogs(notify, seconds):
    count = 0
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        msg = notify.recv(left)
        if msg and msg.get("WATCHDOG") == "1":
            count += 1
    return count


def stop(proc, notify, name):
    proc.send_signal(signal.SIGTERM)
    stopping = False
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not stopping:
        msg = notify.recv(0.5)
        stopping = bool(msg and msg.get("STOPPING") == "1")
    try:
        code = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail(f"{name} did not exit after SIGTERM")
    if not stopping:
        fail(f"{name} sent no STOPPING=1 on SIGTERM")
    if code != 0:
        fail(f"{name} exited {code} after SIGTERM")


def run(name, cmd, is_serving, tmp, status_part):
    for watchdog in (True, False):
        notify = Notify(os.path.join(tmp, f"notify-{name}-{int(watchdog)}"))
        # Daemon logs outlive the temporary directory under Bazel (test.outputs).
        logdir = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR", tmp)
        with open(os.path.join(logdir, f"{name}.log"), "a") as log:
            proc = start(cmd, notify, log, watchdog)
            try:
                ready = wait_ready(proc, notify, name, is_serving)
                if status_part not in ready.get("STATUS", ""):
                    fail(f"{name} READY STATUS {ready.get('STATUS')!r} lacks {status_part!r}")
                pings = count_watchdogs(notify, 2.0)
                # 2 s at a 0.2 s period is ~10 pings; a loaded machine may lose a few.
                if watchdog and pings < 5:
                    fail(f"{name}: {pings} WATCHDOG=1 in 2 s with WATCHDOG_USEC={WATCHDOG_USEC}")
                if not watchdog and pings != 0:
                    fail(f"{name}: {pings} WATCHDOG=1 without WATCHDOG_USEC")
                print(f"{name}: READY=1 ({ready.get('STATUS')}), "
                      f"{pings} WATCHDOG=1 in 2 s with watchdog {'on' if watchdog else 'off'}")
                stop(proc, notify, name)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                notify.close()


def main():
    # Unix socket paths must fit in 108 bytes; Bazel's TEST_TMPDIR is too deep for that.
    with tempfile.TemporaryDirectory(prefix="fh-notify-", dir="/tmp") as tmp:
        run_all(tmp)
    print("PASS")


def run_all(tmp):
    udp = free_port(socket.SOCK_DGRAM)
    grpc = free_port(socket.SOCK_STREAM)
    config = os.path.join(tmp, "node.yaml")
    with open(config, "w") as f:
        f.write(f"""node_id: notify-test
backend: kernel
kernel:
  bind_address: 127.0.0.1
decoders:
  {udp}: statsd
grpc:
  listen: 127.0.0.1:{grpc}
metrics:
  listen: ""
""")

    def grpc_serving():
        try:
            socket.create_connection(("127.0.0.1", grpc), timeout=1).close()
            return True
        except OSError:
            return False

    run("ingestd", [INGESTD, f"--config={config}"], grpc_serving, tmp, f"127.0.0.1:{grpc}")

    control = os.path.join(tmp, "controld.sock")
    sysroot = os.path.join(tmp, "root")  # preflight reads an empty tree: logs, never blocks
    os.makedirs(sysroot, exist_ok=True)
    run("controld",
        [CONTROLD, f"--config={config}", f"--socket={control}", f"--preflight_root={sysroot}"],
        lambda: os.path.exists(control), tmp, control)


if __name__ == "__main__":
    main()
