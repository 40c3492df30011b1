// Bringing up one ethdev port for receive: mempools on the port's NUMA socket, N RX
// queues (RSS when there is more than one and the device supports it), one TX queue per
// RX queue for the answers the lcores will send (ARP, ICMP), start, promiscuous mode.
#ifndef FIREHOSE_NODE_DATAPLANE_PORT_H_
#define FIREHOSE_NODE_DATAPLANE_PORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "node/config/ingest_config.h"

struct rte_mempool;

namespace firehose::dataplane {

struct PortQueues {
  uint16_t port_id = 0;
  std::string name;
  int socket_id = 0;
  uint16_t rx_queues = 0;
  uint16_t tx_queues = 0;           // queue q is worker q's, for ARP/ICMP answers
  std::vector<rte_mempool*> pools;  // one per RX queue
};

// Finds the port for `port_config.device` (attached by EAL from the config) and starts
// it. `index` numbers the port in the config, for mempool names.
absl::StatusOr<PortQueues> StartPort(const config::PortConfig& port_config, int index,
                                     uint32_t mbufs_per_queue, uint32_t mbuf_cache);

// Stops and closes the port and frees its mempools.
void StopPort(PortQueues& port);

}  // namespace firehose::dataplane

#endif  // FIREHOSE_NODE_DATAPLANE_PORT_H_
