// The configuration of ingestd: what it reads from its YAML file at start-up.
//
// Everything the node sizes at start-up (ports, queues, lcores, mempools, rings, batch
// limits) and every address it listens on comes from here, so a config that loads is
// one the data path can be built from without further guessing. The loader is strict:
// unknown keys are errors at every level (a typo must never silently turn into a
// default), and every error names the file, the field path and what is wrong, e.g.
//
//   demo.yaml: batch.max_records: must be between 1 and 1048576, got 0
//
// node/config/example.yaml is a fully commented config that runs on DPDK virtual
// devices and documents the YAML layout; keep it in step with this header.
//
// Loading is two passes: ingest_config_reader.h (YAML -> struct: keys, shapes, ranges),
// then ValidateIngestConfig (value and cross-field rules); config_rules.h holds the
// ranges and message shapes both use.
#ifndef FIREHOSE_NODE_CONFIG_INGEST_CONFIG_H_
#define FIREHOSE_NODE_CONFIG_INGEST_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace firehose::config {

// One DPDK ethdev port. YAML: an element of `ports`.
struct PortConfig {
  // YAML `device`, required. Either a PCI address ("0000:3b:00.0", the domain may be
  // left out) of a NIC bound to a DPDK-capable driver, or a virtual device string as
  // EAL's --vdev takes it ("net_pcap0,rx_pcap=/x.pcap,infinite_rx=1"). No default.
  std::string device;
  // YAML `rx_queues`: RX queues on this port, 1..64, each polled by its own worker
  // lcore; RSS spreads flows over them. Default 1.
  uint16_t rx_queues = 1;
  // YAML `rx_descriptors`: RX ring size of each queue, a power of two in 64..16384.
  // Default 1024.
  uint16_t rx_descriptors = 1024;
  // YAML `ports[].addresses`: IPv4 and IPv6 addresses this node owns on the port (at
  // most 8). The worker lcores answer ARP, IPv6 Neighbor Solicitations and ICMP/ICMPv6
  // echo for them from the port's MAC; empty (the default) keeps the node silent on the
  // segment, as a standby must be.
  std::vector<std::string> addresses;
  // YAML `ports[].validate_udp_checksum`: drop datagrams whose UDP checksum is wrong
  // (reason bad_udp_checksum; IPv4 checksum 0 means "none" and passes, IPv6 0 is
  // invalid). Uses the NIC's RX checksum offload when the device reports a verdict,
  // software otherwise. Default false: Ethernet's FCS already guards every hop, and in
  // software it costs a pass over each payload (docs/network.md has the figure).
  bool validate_udp_checksum = false;
};

// When a worker closes the batch it is building and hands it to the export side:
// whichever limit is reached first. YAML: `batch`.
struct BatchLimits {
  // YAML `batch.max_records`: records per batch, 1..1048576. Default 4096.
  uint32_t max_records = 4096;
  // YAML `batch.max_bytes`: encoded size of a batch, 1024..4194304 (4 MiB is gRPC's
  // default receive limit, so a larger batch would be refused by default clients).
  // Default 262144 (256 KiB).
  uint32_t max_bytes = 256 * 1024;
  // YAML `batch.max_delay_us`: how long a non-empty batch may wait for more records,
  // in microseconds, 1..1000000. Bounds the latency a quiet stream adds. Default 1000.
  uint32_t max_delay_us = 1000;
};

struct IngestConfig {
  // YAML `node_id`, required: stable name of this node, [A-Za-z0-9._-]{1,64}. Stamped
  // on every batch and used as the node's identity in the election.
  std::string node_id;

  // YAML `eal.args`: extra EAL arguments, passed verbatim, e.g.
  // ["--no-huge", "--no-shconf", "-m", "256", "--no-pci"]. Default none. Arguments
  // that other fields own (lcores, --main-lcore, --file-prefix) are rejected here.
  std::vector<std::string> eal_args;
  // YAML `eal.file_prefix`: EAL --file-prefix, which keeps the runtime files of
  // several DPDK processes on one host apart; [A-Za-z0-9._-]{1,64}.
  // Default "firehose".
  std::string file_prefix = "firehose";

  // YAML `ports`, required: the ports to receive on, at least one, no device twice.
  std::vector<PortConfig> ports;

  // YAML `lcores.workers`: worker lcore ids (0..127), one per RX queue over all ports
  // in order (port 0's queues first), so its size must equal the sum of
  // ports[*].rx_queues. No id twice, none equal to main_lcore. Default [1].
  std::vector<unsigned> worker_lcores = {1};
  // YAML `lcores.main`: the EAL main lcore (0..127), which runs the export side and
  // the control API rather than an RX loop. Default 0.
  unsigned main_lcore = 0;
  // YAML `lcores.cpus`: the CPU each lcore runs on, main first, then the workers in
  // order (so 1 + workers entries). Empty (the default): each lcore runs on the CPU of
  // the same number. Lets two lcores share a CPU, e.g. the main lcore and a worker on
  // a 2-CPU machine: main 0, workers [1, 2], cpus [0, 1, 0].
  std::vector<unsigned> lcore_cpus;

  // YAML `decoders`: UDP destination port (1..65535) -> decoder name. Packets to
  // other ports are dropped and counted. The name is checked by ingestd against its
  // decoder registry; here it only has to be non-empty. At least one entry. Setting
  // the key replaces the default rather than adding to it. Default {8125: "statsd"}.
  std::map<uint16_t, std::string> udp_decoders = {{8125, "statsd"}};

  // YAML `batch`: see BatchLimits.
  BatchLimits batch;

  // YAML `handoff_ring_batches`: capacity of each worker's ring of finished batches
  // towards the export side, a power of two in 2..65536. When it is full a batch is
  // dropped and counted. Default 64.
  uint32_t handoff_ring_batches = 64;

  // YAML `mempool.mbufs_per_queue`: mbufs in each RX queue's mempool, 1023..16777215
  // and at least rx_descriptors + 1.5 x mbuf_cache + 32 for every port: enough to
  // fill the RX ring with the worker's cache full and one burst in flight, or the
  // queue starves. 2^n - 1 uses memory best. Default 8191.
  uint32_t mbufs_per_queue = 8191;
  // YAML `mempool.cache`: per-lcore mempool cache, 0..512 (DPDK's maximum).
  // Default 256.
  uint32_t mbuf_cache = 256;

  // YAML `grpc.listen`: "host:port" the Ingest gRPC service listens on; "[::]:port"
  // or "0.0.0.0:port" for every address. Default "127.0.0.1:50051".
  std::string grpc_listen = "127.0.0.1:50051";
  // YAML `grpc.subscriber_queue_batches`: batches queued per subscriber before the
  // oldest are dropped and reported in a Gap notice, 1..65536. Default 256.
  uint32_t subscriber_queue_batches = 256;
  // YAML `grpc.subscriber_queue_bytes`: the most bytes of encoded batches queued per
  // subscriber, 65536..17179869184 (16 GiB); past it the oldest are dropped (or the
  // stream ends) as for a full queue. A queue always takes one batch, however large.
  // It bounds what a slow subscriber keeps alive after the replay ring has let go,
  // whatever batch.max_bytes is. Default 67108864 (64 MiB: 256 batches of the default
  // 256 KiB maximum).
  uint64_t subscriber_queue_bytes = 64ull << 20;
  // YAML `grpc.slow_subscriber`: what a full subscriber queue does: "drop_oldest" (drop
  // the oldest batch, tell the subscriber exactly what it lost in a Gap notice) or
  // "disconnect" (end its stream with RESOURCE_EXHAUSTED; it resumes from its last
  // batch, usually still in the replay ring). Default "drop_oldest".
  std::string slow_subscriber = "drop_oldest";
  // YAML `grpc.replay_bytes`: memory for the replay ring of recent batches that resuming
  // subscribers are served from, 0..17179869184 (16 GiB); 0 keeps none (resumes then
  // only learn exactly what they missed). Default 67108864 (64 MiB).
  uint64_t replay_bytes = 64ull << 20;
  // YAML `grpc.heartbeat_ms`: a stream idle this long gets a Heartbeat notice,
  // 100..60000. Default 1000.
  uint32_t heartbeat_ms = 1000;
  // YAML `grpc.insecure`: serve plaintext on a non-loopback grpc.listen. Plaintext is
  // refused there unless asked for explicitly; on 127.0.0.0/8 or ::1 it is the default
  // because nothing leaves the host. Cannot be combined with grpc.tls. Default false.
  bool grpc_insecure = false;
  // YAML `grpc.tls`: TLS for the gRPC listener, PEM file paths. `cert` and `key` are
  // required together; `client_ca` (optional) turns on mutual TLS: clients must present
  // a certificate that chains to it and is within its validity period.
  struct Tls {
    std::string cert;
    std::string key;
    std::string client_ca;
  };
  Tls grpc_tls;
  // YAML `grpc.tokens`: per-consumer bearer tokens. When the list is non-empty, every
  // Subscribe must carry `authorization: Bearer <token>`. Each entry: `name` (the
  // consumer, [A-Za-z0-9._-]{1,64}, shown in logs and metrics), `token_file` (a file
  // holding the secret; surrounding whitespace is ignored; read at start-up so secrets
  // stay out of the config) and `kinds` (record kinds it may read: statsd, flow,
  // line_protocol; empty or absent = all). Default none.
  struct Token {
    std::string name;
    std::string token_file;
    std::vector<std::string> kinds;
  };
  std::vector<Token> grpc_tokens;
  // YAML `grpc.epoch_file`: where a node running without election keeps its epoch.
  // Each start reads it, adds one, and writes it back before serving, so a restarted
  // node never reuses an (epoch, seq) pair and subscribers can resume across the
  // restart. Empty: epoch 1 at every start (resume across restarts then cannot tell
  // the old stream from the new). Default empty.
  std::string epoch_file;

  // YAML `metrics.listen`: "host:port" of the Prometheus /metrics endpoint; empty
  // disables it. Must not clash with grpc.listen. Default "127.0.0.1:9100".
  std::string metrics_listen = "127.0.0.1:9100";

  // YAML `backend`: "dpdk" (default) takes packets off the ports above through DPDK;
  // "kernel" receives the decoders' UDP ports through ordinary sockets instead (for
  // hosts without a DPDK-capable NIC, and for development). With "kernel", `ports`,
  // `lcores`, `eal` and `mempool` are not used and `ports` may be omitted.
  enum class Backend { kDpdk, kKernel };
  Backend backend = Backend::kDpdk;
  struct KernelBackend {
    // YAML `kernel.bind_address`: IPv4 or IPv6 address the sockets bind to.
    // Default "0.0.0.0".
    std::string bind_address = "0.0.0.0";
    // YAML `kernel.workers`: receive threads, 1..64; each opens one SO_REUSEPORT
    // socket per decoder port and the kernel spreads flows over them. Default 1.
    uint32_t workers = 1;
    // YAML `kernel.rcvbuf_bytes`: SO_RCVBUF per socket, 65536..1073741824. Datagrams
    // the kernel drops when it is full are counted as drops "kernel_rcvbuf".
    // Default 8388608 (8 MiB).
    uint32_t rcvbuf_bytes = 8 << 20;
    // YAML `kernel.recv_batch`: datagrams per recvmmsg call, 1..256. Default 64.
    uint32_t recv_batch = 64;
    // YAML `kernel.coalesce_us`: after a receive that found several datagrams waiting
    // and drained the socket, wait this long for more to gather before the next, 0..1000;
    // 0 never waits. Never longer than batch.max_delay_us. Default 50.
    uint32_t coalesce_us = 50;
  };
  KernelBackend kernel;
};

// Reads and validates the config file at `path`. Errors name `path`:
//   NotFound / PermissionDenied / ...: the file cannot be read;
//   InvalidArgument: YAML syntax error ("path:line:column: ...") or an invalid field.
absl::StatusOr<IngestConfig> LoadIngestConfig(const std::string& path);

// Parses and validates config text; `source_name` is the file name errors start with.
absl::StatusOr<IngestConfig> ParseIngestConfig(std::string_view yaml_text,
                                               std::string_view source_name);

// Checks every value and cross-field rule of `config` (the checks ParseIngestConfig
// runs after reading the YAML), for configs built or modified in code, e.g. by
// command-line overrides. Errors read like the loader's, prefixed by `source_name`.
absl::Status ValidateIngestConfig(const IngestConfig& config, std::string_view source_name);

}  // namespace firehose::config

#endif  // FIREHOSE_NODE_CONFIG_INGEST_CONFIG_H_
