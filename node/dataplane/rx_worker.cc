// The worker lcore loop; see the header.
#include "node/dataplane/rx_worker.h"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <time.h>

#include <chrono>
#include <thread>

#include "node/net/checksum.h"

namespace firehose::dataplane {
namespace {

// The NIC's verdict when it gives one (RX checksum offload: GOOD, or NONE = "the field
// is not right but the data was verified"), software otherwise.
bool UdpChecksumAccepted(uint64_t ol_flags, const net::UdpDatagram& datagram) {
  switch (ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
    case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
    case RTE_MBUF_F_RX_L4_CKSUM_NONE:
      return true;
    case RTE_MBUF_F_RX_L4_CKSUM_BAD:
      return false;
    default:
      return net::UdpChecksumValid(datagram);
  }
}

}  // namespace

RxWorker::RxWorker(uint16_t port_id, uint16_t queue_id, const std::vector<DecoderRoute>& routes,
                   batch::Batcher* batcher, const TscClock* clock, rte_mempool* pool)
    : port_id_(port_id), queue_id_(queue_id), batcher_(batcher), clock_(clock), tx_pool_(pool) {
  for (const DecoderRoute& route : routes) {
    if (route_count_ < kMaxDecoderPorts) routes_[route_count_++] = route;
  }
  AttachTemplateDecoders(routes, &templates_);
}

void AttachTemplateDecoders(const std::vector<DecoderRoute>& routes, TemplateMailbox* mailbox) {
  for (const DecoderRoute& route : routes) {
    // Only the NetFlow decoder keeps templates; name() is its registered format.
    if (route.decoder->name() == "netflow") {
      mailbox->Attach(static_cast<decode::NetflowDecoder*>(route.decoder));
    }
  }
}

void RxWorker::Dispatch(const net::UdpDatagram& datagram, const PacketMeta& meta) {
  for (int i = 0; i < route_count_; ++i) {
    if (routes_[i].udp_port == meta.destination_port) {
      counters_.delivered.Increment();
      routes_[i].decoder->Decode(
          std::string_view(reinterpret_cast<const char*>(datagram.payload), datagram.payload_len),
          meta, *batcher_);
      return;
    }
  }
  counters_.worker_drops[static_cast<int>(WorkerDrop::kUnknownPort)].Increment();
}

void RxWorker::HandleFrame(const uint8_t* frame, uint32_t length, int64_t now_unix_nanos) {
  counters_.rx_packets.Increment();
  counters_.rx_bytes.Add(length);
  net::UdpDatagram datagram;
  PacketMeta meta;
  meta.receive_unix_nanos = now_unix_nanos;
  if (auto drop = net::ParseUdpFrame(frame, length, &datagram, &meta)) {
    counters_.parse_drops[static_cast<int>(*drop)].Increment();
    return;
  }
  if (validate_udp_checksum_ && !net::UdpChecksumValid(datagram)) {
    counters_.parse_drops[static_cast<int>(net::ParseDrop::kBadUdpChecksum)].Increment();
    return;
  }
  Dispatch(datagram, meta);
}

bool RxWorker::HandleMbuf(rte_mbuf* mbuf, int64_t now_unix_nanos) {
  counters_.rx_packets.Increment();
  counters_.rx_bytes.Add(mbuf->pkt_len);
  if (mbuf->nb_segs != 1) {
    counters_.worker_drops[static_cast<int>(WorkerDrop::kMultiSegment)].Increment();
    return false;
  }
  uint8_t* frame = rte_pktmbuf_mtod(mbuf, uint8_t*);
  const uint32_t length = mbuf->data_len;
  net::UdpDatagram datagram;
  PacketMeta meta;
  meta.receive_unix_nanos = now_unix_nanos;
  if (auto drop = net::ParseUdpFrame(frame, length, &datagram, &meta)) {
    // Only what is not UDP can be a question for this host; the UDP path never pays.
    if (responder_enabled_ &&
        (*drop == net::ParseDrop::kNotIp || *drop == net::ParseDrop::kNotUdp)) {
      // A Neighbor Advertisement may be longer than the solicitation: it may grow into
      // the mbuf's tailroom.
      uint32_t answer_len = length;
      const net::Reply reply =
          net::AnswerInPlace(frame, &answer_len, length + rte_pktmbuf_tailroom(mbuf), identity_);
      if (reply != net::Reply::kNone) {
        mbuf->data_len = static_cast<uint16_t>(answer_len);
        mbuf->pkt_len = answer_len;
        if (rte_eth_tx_burst(port_id_, tx_queue_, &mbuf, 1) == 1) {
          counters_.answered[static_cast<int>(reply)].Increment();
          return true;
        }
        counters_.worker_drops[static_cast<int>(WorkerDrop::kReplyTxFull)].Increment();
        return false;
      }
    }
    counters_.parse_drops[static_cast<int>(*drop)].Increment();
    return false;
  }
  if (validate_udp_checksum_ && !UdpChecksumAccepted(mbuf->ol_flags, datagram)) {
    counters_.parse_drops[static_cast<int>(net::ParseDrop::kBadUdpChecksum)].Increment();
    return false;
  }
  Dispatch(datagram, meta);
  return false;
}

void RxWorker::ApplyServiceAddress(const net::ServiceAddress& address) {
  using Family = net::ServiceAddress::Family;
  applied_service_address_ = address;
  // Back to the configured addresses only, which is all a demoted node answers for.
  identity_.ipv4_count = configured_ipv4_count_;
  identity_.ipv6_count = configured_ipv6_count_;
  if (address.family == Family::kIpv4 && !identity_.Owns(address.ipv4) &&
      identity_.ipv4_count < net::kMaxHostAddresses) {
    identity_.ipv4[identity_.ipv4_count++] = address.ipv4;
  }
  if (address.family == Family::kIpv6 && !identity_.OwnsIpv6(address.ipv6.data()) &&
      identity_.ipv6_count < net::kMaxHostAddresses) {
    identity_.ipv6[identity_.ipv6_count++] = address.ipv6;
  }
  responder_enabled_ = has_tx_queue_ && !identity_.empty();
}

void RxWorker::PollServiceAddress() {
  // The request is taken first: a request made after a SetServiceAddress() then finds
  // that address in the slot below (release/acquire on the flag orders them).
  bool announce = announce_request_.load(std::memory_order_relaxed) &&
                  announce_request_.exchange(false, std::memory_order_acquire);
  net::ServiceAddress address;
  switch (service_address_.Load(&service_address_seen_, &address)) {
    case net::ServiceAddressSlot::Read::kChanged:
      ApplyServiceAddress(address);
      break;
    case net::ServiceAddressSlot::Read::kBusy:
      // A write is under way: announce at the next poll, with the address it writes.
      if (announce) announce_request_.store(true, std::memory_order_relaxed);
      return;
    case net::ServiceAddressSlot::Read::kUnchanged:
      break;
  }
  if (!announce) return;
  if (applied_service_address_.family == net::ServiceAddress::Family::kIpv4) {
    SendGratuitousArp(applied_service_address_.ipv4);
  } else if (applied_service_address_.family == net::ServiceAddress::Family::kIpv6) {
    SendUnsolicitedNeighborAdvertisement(applied_service_address_.ipv6);
  }
}

rte_mbuf* RxWorker::AllocateFrame(uint32_t len, uint8_t** frame) {
  if (tx_pool_ == nullptr || !has_tx_queue_) return nullptr;
  rte_mbuf* mbuf = rte_pktmbuf_alloc(tx_pool_);
  if (mbuf == nullptr) return nullptr;
  *frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(mbuf, static_cast<uint16_t>(len)));
  if (*frame == nullptr) {
    rte_pktmbuf_free(mbuf);
    return nullptr;
  }
  return mbuf;
}

bool RxWorker::TransmitOwnFrame(rte_mbuf* mbuf) {
  if (rte_eth_tx_burst(port_id_, tx_queue_, &mbuf, 1) == 1) return true;
  rte_pktmbuf_free(mbuf);
  return false;
}

void RxWorker::SendGratuitousArp(uint32_t address_be) {
  uint8_t* frame;
  rte_mbuf* mbuf = AllocateFrame(net::kGratuitousArpLen, &frame);
  if (mbuf == nullptr) return;
  net::BuildGratuitousArp(frame, identity_.mac, address_be);
  if (TransmitOwnFrame(mbuf)) counters_.gratuitous_arps_sent.Increment();
}

void RxWorker::SendUnsolicitedNeighborAdvertisement(const net::Ipv6Bytes& address) {
  uint8_t* frame;
  rte_mbuf* mbuf = AllocateFrame(net::kUnsolicitedNeighborAdvertisementLen, &frame);
  if (mbuf == nullptr) return;
  net::BuildUnsolicitedNeighborAdvertisement(frame, identity_.mac, address);
  if (TransmitOwnFrame(mbuf)) counters_.unsolicited_nas_sent.Increment();
}

double RxWorker::cpu_seconds() const {
  if (!running_.load(std::memory_order_acquire)) return 0;
  clockid_t clock;
  timespec ts;
  if (pthread_getcpuclockid(thread_, &clock) != 0 || clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void RxWorker::Run(const std::atomic<bool>& go, const std::atomic<bool>& stop) {
  thread_ = pthread_self();
  running_.store(true, std::memory_order_release);
  // Before the data path starts, sleeping is fine.
  while (!go.load(std::memory_order_acquire) && !stop.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  rte_mbuf* burst[kBurstSize];
  while (!stop.load(std::memory_order_relaxed)) {
    const uint16_t received = rte_eth_rx_burst(port_id_, queue_id_, burst, kBurstSize);
    const int64_t now = clock_->NowUnixNanos();
    // A relaxed load per poll; the request is rare (promotion) and not per packet.
    if (garp_request_.load(std::memory_order_relaxed) != 0) {
      const uint64_t request = garp_request_.exchange(0, std::memory_order_acquire);
      if (request != 0) SendGratuitousArp(static_cast<uint32_t>(request));
    }
    templates_.Poll();
    // Two loads per poll: the service address changes only with the role.
    PollServiceAddress();
    if (received == 0) {
      counters_.empty_polls.Increment();
      batcher_->FlushIfDue(now);
      continue;
    }
    for (uint16_t i = 0; i < received; ++i) {
      if (i + 1 < received) rte_prefetch0(rte_pktmbuf_mtod(burst[i + 1], void*));
      // An answered frame now belongs to the NIC; rte_pktmbuf_free_bulk skips NULLs.
      if (HandleMbuf(burst[i], now)) burst[i] = nullptr;
    }
    rte_pktmbuf_free_bulk(burst, received);
    batcher_->FlushIfDue(now);
  }
  batcher_->FlushNow();
}

}  // namespace firehose::dataplane
