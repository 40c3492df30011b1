#!/usr/bin/python3
"""Sends statsd metrics with a real client library (Debian's python3-statsd) to
127.0.0.1:PORT and prints, one per line, the record each call must decode to, in
statsd_dump's format (name, value %.17g, type, rate %.9g, gauge delta, set member, tags).

Usage: statsd_client.py PORT > expected.tsv

The library drops sampled metrics at random; random.random is pinned to 0 so every
sampled call is sent (with its @rate), keeping the test deterministic. Both single
packets and the library's pipeline (several lines in one datagram) are used.
"""
import random
import struct
import sys

import statsd

random.random = lambda: 0.0


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def main():
    port = int(sys.argv[1])
    client = statsd.StatsClient("127.0.0.1", port, prefix="app")
    expected = []

    def expect(name, value, kind, rate=1.0, delta=0, member=""):
        expected.append("%s\t%.17g\t%s\t%.9g\t%d\t%s\t" % (
            "app." + name, value, kind, f32(rate), delta, member))

    client.incr("requests")
    expect("requests", 1, "c")
    client.incr("bytes", 1500, rate=0.25)
    expect("bytes", 1500, "c", 0.25)
    client.decr("inflight", 2)
    expect("inflight", -2, "c")
    client.gauge("temperature", 21.75)
    expect("temperature", 21.75, "g")
    client.gauge("queue", 5, delta=True)
    expect("queue", 5, "g", delta=1)
    client.gauge("queue", -3, delta=True)
    expect("queue", -3, "g", delta=1)
    client.timing("latency", 12.345)
    expect("latency", 12.345, "ms")
    client.timing("latency", 7, rate=0.5)
    expect("latency", 7, "ms", 0.5)
    client.set("users", "alice")
    expect("users", 0, "s", member="alice")
    with client.timer("block"):
        pass
    # The timer's value is measured, so only its shape is checked (see below).
    with client.pipeline() as pipe:
        for i in range(50):
            pipe.incr("pipelined.%d" % i, i + 1)
            expect("pipelined.%d" % i, i + 1, "c")
        pipe.gauge("pipelined.gauge", 1e-3)
        expect("pipelined.gauge", 1e-3, "g")
    for line in expected:
        print(line)
    print("#timer\tapp.block")


if __name__ == "__main__":
    main()
