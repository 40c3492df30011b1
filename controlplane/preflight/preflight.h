// Preflight: is this machine fit to run ingestd with this config?
//
// Reads sysfs/procfs under a configurable root (see hostfs::HostFs) and checks what the
// config needs: hugepages per size and NUMA node against the mempools and rings it
// will create, a hugetlbfs mount, each configured PCI device present and bound to
// vfio-pci (or a bifurcated driver such as mlx5_core), the vfio-pci module, the
// device's IOMMU group, unsafe no-IOMMU mode, and the lcores (online, isolated, on the
// NIC's NUMA node). Every check names its subject and, when it does not pass, carries a
// one-line fix naming the device and the command.
//
// Scope follows the config so that virtual-device setups pass untouched: only PCI
// ports get device checks, and hugepage checks apply only when the EAL arguments do
// not include --no-huge.
//
// Where this lives and who calls it: the library has no dependency on DPDK, gRPC or
// the rest of the control plane, only on the config loader, so ingestd's main() links
// it to refuse to start on a failed required check (before EAL init, the only moment it
// can still say why), while controld and `ingestctl preflight` run the same checks for
// operators. The data path (node/*) never includes it.
#ifndef FIREHOSE_CONTROLPLANE_PREFLIGHT_PREFLIGHT_H_
#define FIREHOSE_CONTROLPLANE_PREFLIGHT_PREFLIGHT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "node/config/ingest_config.h"

namespace firehose::preflight {

enum class Verdict { kPass, kWarn, kFail };

// "pass", "warn", "fail".
const char* VerdictName(Verdict verdict);

struct Check {
  // What was checked: "hugepages", "hugetlbfs", "pci_device", "driver", "vfio_module",
  // "iommu_group", "noiommu", "lcore_online", "lcore_isolated", "lcore_numa".
  std::string name;
  // What it was checked for: a PCI address, "lcore 3", "node 0", or "host".
  std::string subject;
  Verdict verdict = Verdict::kPass;
  // A required check that fails stops ingestd; an advisory one only warns (it costs
  // performance or safety margins, not correctness).
  bool required = true;
  // What was found, one line.
  std::string detail;
  // For warn/fail: one line saying what to run or change, naming the device.
  std::string fix;
};

struct Report {
  std::vector<Check> checks;

  // No required check failed: ingestd may start.
  bool ok() const;
  int CountVerdict(Verdict verdict) const;
};

struct Options {
  // Directory that stands for "/"; tests point it at a fixture tree.
  std::string root = "/";
};

// Hugepage memory the config needs, per NUMA node, in bytes. Follows EAL: an explicit
// --socket-mem (MiB per node) or -m (MiB, placed on the NICs' node) wins; otherwise an
// estimate of the RX mempools (one per queue on its NIC's node), their rings, the RX
// descriptor rings and a fixed EAL overhead. Empty with --no-huge.
std::map<int, uint64_t> HugepageNeeds(const config::IngestConfig& config,
                                      const std::map<std::string, int>& pci_numa_nodes);

// Runs every check that applies to `config`. Never fails as a call: unreadable files
// become failed checks saying what could not be read.
Report RunPreflight(const config::IngestConfig& config, const Options& options);

}  // namespace firehose::preflight

#endif  // FIREHOSE_CONTROLPLANE_PREFLIGHT_PREFLIGHT_H_
