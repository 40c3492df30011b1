#!/usr/bin/python3
"""Helpers for the interop tests, run with Debian's /usr/bin/python3.

  interop_util.py makepcap OUT.pcap OFFSET_SECONDS
      Writes a capture of varied traffic (IPv4 TCP with flags, UDP, ICMP, IPv6 TCP/UDP)
      starting OFFSET_SECONDS from now (negative: in the past), for softflowd to turn
      into flows. Prints the first and last packet time (Unix seconds).
  interop_util.py capture PORT_FILE OUT.dgrams IDLE_SECONDS MAX_SECONDS
      Binds UDP 127.0.0.1:0, writes the port to PORT_FILE, and appends every datagram
      it receives to OUT.dgrams (4-byte big-endian length, then the bytes) until no
      datagram came for IDLE_SECONDS after the first, or MAX_SECONDS passed.
  interop_util.py replay IN.dgrams PORT
      Sends each datagram of IN.dgrams to 127.0.0.1:PORT, 2 ms apart.
  interop_util.py freeport
      Prints a free UDP port on 127.0.0.1.
  interop_util.py compare OURS.csv THEIRS.csv [FIRST LAST]
      Compares flow_dump's rows with nfacctd's csv field by field: every field equal,
      and start/end times within 1 s (nfacctd keeps whole seconds for sysUpTime-relative
      times, firehose milliseconds). With FIRST LAST, times are instead checked to lie
      in the capture's time window [FIRST, LAST] (IPFIX: nfacctd does not convert
      flowStart/EndSysUpTime with systemInitTimeMilliseconds, firehose does). Exits 1
      on any difference.

Only 127.0.0.1 is ever used; every loop is bounded in count and time.
"""
import socket
import struct
import sys
import time


def pcap_header():
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)


def eth(ethertype):
    return b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + struct.pack(">H", ethertype)


def ipv4(src, dst, proto, payload, tos=0):
    total = 20 + len(payload)
    return struct.pack(">BBHHHBBH4s4s", 0x45, tos, total, 1, 0, 64, proto, 0,
                       bytes(src), bytes(dst)) + payload


def ipv6(src, dst, proto, payload, tclass=0):
    first = (6 << 28) | (tclass << 20)
    return struct.pack(">IHBB16s16s", first, len(payload), proto, 64, bytes(src), bytes(dst)) + payload


def tcp(sport, dport, flags, data=b""):
    return struct.pack(">HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack(">HHHH", sport, dport, 8 + len(data), 0) + data


def icmp_echo(data):
    return struct.pack(">BBHHH", 8, 0, 0, 1, 1) + data


def makepcap(path, offset):
    frames = []
    # Recent times: softflowd stamps v9/IPFIX flows relative to its own uptime, and a
    # capture older than 49.7 days would wrap the 32-bit millisecond counter.
    t = float(int(time.time()) + offset)
    v6a = [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1]
    v6b = [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [2]
    for flow in range(12):
        src = [10, 0, flow, 1]
        dst = [192, 0, 2, 10 + flow]
        sport = 40000 + flow
        for i in range(3 + flow):
            flags = 0x02 if i == 0 else (0x18 if i < 2 + flow else 0x11)
            frames.append((t, eth(0x0800) + ipv4(src, dst, 6, tcp(sport, 80 + flow, flags, b"x" * (10 * i)), tos=flow * 4)))
            t += 0.01
        frames.append((t, eth(0x0800) + ipv4(dst, src, 17, udp(53, sport, b"y" * (20 + flow)))))
        t += 0.01
    for i in range(4):
        frames.append((t, eth(0x0800) + ipv4([10, 9, 9, 9], [10, 8, 8, 8], 1, icmp_echo(b"p" * 32))))
        t += 0.5
    for i in range(5):
        frames.append((t, eth(0x86DD) + ipv6(v6a, v6b, 6, tcp(50000, 443, 0x18, b"z" * (100 + i)), tclass=0x20)))
        frames.append((t, eth(0x86DD) + ipv6(v6b, v6a, 17, udp(5353, 5353, b"m" * 40))))
        t += 0.02
    print("%.3f %.3f" % (frames[0][0], frames[-1][0]))
    with open(path, "wb") as out:
        out.write(pcap_header())
        for ts, frame in frames:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            out.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


def capture(port_file, out_path, idle, limit):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))
    with open(port_file + ".tmp", "w") as f:
        f.write(str(sock.getsockname()[1]))
    import os
    os.rename(port_file + ".tmp", port_file)
    start = time.monotonic()
    last = None
    count = 0
    with open(out_path, "wb") as out:
        while True:
            now = time.monotonic()
            if now - start > limit:
                break
            if last is not None and now - last > idle:
                break
            sock.settimeout(0.2)
            try:
                data = sock.recv(65535)
            except socket.timeout:
                continue
            out.write(struct.pack(">I", len(data)) + data)
            out.flush()
            last = time.monotonic()
            count += 1
            if count >= 100000:
                break
    print(count)


def read_dgrams(path):
    with open(path, "rb") as f:
        blob = f.read()
    pos = 0
    while pos + 4 <= len(blob):
        (n,) = struct.unpack(">I", blob[pos:pos + 4])
        yield blob[pos + 4:pos + 4 + n]
        pos += 4 + n


def replay(path, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    n = 0
    for d in read_dgrams(path):
        sock.sendto(d, ("127.0.0.1", int(port)))
        n += 1
        time.sleep(0.002)
    print(n)


def load_rows(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("SRC_AS"):
                continue
            cols = line.split(",")
            if len(cols) != 16:
                sys.exit("%s: bad row %r" % (path, line))
            key = tuple(cols[:12] + cols[14:])
            rows.append((key, float(cols[12]), float(cols[13])))
    return sorted(rows)


def compare(ours_path, theirs_path, window=None):
    ours = load_rows(ours_path)
    theirs = load_rows(theirs_path)
    problems = []
    if len(ours) != len(theirs):
        problems.append("firehose decoded %d flows, nfacctd %d" % (len(ours), len(theirs)))
    for a, b in zip(ours, theirs):
        if a[0] != b[0]:
            problems.append("fields differ:\n  firehose %s\n  nfacctd  %s" % (a[0], b[0]))
        elif window is not None:
            lo, hi = window
            if not (lo - 1 <= a[1] <= a[2] <= hi + 1):
                problems.append("times of %s outside the capture: %.3f-%.3f not in %.3f-%.3f"
                                % (a[0], a[1], a[2], lo, hi))
        elif abs(a[1] - b[1]) >= 1.0 or abs(a[2] - b[2]) >= 1.0:
            problems.append("times differ for %s: firehose %.3f-%.3f nfacctd %.3f-%.3f"
                            % (a[0], a[1], a[2], b[1], b[2]))
    for p in problems[:10]:
        print(p)
    print("compare: %d flows, %d problems" % (len(ours), len(problems)))
    sys.exit(1 if problems or not ours else 0)


def freeport():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1])


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "makepcap":
        makepcap(sys.argv[2], int(sys.argv[3]))
    elif cmd == "capture":
        capture(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]))
    elif cmd == "replay":
        replay(sys.argv[2], sys.argv[3])
    elif cmd == "compare":
        window = (float(sys.argv[4]), float(sys.argv[5])) if len(sys.argv) > 5 else None
        compare(sys.argv[2], sys.argv[3], window)
    elif cmd == "freeport":
        freeport()
    else:
        sys.exit("unknown command " + cmd)
