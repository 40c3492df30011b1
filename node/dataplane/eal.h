// Starting and stopping DPDK's Environment Abstraction Layer from the node config.
#ifndef FIREHOSE_NODE_DATAPLANE_EAL_H_
#define FIREHOSE_NODE_DATAPLANE_EAL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "node/config/ingest_config.h"

namespace firehose::dataplane {

// The EAL argument vector for `config`: lcores, main lcore, file prefix, the configured
// extra arguments, and each port as `-a PCI` or `--vdev DEVICE`. Exposed for tests and
// for the log line that shows the operator exactly what EAL was given.
std::vector<std::string> BuildEalArgs(const config::IngestConfig& config,
                                      const std::string& program);

// True when `device` is a PCI address (domain optional), e.g. "0000:3b:00.0".
bool IsPciAddress(const std::string& device);

// The name ethdev knows a device by: the PCI address, or the vdev name before ','.
std::string EthdevName(const std::string& device);

// Where EAL keeps the runtime files of `file_prefix`.
std::string RuntimeDir(const std::string& file_prefix);

// rte_eal_init() with BuildEalArgs(); the error names EAL's reason.
absl::Status InitEal(const config::IngestConfig& config, const std::string& program);

// rte_eal_cleanup(), then removes the prefix's runtime directory.
void CleanupEal();

}  // namespace firehose::dataplane

#endif  // FIREHOSE_NODE_DATAPLANE_EAL_H_
