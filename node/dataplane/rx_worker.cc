// The worker lcore loop; see the header.
#include "node/dataplane/rx_worker.h"

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <time.h>

#include <chrono>
#include <thread>

namespace firehose::dataplane {

RxWorker::RxWorker(uint16_t port_id, uint16_t queue_id,
                   const std::vector<DecoderRoute>& routes, batch::Batcher* batcher,
                   const TscClock* clock)
    : port_id_(port_id), queue_id_(queue_id), batcher_(batcher), clock_(clock) {
  for (const DecoderRoute& route : routes) {
    if (route_count_ < kMaxDecoderPorts) routes_[route_count_++] = route;
  }
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
  for (int i = 0; i < route_count_; ++i) {
    if (routes_[i].udp_port == meta.destination_port) {
      counters_.delivered.Increment();
      routes_[i].decoder->Decode(
          std::string_view(reinterpret_cast<const char*>(datagram.payload),
                           datagram.payload_len),
          meta, *batcher_);
      return;
    }
  }
  counters_.worker_drops[static_cast<int>(WorkerDrop::kUnknownPort)].Increment();
}

void RxWorker::HandleMbuf(rte_mbuf* mbuf, int64_t now_unix_nanos) {
  if (mbuf->nb_segs != 1) {
    counters_.rx_packets.Increment();
    counters_.rx_bytes.Add(mbuf->pkt_len);
    counters_.worker_drops[static_cast<int>(WorkerDrop::kMultiSegment)].Increment();
    return;
  }
  HandleFrame(rte_pktmbuf_mtod(mbuf, const uint8_t*), mbuf->data_len, now_unix_nanos);
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
    if (received == 0) {
      counters_.empty_polls.Increment();
      batcher_->FlushIfDue(now);
      continue;
    }
    for (uint16_t i = 0; i < received; ++i) {
      if (i + 1 < received) rte_prefetch0(rte_pktmbuf_mtod(burst[i + 1], void*));
      HandleMbuf(burst[i], now);
    }
    rte_pktmbuf_free_bulk(burst, received);
    batcher_->FlushIfDue(now);
  }
  batcher_->FlushNow();
}

}  // namespace firehose::dataplane
