// The kernel socket backend's worker: one thread, one SO_REUSEPORT UDP socket per
// configured port, recvmmsg in batches, feeding the same decoders and Batcher as a DPDK
// worker. For hosts without a DPDK-capable NIC, for development, and as the baseline
// the benchmark compares DPDK against.
//
// The kernel spreads datagrams over the workers' sockets (SO_REUSEPORT hashes the
// 4-tuple), so each worker sees whole flows, like an RSS queue. Datagrams the kernel
// dropped because a socket's receive buffer was full are reported by SO_RXQ_OVFL and
// counted as received-and-dropped under "kernel_rcvbuf", keeping
// received = delivered + named drops true.
#ifndef FIREHOSE_NODE_DATAPLANE_SOCKET_WORKER_H_
#define FIREHOSE_NODE_DATAPLANE_SOCKET_WORKER_H_

#include <pthread.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "node/batch/batcher.h"
#include "node/dataplane/rx_worker.h"
#include "node/decode/decoder.h"

namespace firehose::dataplane {

struct SocketWorkerOptions {
  std::string bind_address = "0.0.0.0";  // IPv4 or IPv6 literal
  int rcvbuf_bytes = 8 << 20;
  int recv_batch = 64;  // datagrams per recvmmsg call
  // Longest idle sleep: bounds how long a stop request goes unnoticed. A datagram or the
  // partial batch's flush deadline ends the sleep earlier.
  int64_t idle_wait_nanos = 1'000'000;
  // How long to let datagrams gather after a receive that found the socket busy (at
  // least kCoalesceMinDatagrams waiting) but drained it; 0 never waits. Without it the
  // worker runs in step with a fast sender, one or two datagrams per recvmmsg, and spends
  // most of its CPU entering and leaving the kernel and contending with the sender for
  // the socket's queue. Never waits past the partial batch's flush deadline, nor longer
  // than the batcher's max delay.
  int64_t coalesce_nanos = 50'000;
};

// A receive that brought fewer datagrams than this does not wait: the sender is slow
// enough that the worker keeps up one datagram at a time, and waiting would only add
// latency.
inline constexpr int kCoalesceMinDatagrams = 4;

class SocketWorker {
 public:
  // Opens one socket per route (its UDP port), bound with SO_REUSEPORT so that several
  // workers share the port. Errors name the address, the port and the reason.
  static absl::StatusOr<std::unique_ptr<SocketWorker>> Open(uint16_t queue_id,
                                                            const std::vector<DecoderRoute>& routes,
                                                            batch::Batcher* batcher,
                                                            const SocketWorkerOptions& options);
  ~SocketWorker();
  SocketWorker(const SocketWorker&) = delete;
  SocketWorker& operator=(const SocketWorker&) = delete;

  // Receives until `stop`, then flushes the last batch.
  void Run(const std::atomic<bool>& go, const std::atomic<bool>& stop);

  // Template import/export for the pair's failover, served at the next poll.
  TemplateMailbox& templates() { return templates_; }

  const QueueCounters& counters() const { return counters_; }
  double cpu_seconds() const;
  uint16_t queue_id() const { return queue_id_; }
  // The ports actually bound (differs from the config only for port 0, in tests).
  std::vector<uint16_t> bound_ports() const;

  // One socket's receive queue as the kernel accounts it (SO_MEMINFO): what waits to be
  // read, against the limit past which the kernel drops datagrams (counted as
  // "kernel_rcvbuf"). Both include the kernel's per-datagram overhead, so a queue holds
  // far fewer payload bytes than its limit. Read by the metrics scrape, never by the
  // worker; safe from any thread while the worker exists.
  struct ReceiveQueue {
    uint16_t udp_port = 0;
    uint64_t queued_bytes = 0;
    uint64_t limit_bytes = 0;
  };
  std::vector<ReceiveQueue> receive_queues() const;

 private:
  struct Endpoint {
    int fd = -1;
    uint16_t port = 0;
    decode::Decoder* decoder = nullptr;
    uint32_t last_overflow = 0;  // SO_RXQ_OVFL is a running total per socket
  };
  SocketWorker(uint16_t queue_id, batch::Batcher* batcher, const SocketWorkerOptions& options);
  // Drains one socket once; returns the datagrams received.
  int ReceiveOnce(Endpoint& endpoint);
  // Sleeps up to coalesce_nanos_ (at most until the flush deadline, and at most one
  // batch delay) so that the next receives find datagrams gathered; counts it.
  void Coalesce();
  // Puts back the input lengths of a header that recvmmsg has written into.
  static void ResetLengths(msghdr& header);

  const uint16_t queue_id_;
  batch::Batcher* const batcher_;
  const int recv_batch_;
  const int64_t idle_wait_nanos_;
  const int64_t coalesce_nanos_;
  std::vector<Endpoint> endpoints_;
  // recvmmsg scratch, allocated and wired together once: datagram, sender address and
  // control buffers, and the headers pointing into them.
  std::vector<char> buffers_;
  std::vector<char> controls_;
  std::vector<char> addresses_;
  std::vector<iovec> iovs_;
  std::vector<mmsghdr> messages_;
  QueueCounters counters_;
  TemplateMailbox templates_;
  std::atomic<bool> running_{false};
  pthread_t thread_{};
  std::atomic<bool> finished_{false};
  double final_cpu_seconds_ = 0;  // written before finished_ is set
};

}  // namespace firehose::dataplane

#endif  // FIREHOSE_NODE_DATAPLANE_SOCKET_WORKER_H_
