// Builds ingestd's metric families from the stages' counters; see the header.
#include "node/metrics/ingest_collector.h"

#include <rte_ethdev.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "node/export/block_buffer.h"
#include "node/export/pooled_arena.h"
#include "node/metrics/family_builder.h"

namespace firehose::metrics {

std::vector<prometheus::MetricFamily> IngestCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;

  auto rx_packets = Counter("firehose_rx_packets_total", "Frames taken off each RX queue.");
  auto rx_bytes = Counter("firehose_rx_bytes_total", "Bytes of frames taken off each RX queue.");
  auto delivered =
      Counter("firehose_rx_delivered_packets_total", "UDP datagrams handed to a decoder.");
  auto dropped =
      Counter("firehose_rx_dropped_packets_total", "Frames not handed to a decoder, by reason.");
  auto decoder_records =
      Counter("firehose_decoder_records_total", "Records decoded, by decoder and queue.");
  auto decoder_errors = Counter("firehose_decoder_errors_total",
                                "Malformed units (e.g. statsd lines) skipped, by reason.");
  auto batch_records = Counter("firehose_batch_records_total", "Records appended to a batch.");
  auto batch_dropped = Counter("firehose_batch_dropped_records_total",
                               "Records decoded but never published, by reason.");
  auto handed_off = Counter("firehose_batches_handed_off_total",
                            "Batches passed from a worker to the export thread.");
  auto flushes = Counter("firehose_batch_flushes_total", "Batch flushes, by cause.");
  auto export_wakeups =
      Counter("firehose_batch_export_wakeups_total",
              "Hand-offs that had to wake a sleeping export thread (one futex wake each).");
  auto occupancy =
      Gauge("firehose_handoff_ring_occupancy", "Batches waiting in a worker's hand-off ring.");
  auto batch_size =
      Histogram("firehose_batch_records", "Records per batch when a worker flushed it.");
  auto flush_delay = Histogram("firehose_batch_flush_delay_seconds",
                               "How long a batch's oldest record waited before the flush.");
  auto answered = Counter("firehose_rx_answered_packets_total",
                          "Questions for the node's addresses answered from the worker lcore, "
                          "by kind: ARP requests, ICMP and ICMPv6 echo requests, IPv6 "
                          "Neighbor Solicitations (NDP).");
  auto garps = Counter("firehose_gratuitous_arps_sent_total",
                       "Gratuitous ARPs sent (IPv4 service IP announcements).");
  auto unsolicited_nas =
      Counter("firehose_unsolicited_neighbor_advertisements_sent_total",
              "Unsolicited IPv6 Neighbor Advertisements sent (IPv6 service IP announcements).");
  auto worker_cpu =
      Counter("firehose_worker_cpu_seconds_total", "CPU time used by each worker lcore's thread.");
  auto socket_queued =
      Gauge("firehose_kernel_receive_queue_bytes",
            "Kernel backend: bytes waiting in a worker's socket receive queue (SO_MEMINFO, with "
            "the kernel's per-datagram overhead). Near the limit the kernel drops datagrams.");
  auto socket_limit =
      Gauge("firehose_kernel_receive_queue_limit_bytes",
            "Kernel backend: the socket receive queue's limit (kernel.rcvbuf_bytes as the "
            "kernel applied it); past it datagrams are dropped as reason kernel_rcvbuf.");

  auto coalesce_waits =
      Counter("firehose_kernel_coalesce_waits_total",
              "Kernel backend: times a worker found several datagrams waiting, drained them "
              "and waited up to kernel.coalesce_us (never past a partial batch's flush "
              "deadline nor longer than batch.max_delay_us) for more to gather before its "
              "next receive.");

  for (const WorkerSources& w : sources_.workers) {
    const std::string queue = std::to_string(w.queue_id);
    const dataplane::QueueCounters& c = *w.counters;
    // The worker bumps rx_packets before the outcome counters, so reading the outcomes
    // first keeps a live scrape consistent: rx >= delivered + dropped, the difference
    // being the packet in flight. At rest the two sides are equal.
    const uint64_t delivered_now = c.delivered.Get();
    delivered.Add({{"port", w.port_name}, {"queue", queue}}, delivered_now);
    for (int r = 0; r < net::kParseDropCount; ++r) {
      dropped.Add({{"port", w.port_name},
                   {"queue", queue},
                   {"reason", std::string(net::ParseDropName(static_cast<net::ParseDrop>(r)))}},
                  c.parse_drops[r].Get());
    }
    for (int r = 0; r < dataplane::kWorkerDropCount; ++r) {
      dropped.Add({{"port", w.port_name},
                   {"queue", queue},
                   {"reason",
                    std::string(dataplane::WorkerDropName(static_cast<dataplane::WorkerDrop>(r)))}},
                  c.worker_drops[r].Get());
    }
    for (int k = 1; k < net::kReplyKindCount; ++k) {
      answered.Add({{"port", w.port_name},
                    {"queue", queue},
                    {"kind", std::string(net::ReplyName(static_cast<net::Reply>(k)))}},
                   c.answered[k].Get());
    }
    garps.Add({{"port", w.port_name}, {"queue", queue}}, c.gratuitous_arps_sent.Get());
    unsolicited_nas.Add({{"port", w.port_name}, {"queue", queue}}, c.unsolicited_nas_sent.Get());
    rx_packets.Add({{"port", w.port_name}, {"queue", queue}}, c.rx_packets.Get());
    rx_bytes.Add({{"port", w.port_name}, {"queue", queue}}, c.rx_bytes.Get());
    for (const decode::Decoder* d : w.decoders) {
      const std::string name(d->name());
      decoder_records.Add({{"decoder", name}, {"queue", queue}}, d->records());
      for (int r = 0; r < d->error_reason_count(); ++r) {
        decoder_errors.Add(
            {{"decoder", name}, {"queue", queue}, {"reason", std::string(d->error_reason_name(r))}},
            d->errors(r));
      }
    }
    const batch::BatcherCounters& b = w.batcher->counters();
    batch_records.Add({{"queue", queue}}, b.records_added.Get());
    batch_dropped.Add({{"queue", queue}, {"reason", "handoff_full"}}, b.handoff_full_records.Get());
    batch_dropped.Add({{"queue", queue}, {"reason", "record_too_large"}}, b.record_too_large.Get());
    // Released unpublished by a standby node (controld assigned another the active role).
    batch_dropped.Add({{"queue", queue}, {"reason", "standby"}},
                      sources_.publisher->StandbyDroppedRecords(w.batcher));
    handed_off.Add({{"queue", queue}}, b.batches_handed_off.Get());
    export_wakeups.Add({{"queue", queue}}, b.export_wakeups.Get());
    flushes.Add({{"queue", queue}, {"cause", "records"}}, b.flushes_on_records.Get());
    flushes.Add({{"queue", queue}, {"cause", "bytes"}}, b.flushes_on_bytes.Get());
    flushes.Add({{"queue", queue}, {"cause", "delay"}}, b.flushes_on_delay.Get());
    flushes.Add({{"queue", queue}, {"cause", "stop"}}, b.flushes_on_stop.Get());
    occupancy.Add({{"queue", queue}}, w.batcher->handoff_occupancy());
    batch_size.AddHistogram({{"queue", queue}}, batch::kBatchRecordBuckets, b.batch_records,
                            static_cast<double>(b.batch_records_sum.Get()));
    flush_delay.AddHistogram({{"queue", queue}}, batch::kFlushDelayBucketsMicros, b.flush_delay,
                             static_cast<double>(b.flush_delay_sum_nanos.Get()) * 1e-9, 1e-6);
    worker_cpu.Add({{"port", w.port_name}, {"queue", queue}}, w.cpu_seconds());
    if (w.receive_queues) {
      coalesce_waits.Add({{"port", w.port_name}, {"queue", queue}}, c.coalesce_waits.Get());
      for (const dataplane::SocketWorker::ReceiveQueue& q : w.receive_queues()) {
        const std::string udp_port = std::to_string(q.udp_port);
        socket_queued.Add({{"queue", queue}, {"udp_port", udp_port}},
                          static_cast<double>(q.queued_bytes));
        socket_limit.Add({{"queue", queue}, {"udp_port", udp_port}},
                         static_cast<double>(q.limit_bytes));
      }
    }
  }
  for (auto* family :
       {&rx_packets,     &rx_bytes,      &delivered,       &dropped,       &decoder_records,
        &decoder_errors, &batch_records, &batch_dropped,   &handed_off,    &export_wakeups,
        &flushes,        &occupancy,     &worker_cpu,      &batch_size,    &flush_delay,
        &answered,       &garps,         &unsolicited_nas, &socket_queued, &socket_limit,
        &coalesce_waits}) {
    out.push_back(family->Build());
  }

  // NIC counters as the PMD reports them (DPDK backend only); imissed is what the NIC dropped
  // because no RX descriptor was free, i.e. the node was too slow.
  auto nic_packets = Counter("firehose_nic_rx_packets_total", "Packets the NIC received.");
  auto nic_missed = Counter("firehose_nic_rx_missed_total",
                            "Packets the NIC dropped for lack of RX descriptors (imissed).");
  auto nic_errors = Counter("firehose_nic_rx_errors_total", "Erroneous packets (ierrors).");
  auto nic_nombuf =
      Counter("firehose_nic_rx_nombuf_total", "RX mbuf allocation failures (rx_nombuf).");
  for (const PortSources& p : sources_.ports) {
    rte_eth_stats stats = {};
    if (rte_eth_stats_get(p.port_id, &stats) != 0) continue;
    nic_packets.Add({{"port", p.name}}, stats.ipackets);
    nic_missed.Add({{"port", p.name}}, stats.imissed);
    nic_errors.Add({{"port", p.name}}, stats.ierrors);
    nic_nombuf.Add({{"port", p.name}}, stats.rx_nombuf);
  }
  for (auto* family : {&nic_packets, &nic_missed, &nic_errors, &nic_nombuf}) {
    out.push_back(family->Build());
  }

  const exporter::HubStats hub = sources_.hub->stats();
  const exporter::PublisherCounters& pub = sources_.publisher->counters();
  out.push_back(Counter("firehose_published_batches_total", "Batches published to subscribers.")
                    .Add({}, pub.batches_published.Get())
                    .Build());
  out.push_back(Counter("firehose_published_records_total", "Records in published batches.")
                    .Add({}, pub.records_published.Get())
                    .Build());
  out.push_back(Gauge("firehose_last_published_seq", "Sequence number of the last batch.")
                    .Add({}, sources_.publisher->last_seq())
                    .Build());
  out.push_back(Gauge("firehose_epoch", "The node's current epoch.")
                    .Add({{"node_id", sources_.node_id}}, sources_.publisher->epoch())
                    .Build());
  // One series per role, 1 for the current one, so dashboards can sum actives.
  const bool active = sources_.publisher->active();
  out.push_back(Gauge("firehose_role", "1 for the role the node acts in (active publishes).")
                    .Add({{"role", "active"}}, active ? 1 : 0)
                    .Add({{"role", "standby"}}, active ? 0 : 1)
                    .Build());
  out.push_back(
      Gauge("firehose_subscribers", "Connected subscribers.").Add({}, hub.subscribers).Build());
  out.push_back(Counter("firehose_subscriptions_total", "Subscribe calls accepted.")
                    .Add({}, hub.subscriptions_total)
                    .Build());
  out.push_back(Counter("firehose_subscriber_delivered_records_total",
                        "Records written to subscriber streams, summed over subscribers.")
                    .Add({}, hub.delivered_records)
                    .Build());
  out.push_back(Counter("firehose_subscriber_dropped_records_total",
                        "Records dropped from full subscriber queues, summed over subscribers.")
                    .Add({{"reason", "queue_full"}}, hub.dropped_records)
                    .Add({{"reason", "replay_expired"}}, hub.expired_records)
                    .Build());
  out.push_back(Counter("firehose_subscriber_disconnects_total",
                        "Streams ended by the node because the subscriber was too slow.")
                    .Add({{"reason", "too_slow"}}, hub.disconnected_slow)
                    .Build());
  out.push_back(Gauge("firehose_replay_ring_bytes", "Bytes of batches in the replay ring.")
                    .Add({}, hub.replay.bytes)
                    .Build());
  out.push_back(Gauge("firehose_replay_ring_batches", "Batches in the replay ring.")
                    .Add({}, hub.replay.batches)
                    .Build());
  // Encoded batches' fixed-size blocks (node/export/block_buffer.h): held by batches
  // (ring, queues, gRPC) or kept idle for reuse, up to the pool's bound.
  const exporter::BlockPoolStats blocks = exporter::BlockPool::Default().stats();
  auto block_pool = Gauge("firehose_export_block_pool_bytes",
                          "Bytes of the encoded-batch block pool, held by batches or idle.");
  block_pool.Add({{"state", "in_use"}}, static_cast<double>(blocks.in_use * blocks.block_bytes));
  block_pool.Add({{"state", "idle"}}, static_cast<double>(blocks.idle * blocks.block_bytes));
  out.push_back(block_pool.Build());
  // The blocks of batches parsed for filtered subscribers (node/export/pooled_arena.h).
  const exporter::BlockPoolStats arena_blocks = exporter::ArenaBlockPool().stats();
  auto arena_pool = Gauge("firehose_export_arena_pool_bytes",
                          "Bytes of the block pool for batches parsed for filtered "
                          "subscribers: in use, or kept idle for reuse.");
  arena_pool.Add({{"state", "in_use"}},
                 static_cast<double>(arena_blocks.in_use * arena_blocks.block_bytes));
  arena_pool.Add({{"state", "idle"}},
                 static_cast<double>(arena_blocks.idle * arena_blocks.block_bytes));
  out.push_back(arena_pool.Build());
  // One series per connected subscriber, labelled "name#id" (the id tells two
  // subscribers of the same name apart); series vanish when the stream ends.
  auto lag = Gauge("firehose_subscriber_lag_batches",
                   "Batches published that this subscriber has not been sent yet.");
  auto queued = Gauge("firehose_subscriber_queued_batches",
                      "Batches waiting in this subscriber's queue or replay.");
  auto queued_bytes = Gauge("firehose_subscriber_queued_bytes",
                            "Bytes of the batches in this subscriber's live queue "
                            "(bounded by grpc.subscriber_queue_bytes).");
  auto stream_delivered = Counter("firehose_subscriber_stream_delivered_records_total",
                                  "Records written to this subscriber's stream.");
  auto stream_dropped = Counter("firehose_subscriber_stream_dropped_records_total",
                                "Records this subscriber's full queue dropped.");
  for (const exporter::SubscriberSnapshot& s : sources_.hub->Subscribers()) {
    const std::string subscriber = absl::StrCat(s.name, "#", s.id);
    lag.Add({{"subscriber", subscriber}}, s.lag_batches);
    queued.Add({{"subscriber", subscriber}}, s.stats.queued_batches);
    queued_bytes.Add({{"subscriber", subscriber}}, static_cast<double>(s.stats.queued_bytes));
    stream_delivered.Add({{"subscriber", subscriber}}, s.stats.delivered_records);
    stream_dropped.Add({{"subscriber", subscriber}}, s.stats.dropped_records);
  }
  for (auto* family : {&lag, &queued, &queued_bytes, &stream_delivered, &stream_dropped}) {
    out.push_back(family->Build());
  }
  return out;
}

}  // namespace firehose::metrics
