#!/usr/bin/python3
"""Checks the frames ingestd sent (a tx_pcap capture) with scapy, a parser that shares
no code with ingestd: every IPv4 header, ICMP and ICMPv6 checksum must be what scapy
computes itself. Prints one line per frame describing it, for the C++ test to compare:

  arp-reply psrc=192.0.2.10 hwsrc=02:... pdst=192.0.2.1 hwdst=02:...
  icmp-echo-reply src=192.0.2.10 dst=192.0.2.1 id=... seq=... load=...
  icmpv6-echo-reply src=2001:db8::10 dst=2001:db8::1 hlim=64 load=...
  ndp-na src=... dst=... hlim=255 tgt=... R=0 S=1 O=1 lladdr=...
  garp psrc=192.0.2.50 hwsrc=02:... ethdst=ff:ff:ff:ff:ff:ff

(An unsolicited Neighbor Advertisement is an ndp-na line with S=0 to ff02::1.)

Exit status 1 (with "BAD ..." lines) if any checksum is wrong or a frame is unexpected.
"""
import sys

from scapy.all import ARP, ICMP, IP, Ether, ICMPv6EchoReply, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6, rdpcap  # noqa: E501


def recomputed(frame, layer, field="cksum"):
    """The checksum scapy computes for `layer` of `frame` from scratch."""
    copy = Ether(bytes(frame))
    delattr(copy[layer], field)
    return getattr(Ether(bytes(copy))[layer], field)


def describe(frame):
    if ARP in frame:
        a = frame[ARP]
        if a.op == 1 and a.psrc == a.pdst:
            return "garp psrc=%s hwsrc=%s ethdst=%s" % (a.psrc, a.hwsrc, frame[Ether].dst), None
        if a.op != 2:
            return None, "ARP op %d is not a reply" % a.op
        return "arp-reply psrc=%s hwsrc=%s pdst=%s hwdst=%s" % (a.psrc, a.hwsrc, a.pdst, a.hwdst), None
    if IP in frame and ICMP in frame:
        ip = frame[IP]
        header = IP(bytes(ip)[: ip.ihl * 4])
        want = header.chksum
        del header.chksum
        if IP(bytes(header)).chksum != want:
            return None, "IPv4 header checksum %#x is wrong" % want
        icmp = frame[ICMP]
        if icmp.chksum != recomputed(frame, ICMP, "chksum"):
            return None, "ICMP checksum %#x is wrong" % icmp.chksum
        return "icmp-echo-reply src=%s dst=%s type=%d id=%d seq=%d load=%s" % (
            ip.src, ip.dst, icmp.type, icmp.id, icmp.seq, bytes(icmp.payload).decode()), None
    if IPv6 in frame and ICMPv6EchoReply in frame:
        reply = frame[ICMPv6EchoReply]
        if reply.cksum != recomputed(frame, ICMPv6EchoReply):
            return None, "ICMPv6 echo reply checksum %#x is wrong" % reply.cksum
        return "icmpv6-echo-reply src=%s dst=%s hlim=%d id=%d seq=%d load=%s" % (
            frame[IPv6].src, frame[IPv6].dst, frame[IPv6].hlim, reply.id, reply.seq,
            bytes(reply.data).decode()), None
    if IPv6 in frame and ICMPv6ND_NA in frame:
        na = frame[ICMPv6ND_NA]
        if na.cksum != recomputed(frame, ICMPv6ND_NA):
            return None, "Neighbor Advertisement checksum %#x is wrong" % na.cksum
        lladdr = frame[ICMPv6NDOptDstLLAddr].lladdr if ICMPv6NDOptDstLLAddr in frame else "none"
        return "ndp-na ethdst=%s src=%s dst=%s hlim=%d tgt=%s R=%d S=%d O=%d lladdr=%s" % (
            frame[Ether].dst, frame[IPv6].src, frame[IPv6].dst, frame[IPv6].hlim, na.tgt,
            na.R, na.S, na.O, lladdr), None
    return None, "unexpected frame: " + frame.summary()


def main():
    bad = False
    for frame in rdpcap(sys.argv[1]):
        line, error = describe(frame)
        if error:
            print("BAD " + error)
            bad = True
        else:
            print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
