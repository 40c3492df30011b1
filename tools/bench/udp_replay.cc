// udp_replay: sends the UDP payloads of a capture to HOST:PORT over a kernel socket, as
// fast as it can (or at --pps), looping over the capture, for a bounded time and count.
// The benchmark uses it to feed the kernel backend and the peers the same packets the
// DPDK path reads from the capture. Prints one JSON line: {"sent":N,"seconds":S}.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "node/common/packet_meta.h"
#include "node/net/udp_parser.h"

ABSL_FLAG(std::string, pcap, "", "Capture whose UDP payloads are sent (required).");
ABSL_FLAG(std::string, host, "127.0.0.1", "Destination IPv4 address (loopback only).");
ABSL_FLAG(int, port, 8125, "Destination UDP port.");
ABSL_FLAG(double, seconds, 10, "Stop after this long.");
ABSL_FLAG(int64_t, max_packets, 1'000'000'000, "Stop after this many datagrams.");
ABSL_FLAG(int64_t, pps, 0, "Datagrams per second to offer; 0 = as fast as possible.");

namespace {

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  char error[PCAP_ERRBUF_SIZE];
  pcap_t* capture = pcap_open_offline(absl::GetFlag(FLAGS_pcap).c_str(), error);
  if (capture == nullptr) {
    std::fprintf(stderr, "udp_replay: %s\n", error);
    return 1;
  }
  std::vector<std::string> payloads;
  pcap_pkthdr* header;
  const u_char* data;
  while (pcap_next_ex(capture, &header, &data) == 1) {
    firehose::net::UdpDatagram datagram;
    firehose::PacketMeta meta;
    if (!firehose::net::ParseUdpFrame(data, header->caplen, &datagram, &meta)) {
      payloads.emplace_back(reinterpret_cast<const char*>(datagram.payload), datagram.payload_len);
    }
  }
  pcap_close(capture);
  if (payloads.empty()) {
    std::fprintf(stderr, "udp_replay: no UDP datagrams in the capture\n");
    return 1;
  }

  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(absl::GetFlag(FLAGS_port)));
  if (inet_pton(AF_INET, absl::GetFlag(FLAGS_host).c_str(), &to.sin_addr) != 1) {
    std::fprintf(stderr, "udp_replay: bad --host\n");
    return 1;
  }
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  const int sndbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));

  constexpr int kBatch = 32;
  mmsghdr messages[kBatch] = {};
  iovec iovs[kBatch];
  const double deadline = Now() + absl::GetFlag(FLAGS_seconds);
  const int64_t max_packets = absl::GetFlag(FLAGS_max_packets);
  const int64_t pps = absl::GetFlag(FLAGS_pps);
  const double start = Now();
  int64_t sent = 0;
  size_t next = 0;
  while (sent < max_packets) {
    const double now = Now();
    if (now >= deadline) break;
    int batch = static_cast<int>(std::min<int64_t>(kBatch, max_packets - sent));
    if (pps > 0) {
      // Paced: send what the schedule says is due, in small bursts, and sleep between
      // them so the sender does not take a whole core from the node it measures.
      const int64_t due = static_cast<int64_t>((now - start) * static_cast<double>(pps)) - sent;
      if (due <= 0) {
        const timespec nap = {0, 20'000};
        nanosleep(&nap, nullptr);
        continue;
      }
      batch = static_cast<int>(std::min<int64_t>(batch, due));
    }
    for (int i = 0; i < batch; ++i) {
      const std::string& payload = payloads[next];
      next = (next + 1) % payloads.size();
      iovs[i] = {const_cast<char*>(payload.data()), payload.size()};
      messages[i].msg_hdr.msg_iov = &iovs[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_name = &to;
      messages[i].msg_hdr.msg_namelen = sizeof(to);
    }
    const int n = sendmmsg(fd, messages, batch, 0);
    if (n > 0) sent += n;
  }
  std::printf("{\"sent\":%ld,\"seconds\":%.3f}\n", static_cast<long>(sent), Now() - start);
  close(fd);
  return 0;
}
