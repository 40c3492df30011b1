// Port bring-up for receive; see the header.
#include "node/dataplane/port.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/dataplane/eal.h"
#include "spdlog/spdlog.h"

namespace firehose::dataplane {
namespace {

absl::Status EthError(const std::string& name, const char* what, int rc) {
  return absl::InternalError(
      absl::StrCat("port ", name, ": ", what, " failed: ", rte_strerror(-rc)));
}

}  // namespace

absl::StatusOr<PortQueues> StartPort(const config::PortConfig& port_config, int index,
                                     uint32_t mbufs_per_queue, uint32_t mbuf_cache) {
  PortQueues port;
  port.name = EthdevName(port_config.device);
  if (rte_eth_dev_get_port_by_name(port.name.c_str(), &port.port_id) != 0) {
    return absl::NotFoundError(absl::StrCat(
        "port ", port.name, ": no such ethdev (device string \"", port_config.device,
        "\"); a PCI device must be bound to vfio-pci, a vdev string must name a DPDK "
        "virtual driver such as net_pcap0,rx_pcap=FILE"));
  }
  rte_eth_dev_info info;
  if (int rc = rte_eth_dev_info_get(port.port_id, &info); rc != 0) {
    return EthError(port.name, "rte_eth_dev_info_get", rc);
  }
  port.socket_id = rte_eth_dev_socket_id(port.port_id);
  if (port.socket_id < 0) port.socket_id = 0;  // virtual devices have no NUMA home
  port.rx_queues = port_config.rx_queues;
  if (port.rx_queues > info.max_rx_queues) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "port %s: %d RX queues requested but the device supports %d", port.name,
        port.rx_queues, info.max_rx_queues));
  }

  rte_eth_conf conf = {};
  if (port.rx_queues > 1) {
    const uint64_t rss = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
    if (rss != 0) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = rss;
    } else {
      spdlog::warn("port {}: device has no RSS; {} RX queues will not share flows evenly",
                   port.name, port.rx_queues);
    }
  }
  // With UDP checksum validation on, let the NIC check (the worker reads its verdict
  // from the mbuf and falls back to software when there is none).
  if (port_config.validate_udp_checksum &&
      (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_UDP_CKSUM) != 0) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
  }
  const uint16_t tx_queues = std::min<uint16_t>(port.rx_queues, info.max_tx_queues);
  port.tx_queues = tx_queues;
  if (int rc = rte_eth_dev_configure(port.port_id, port.rx_queues, tx_queues, &conf);
      rc != 0) {
    return EthError(port.name, "rte_eth_dev_configure", rc);
  }
  uint16_t rx_desc = port_config.rx_descriptors;
  uint16_t tx_desc = 512;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(port.port_id, &rx_desc, &tx_desc); rc != 0) {
    return EthError(port.name, "rte_eth_dev_adjust_nb_rx_tx_desc", rc);
  }

  for (uint16_t q = 0; q < port.rx_queues; ++q) {
    const std::string pool_name = absl::StrFormat("fh_p%d_q%d", index, q);
    rte_mempool* pool =
        rte_pktmbuf_pool_create(pool_name.c_str(), mbufs_per_queue, mbuf_cache, 0,
                                RTE_MBUF_DEFAULT_BUF_SIZE, port.socket_id);
    if (pool == nullptr) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "port %s queue %d: cannot create a mempool of %d mbufs on socket %d: %s "
          "(reserve more hugepages, or lower mempool.mbufs_per_queue)",
          port.name, q, mbufs_per_queue, port.socket_id, rte_strerror(rte_errno)));
    }
    port.pools.push_back(pool);
    if (int rc = rte_eth_rx_queue_setup(port.port_id, q, rx_desc, port.socket_id, nullptr,
                                        pool);
        rc != 0) {
      return EthError(port.name, "rte_eth_rx_queue_setup", rc);
    }
  }
  for (uint16_t q = 0; q < tx_queues; ++q) {
    if (int rc = rte_eth_tx_queue_setup(port.port_id, q, tx_desc, port.socket_id, nullptr);
        rc != 0) {
      return EthError(port.name, "rte_eth_tx_queue_setup", rc);
    }
  }
  if (int rc = rte_eth_dev_start(port.port_id); rc != 0) {
    return EthError(port.name, "rte_eth_dev_start", rc);
  }
  if (rte_eth_promiscuous_enable(port.port_id) != 0) {
    spdlog::warn("port {}: promiscuous mode not supported; only frames to its MAC arrive",
                 port.name);
  }
  spdlog::info("port {} (id {}) started: {} RX queues x {} descriptors, socket {}, driver {}",
               port.name, port.port_id, port.rx_queues, rx_desc, port.socket_id,
               info.driver_name);
  return port;
}

void StopPort(PortQueues& port) {
  rte_eth_dev_stop(port.port_id);
  rte_eth_dev_close(port.port_id);
  for (rte_mempool* pool : port.pools) rte_mempool_free(pool);
  port.pools.clear();
}

}  // namespace firehose::dataplane
