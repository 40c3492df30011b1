// Kernel socket receive loop; see the header.
#include "node/dataplane/socket_worker.h"

#include <arpa/inet.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace firehose::dataplane {
namespace {

// Largest UDP payload over IPv4/IPv6 without jumbograms.
constexpr size_t kMaxDatagram = 65536;
constexpr size_t kControlBytes = CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(uint32_t));
// The kernel may delay a sleeping thread's timer by its "timer slack" (50 µs by default)
// to batch wake-ups. The flush deadline is a latency promise, so ask for 1 µs.
constexpr unsigned long kTimerSlackNanos = 1'000;

int64_t RealtimeNanos() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// A sleep of `nanos` (>= 0) as the timespec ppoll and clock_nanosleep take.
timespec ToTimespec(int64_t nanos) {
  return {static_cast<time_t>(nanos / 1'000'000'000), static_cast<long>(nanos % 1'000'000'000)};
}

absl::Status SocketError(const std::string& what, const std::string& address, uint16_t port) {
  return absl::UnavailableError(absl::StrCat("kernel backend: ", what, " on ", address, ":", port,
                                             ": ", std::strerror(errno)));
}

}  // namespace

SocketWorker::SocketWorker(uint16_t queue_id, batch::Batcher* batcher,
                           const SocketWorkerOptions& options)
    : queue_id_(queue_id),
      batcher_(batcher),
      recv_batch_(std::clamp(options.recv_batch, 1, 256)),
      idle_wait_nanos_(std::max<int64_t>(1, options.idle_wait_nanos)),
      coalesce_nanos_(std::max<int64_t>(0, options.coalesce_nanos)) {
  const auto batch = static_cast<size_t>(recv_batch_);
  buffers_.resize(batch * kMaxDatagram);
  controls_.resize(batch * kControlBytes);
  addresses_.resize(batch * sizeof(sockaddr_in6));
  iovs_.resize(batch);
  messages_.resize(batch);
  for (size_t i = 0; i < batch; ++i) {
    iovs_[i] = {buffers_.data() + i * kMaxDatagram, kMaxDatagram};
    msghdr& header = messages_[i].msg_hdr;
    header = {};
    header.msg_iov = &iovs_[i];
    header.msg_iovlen = 1;
    header.msg_name = addresses_.data() + i * sizeof(sockaddr_in6);
    header.msg_control = controls_.data() + i * kControlBytes;
    ResetLengths(header);
  }
}

void SocketWorker::ResetLengths(msghdr& header) {
  header.msg_namelen = sizeof(sockaddr_in6);
  header.msg_controllen = kControlBytes;
}

SocketWorker::~SocketWorker() {
  for (Endpoint& e : endpoints_) {
    if (e.fd >= 0) close(e.fd);
  }
}

absl::StatusOr<std::unique_ptr<SocketWorker>> SocketWorker::Open(
    uint16_t queue_id, const std::vector<DecoderRoute>& routes, batch::Batcher* batcher,
    const SocketWorkerOptions& options) {
  std::unique_ptr<SocketWorker> worker(new SocketWorker(queue_id, batcher, options));
  AttachTemplateDecoders(routes, &worker->templates_);
  sockaddr_storage address = {};
  socklen_t address_len = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (inet_pton(AF_INET, options.bind_address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    address_len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, options.bind_address.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    address_len = sizeof(sockaddr_in6);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "kernel.bind_address: not an IPv4 or IPv6 address: \"", options.bind_address, "\""));
  }
  for (const DecoderRoute& route : routes) {
    Endpoint endpoint;
    endpoint.port = route.udp_port;
    endpoint.decoder = route.decoder;
    endpoint.fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (endpoint.fd < 0) return SocketError("socket()", options.bind_address, route.udp_port);
    worker->endpoints_.push_back(endpoint);
    const int one = 1;
    if (setsockopt(endpoint.fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        setsockopt(endpoint.fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) != 0 ||
        setsockopt(endpoint.fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) != 0) {
      return SocketError("setsockopt", options.bind_address, route.udp_port);
    }
    // SO_RCVBUF is capped by net.core.rmem_max; SO_RCVBUFFORCE (root) is not, so try it
    // first and fall back. The kernel doubles the value for bookkeeping.
    if (setsockopt(endpoint.fd, SOL_SOCKET, SO_RCVBUFFORCE, &options.rcvbuf_bytes, sizeof(int)) !=
        0) {
      setsockopt(endpoint.fd, SOL_SOCKET, SO_RCVBUF, &options.rcvbuf_bytes, sizeof(int));
    }
    if (family == AF_INET) {
      v4->sin_port = htons(route.udp_port);
    } else {
      v6->sin6_port = htons(route.udp_port);
    }
    if (bind(endpoint.fd, reinterpret_cast<sockaddr*>(&address), address_len) != 0) {
      return SocketError("bind()", options.bind_address, route.udp_port);
    }
    sockaddr_storage bound = {};
    socklen_t bound_len = sizeof(bound);
    getsockname(endpoint.fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
    worker->endpoints_.back().port =
        ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  }
  return worker;
}

std::vector<uint16_t> SocketWorker::bound_ports() const {
  std::vector<uint16_t> ports;
  for (const Endpoint& e : endpoints_) ports.push_back(e.port);
  return ports;
}

std::vector<SocketWorker::ReceiveQueue> SocketWorker::receive_queues() const {
  std::vector<ReceiveQueue> queues;
  for (const Endpoint& e : endpoints_) {
    ReceiveQueue queue;
    queue.udp_port = e.port;
    uint32_t meminfo[SK_MEMINFO_VARS] = {};
    socklen_t length = sizeof(meminfo);
    if (getsockopt(e.fd, SOL_SOCKET, SO_MEMINFO, meminfo, &length) == 0 &&
        length >= sizeof(uint32_t) * (SK_MEMINFO_RCVBUF + 1)) {
      queue.queued_bytes = meminfo[SK_MEMINFO_RMEM_ALLOC];
      queue.limit_bytes = meminfo[SK_MEMINFO_RCVBUF];
    }
    queues.push_back(queue);
  }
  return queues;
}

double SocketWorker::cpu_seconds() const {
  if (finished_.load(std::memory_order_acquire)) return final_cpu_seconds_;
  if (!running_.load(std::memory_order_acquire)) return 0;
  clockid_t clock;
  timespec ts;
  if (pthread_getcpuclockid(thread_, &clock) != 0 || clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int SocketWorker::ReceiveOnce(Endpoint& endpoint) {
  // The headers were built once (constructor); recvmmsg only writes into the ones it
  // fills, and of their inputs only the two lengths, which are put back below. Rebuilding
  // all recv_batch of them per call cost more than the datagrams a call usually brings
  // when the worker keeps up (a few), ~6 % of the node's CPU at full rate.
  const int received = recvmmsg(endpoint.fd, messages_.data(), static_cast<unsigned>(recv_batch_),
                                MSG_DONTWAIT, nullptr);
  if (received <= 0) return 0;
  const int64_t now = RealtimeNanos();
  for (int i = 0; i < received; ++i) {
    msghdr& header = messages_[i].msg_hdr;
    PacketMeta meta;
    meta.receive_unix_nanos = now;
    meta.destination_port = endpoint.port;
    for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SO_TIMESTAMPNS) {
        timespec ts;
        std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
        meta.receive_unix_nanos = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
      } else if (c->cmsg_type == SO_RXQ_OVFL) {
        uint32_t total;
        std::memcpy(&total, CMSG_DATA(c), sizeof(total));
        const uint32_t dropped = total - endpoint.last_overflow;  // wraps correctly
        endpoint.last_overflow = total;
        counters_.rx_packets.Add(dropped);
        counters_.worker_drops[static_cast<int>(WorkerDrop::kKernelReceiveBuffer)].Add(dropped);
      }
    }
    const uint32_t length = messages_[i].msg_len;
    const bool truncated = (header.msg_flags & MSG_TRUNC) != 0;
    const auto* from = static_cast<const sockaddr*>(header.msg_name);
    if (from->sa_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(from);
      std::memcpy(meta.source_address, &v4->sin_addr, 4);
      meta.source_address_len = 4;
      meta.source_port = ntohs(v4->sin_port);
    } else {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(from);
      std::memcpy(meta.source_address, &v6->sin6_addr, 16);
      meta.source_address_len = 16;
      meta.source_port = ntohs(v6->sin6_port);
    }
    ResetLengths(header);  // read out; ready for the next call
    counters_.rx_packets.Increment();
    counters_.rx_bytes.Add(length);
    if (truncated) {
      counters_.worker_drops[static_cast<int>(WorkerDrop::kTruncatedDatagram)].Increment();
      continue;
    }
    counters_.delivered.Increment();
    endpoint.decoder->Decode(std::string_view(static_cast<const char*>(iovs_[i].iov_base), length),
                             meta, *batcher_);
  }
  batcher_->FlushIfDue(now);
  return received;
}

void SocketWorker::Coalesce() {
  // Never past the partial batch's flush deadline. With no partial batch (the receive
  // has just flushed one) there is no deadline, but the datagrams arriving meanwhile
  // start the next batch, so the wait never lasts longer than one batch delay either:
  // without that cap, kernel.coalesce_us above batch.max_delay_us held them up to
  // coalesce_us.
  const int64_t until_due =
      std::min(batcher_->FlushDeadline() - RealtimeNanos(), batcher_->max_delay_nanos());
  const int64_t wait = std::min(coalesce_nanos_, until_due);
  if (wait <= 0) return;  // the partial batch is due: the next receive flushes it
  counters_.coalesce_waits.Increment();
  const timespec duration = ToTimespec(wait);
  clock_nanosleep(CLOCK_MONOTONIC, 0, &duration, nullptr);
}

void SocketWorker::Run(const std::atomic<bool>& go, const std::atomic<bool>& stop) {
  thread_ = pthread_self();
  running_.store(true, std::memory_order_release);
  while (!go.load(std::memory_order_acquire) && !stop.load(std::memory_order_acquire)) {
    usleep(1000);
  }
  prctl(PR_SET_TIMERSLACK, kTimerSlackNanos, 0, 0, 0);
  std::vector<pollfd> fds;
  for (const Endpoint& e : endpoints_) fds.push_back({e.fd, POLLIN, 0});
  while (!stop.load(std::memory_order_relaxed)) {
    int received = 0;
    bool drained = true;  // no socket filled a whole recvmmsg: none has more waiting
    templates_.Poll();
    for (Endpoint& e : endpoints_) {
      const int got = ReceiveOnce(e);
      received += got;
      drained = drained && got < recv_batch_;
    }
    if (drained && received >= kCoalesceMinDatagrams && coalesce_nanos_ > 0) {
      Coalesce();
    } else if (received == 0) {
      counters_.empty_polls.Increment();
      const int64_t now = RealtimeNanos();
      batcher_->FlushIfDue(now);
      // Sleep until a datagram arrives or the partial batch falls due, whichever is
      // first: without the deadline a batch would wait for the next datagram (or the
      // full idle timeout) however long that is past batch.max_delay_us.
      const int64_t sleep =
          std::clamp<int64_t>(batcher_->FlushDeadline() - now, 0, idle_wait_nanos_);
      const timespec timeout = ToTimespec(sleep);
      if (ppoll(fds.data(), fds.size(), &timeout, nullptr) == 0) {
        batcher_->FlushIfDue(RealtimeNanos());
      }
    }
  }
  batcher_->FlushNow();
  // The thread is about to end and its CPU clock with it; keep the total for metrics.
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  final_cpu_seconds_ = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  finished_.store(true, std::memory_order_release);
}

}  // namespace firehose::dataplane
