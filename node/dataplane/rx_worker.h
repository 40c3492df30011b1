// The run-to-completion loop of one worker lcore: one RX queue in, batches out.
//
// Per burst of up to kBurstSize packets: read the clock once, parse each frame in
// place, hand the UDP payload to the decoder registered for its destination port
// (which appends records to this worker's Batcher), free the mbufs in bulk, and flush
// the batch if its oldest record is due. No locks, no allocation, no syscalls: every
// object the loop touches was built before it started, and every packet that is not
// delivered to a decoder is counted under exactly one reason.
#ifndef FIREHOSE_NODE_DATAPLANE_RX_WORKER_H_
#define FIREHOSE_NODE_DATAPLANE_RX_WORKER_H_

#include <pthread.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

#include "node/batch/batcher.h"
#include "node/common/relaxed_counter.h"
#include "node/dataplane/template_mailbox.h"
#include "node/dataplane/tsc_clock.h"
#include "node/decode/decoder.h"
#include "node/net/l2_responder.h"
#include "node/net/service_address.h"
#include "node/net/udp_parser.h"

struct rte_mbuf;
struct rte_mempool;

namespace firehose::dataplane {

inline constexpr uint16_t kBurstSize = 32;
// Most distinct UDP ports one worker dispatches; a linear scan over this few entries
// is faster than any hash table.
inline constexpr int kMaxDecoderPorts = 16;

// Reasons, besides parse failures, that a packet is not delivered to a decoder.
enum class WorkerDrop : uint8_t {
  kUnknownPort,          // UDP to a port no decoder is configured for
  kMultiSegment,         // frame spread over chained mbufs (larger than one mbuf)
  kKernelReceiveBuffer,  // kernel backend: dropped by the kernel, socket buffer full
  kTruncatedDatagram,    // kernel backend: datagram larger than the receive buffer
  kReplyTxFull,          // an ARP/ICMP answer could not be queued on the TX ring
  kCount,
};
inline constexpr int kWorkerDropCount = static_cast<int>(WorkerDrop::kCount);
constexpr std::string_view WorkerDropName(WorkerDrop drop) {
  switch (drop) {
    case WorkerDrop::kUnknownPort:
      return "unknown_port";
    case WorkerDrop::kMultiSegment:
      return "multi_segment";
    case WorkerDrop::kKernelReceiveBuffer:
      return "kernel_rcvbuf";
    case WorkerDrop::kTruncatedDatagram:
      return "truncated_datagram";
    case WorkerDrop::kReplyTxFull:
      return "reply_tx_full";
    case WorkerDrop::kCount:
      break;
  }
  return "unknown";
}

// Written by the worker only; read by metrics. Identity:
// rx_packets = delivered + sum(answered) + sum(parse_drops) + sum(worker_drops).
struct alignas(64) QueueCounters {
  RelaxedCounter rx_packets;
  RelaxedCounter rx_bytes;
  RelaxedCounter delivered;  // handed to a decoder
  std::array<RelaxedCounter, net::kParseDropCount> parse_drops;
  std::array<RelaxedCounter, kWorkerDropCount> worker_drops;
  // Questions answered from the lcore (ARP, ICMP/ICMPv6 echo, NDP), by net::Reply.
  std::array<RelaxedCounter, net::kReplyKindCount> answered;
  RelaxedCounter gratuitous_arps_sent;
  RelaxedCounter unsolicited_nas_sent;  // IPv6 service address announcements
  RelaxedCounter empty_polls;
  // Kernel backend: waits of kernel.coalesce_us for datagrams to gather (SocketWorker).
  RelaxedCounter coalesce_waits;
};

struct DecoderRoute {
  uint16_t udp_port = 0;
  decode::Decoder* decoder = nullptr;  // owned by the caller, one per worker
};

// Attaches the NetFlow decoders among `routes` to `mailbox` (setup, before running).
void AttachTemplateDecoders(const std::vector<DecoderRoute>& routes, TemplateMailbox* mailbox);

class RxWorker {
 public:
  // The worker does not own the decoders, the batcher or the clock; all must outlive it.
  RxWorker(uint16_t port_id, uint16_t queue_id, const std::vector<DecoderRoute>& routes,
           batch::Batcher* batcher, const TscClock* clock, rte_mempool* pool = nullptr);

  // Answer ARP, NDP and ICMP/ICMPv6 echo for `identity`'s addresses on TX queue `tx_queue` (which
  // must be this worker's alone). Call before Run(); without it nothing is answered.
  // An identity without addresses still gives the worker its MAC and TX queue, for the
  // service address and gratuitous ARPs.
  void EnableResponder(const net::HostIdentity& identity, uint16_t tx_queue) {
    identity_ = identity;
    configured_ipv4_count_ = identity.ipv4_count;
    configured_ipv6_count_ = identity.ipv6_count;
    has_tx_queue_ = true;
    responder_enabled_ = !identity.empty();
    tx_queue_ = tx_queue;
  }
  // Any thread: the pair's service address (IPv4 or IPv6) that this worker answers for
  // from its next poll on (ARP and ping, or NDP and ICMPv6 echo), besides its configured
  // addresses; an empty one stops answering for it. The active node sets it, a standby
  // clears it (DESIGN.md: the standby stays silent). Needs EnableResponder() (a TX
  // queue) to have any effect.
  void SetServiceAddress(const net::ServiceAddress& address) { service_address_.Store(address); }
  // Any thread: asks the worker to announce the service address once, at its next poll
  // and after taking any SetServiceAddress() made before this call: a gratuitous ARP for
  // IPv4, an unsolicited Neighbor Advertisement (RFC 4861 §7.2.6) for IPv6. Nothing is
  // sent while the service address is empty.
  void AnnounceServiceAddress() { announce_request_.store(true, std::memory_order_release); }
  // Drop UDP datagrams whose checksum is wrong (ParseDrop::kBadUdpChecksum): the NIC's
  // verdict when it reports one in the mbuf, net::UdpChecksumValid otherwise. Call
  // before Run().
  void EnableUdpChecksumValidation() { validate_udp_checksum_ = true; }
  // Any thread: asks the worker to send one gratuitous ARP for `address_be` (network
  // order) from its TX queue at its next poll, e.g. for the service IP on promotion.
  // A single slot: a second request before the first is sent replaces it.
  void RequestGratuitousArp(uint32_t address_be) {
    garp_request_.store(static_cast<uint64_t>(address_be) | (1ull << 32),
                        std::memory_order_release);
  }

  // Waits for `go`, then polls until `stop`; flushes the last batch before returning.
  void Run(const std::atomic<bool>& go, const std::atomic<bool>& stop);

  // Template import/export for the pair's failover, served at the next poll.
  TemplateMailbox& templates() { return templates_; }

  // Processes one frame; public so tests can feed frames without a port.
  void HandleFrame(const uint8_t* frame, uint32_t length, int64_t now_unix_nanos);

  const QueueCounters& counters() const { return counters_; }
  // CPU time the worker thread has used (CLOCK_THREAD_CPUTIME_ID of that thread, read
  // from outside it), or 0 before it started. Benchmarks divide packets by this.
  double cpu_seconds() const;
  uint16_t port_id() const { return port_id_; }
  uint16_t queue_id() const { return queue_id_; }

 private:
  // Returns true when the mbuf was handed to the NIC (an answer) and must not be freed.
  bool HandleMbuf(rte_mbuf* mbuf, int64_t now_unix_nanos);
  void Dispatch(const net::UdpDatagram& datagram, const PacketMeta& meta);
  void SendGratuitousArp(uint32_t address_be);
  void SendUnsolicitedNeighborAdvertisement(const net::Ipv6Bytes& address);
  // Allocates an mbuf of `len` bytes from tx_pool_; nullptr when there is none.
  rte_mbuf* AllocateFrame(uint32_t len, uint8_t** frame);
  // Transmits a frame this worker built; frees it when the TX ring is full.
  bool TransmitOwnFrame(rte_mbuf* mbuf);
  // Takes a new service address from the slot and an announcement request (once per
  // poll; two relaxed loads when nothing changed).
  void PollServiceAddress();
  // Puts the service address into identity_ (after the configured addresses).
  void ApplyServiceAddress(const net::ServiceAddress& address);

  const uint16_t port_id_;
  const uint16_t queue_id_;
  std::array<DecoderRoute, kMaxDecoderPorts> routes_{};
  int route_count_ = 0;
  batch::Batcher* const batcher_;
  const TscClock* const clock_;
  QueueCounters counters_;
  net::HostIdentity identity_;
  bool responder_enabled_ = false;
  bool validate_udp_checksum_ = false;
  uint16_t tx_queue_ = 0;
  rte_mempool* tx_pool_ = nullptr;               // for gratuitous ARPs: the RX queue's pool
  std::atomic<uint64_t> garp_request_{0};        // bit 32 set: pending; low 32: address
  std::atomic<bool> announce_request_{false};    // AnnounceServiceAddress() pending
  net::ServiceAddressSlot service_address_;      // requested by SetServiceAddress
  uint64_t service_address_seen_ = 0;            // the slot's sequence last taken (worker)
  net::ServiceAddress applied_service_address_;  // what identity_ holds now (worker only)
  int configured_ipv4_count_ = 0;                // identity_'s own IPv4 addresses
  int configured_ipv6_count_ = 0;                // and IPv6 addresses
  bool has_tx_queue_ = false;
  TemplateMailbox templates_;
  // pthread_t of the running worker, published once when Run() starts.
  std::atomic<bool> running_{false};
  pthread_t thread_{};
};

}  // namespace firehose::dataplane

#endif  // FIREHOSE_NODE_DATAPLANE_RX_WORKER_H_
