// The preflight checks; see preflight.h for what is checked and why.
#include "controlplane/preflight/preflight.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "controlplane/hostfs/host_fs.h"

namespace firehose::preflight {
namespace {

using hostfs::HostFs;

constexpr uint64_t kMiB = 1 << 20;
// One mbuf in a DPDK mempool: the 128-byte rte_mbuf, the default 2176-byte data room
// (RTE_MBUF_DEFAULT_BUF_SIZE) and the mempool's per-object header and padding.
constexpr uint64_t kMbufFootprint = 128 + 2176 + 128;
// An RX descriptor plus its software ring entry, generously: PMDs differ.
constexpr uint64_t kRxDescriptorFootprint = 64;
// EAL's own memzones, malloc heap headers and per-lcore data: observed well under this.
constexpr uint64_t kEalOverhead = 64 * kMiB;
// Drivers that keep the kernel netdev and let DPDK share the device ("bifurcated"):
// they need neither vfio-pci nor an IOMMU group of their own.
const std::set<std::string>& BifurcatedDrivers() {
  static const auto* kDrivers = new std::set<std::string>{"mlx5_core", "mlx4_core"};
  return *kDrivers;
}
// DPDK-capable but without DMA isolation.
const std::set<std::string>& UioDrivers() {
  static const auto* kDrivers = new std::set<std::string>{"igb_uio", "uio_pci_generic"};
  return *kDrivers;
}

uint64_t NextPowerOfTwo(uint64_t v) {
  uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

std::string MiB(uint64_t bytes) { return absl::StrCat((bytes + kMiB - 1) / kMiB, " MiB"); }

std::string PciDir(const std::string& address) {
  return absl::StrCat("sys/bus/pci/devices/", address);
}

std::string BindFix(const std::string& address) {
  return absl::StrCat("run `ingestctl nic bind ", address, "` or dpdk-devbind.py -b vfio-pci ",
                      address);
}

struct EalMemory {
  bool no_huge = false;
  bool in_memory = false;
  std::optional<uint64_t> total_mib;                // -m
  std::optional<std::vector<uint64_t>> socket_mib;  // --socket-mem
};

EalMemory ParseEalMemory(const std::vector<std::string>& args) {
  EalMemory mem;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    // EAL (getopt_long) takes both "--opt value" and "--opt=value".
    auto value_of = [&](absl::string_view opt) -> std::optional<std::string> {
      if (arg == opt && i + 1 < args.size()) return args[++i];
      absl::string_view rest(arg);
      if (absl::ConsumePrefix(&rest, absl::StrCat(opt, "="))) return std::string(rest);
      return std::nullopt;
    };
    if (arg == "--no-huge") {
      mem.no_huge = true;
    } else if (arg == "--in-memory") {
      mem.in_memory = true;
    } else if (auto m = value_of("-m")) {
      uint64_t mib = 0;
      if (absl::SimpleAtoi(*m, &mib)) mem.total_mib = mib;
    } else if (auto sm = value_of("--socket-mem")) {
      std::vector<uint64_t> per_node;
      for (absl::string_view part : absl::StrSplit(*sm, ',')) {
        uint64_t mib = 0;
        per_node.push_back(absl::SimpleAtoi(part, &mib) ? mib : 0);
      }
      mem.socket_mib = std::move(per_node);
    }
  }
  return mem;
}

// The NUMA node of a PCI device; -1 when the machine is not NUMA or it is unknown.
int PciNumaNode(const HostFs& fs, const std::string& address) {
  int node = -1;
  auto text = fs.ReadTrimmed(PciDir(address) + "/numa_node");
  if (!text.ok() || !absl::SimpleAtoi(*text, &node)) return -1;
  return node;
}

// The NUMA node of a CPU from cpuN/nodeM entries; nullopt when sysfs does not say.
std::optional<int> CpuNumaNode(const HostFs& fs, unsigned cpu) {
  for (const std::string& entry : fs.List(absl::StrCat("sys/devices/system/cpu/cpu", cpu))) {
    int node = 0;
    if (absl::StartsWith(entry, "node") && absl::SimpleAtoi(entry.substr(4), &node)) return node;
  }
  // Older kernels: only node/nodeM/cpulist says it.
  for (const std::string& entry : fs.List("sys/devices/system/node")) {
    int node = 0;
    if (!absl::StartsWith(entry, "node") || !absl::SimpleAtoi(entry.substr(4), &node)) continue;
    auto list = fs.ReadTrimmed(absl::StrCat("sys/devices/system/node/", entry, "/cpulist"));
    if (!list.ok()) continue;
    auto cpus = hostfs::ParseCpuList(*list);
    if (cpus && cpus->count(cpu)) return node;
  }
  return std::nullopt;
}

// CPUs of node `node` as a kernel list, for fix hints; "" when unknown.
std::string NodeCpuList(const HostFs& fs, int node) {
  auto list = fs.ReadTrimmed(absl::StrCat("sys/devices/system/node/node", node, "/cpulist"));
  return list.ok() ? *list : "";
}

// Value of a kernel command-line parameter ("isolcpus=..."), without flags such as
// "domain," or "managed_irq," that isolcpus accepts before the list.
std::optional<std::set<unsigned>> CmdlineCpus(const std::string& cmdline, absl::string_view key) {
  for (absl::string_view word : absl::StrSplit(cmdline, ' ', absl::SkipEmpty())) {
    if (!absl::ConsumePrefix(&word, absl::StrCat(key, "="))) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(word, ',');
    std::vector<absl::string_view> cpu_parts;
    for (absl::string_view part : parts) {
      if (!part.empty() && absl::ascii_isdigit(static_cast<unsigned char>(part[0]))) {
        cpu_parts.push_back(part);
      }
    }
    return hostfs::ParseCpuList(absl::StrJoin(cpu_parts, ","));
  }
  return std::nullopt;
}

class Checker {
 public:
  Checker(const config::IngestConfig& config, const Options& options)
      : config_(config), fs_(options.root) {}

  Report Run() {
    std::vector<std::string> pci;
    for (const config::PortConfig& port : config_.ports) {
      if (auto address = hostfs::NormalizePciAddress(port.device)) pci.push_back(*address);
    }
    std::map<std::string, int> numa;
    for (const std::string& address : pci) numa[address] = PciNumaNode(fs_, address);

    CheckHugepages(numa);
    bool needs_vfio = false;
    for (const std::string& address : pci) needs_vfio |= CheckPciDevice(address);
    if (needs_vfio) CheckVfioModule();
    CheckLcores(numa);
    return std::move(report_);
  }

 private:
  void Add(std::string name, std::string subject, Verdict verdict, bool required,
           std::string detail, std::string fix = "") {
    report_.checks.push_back(Check{std::move(name), std::move(subject), verdict, required,
                                   std::move(detail), std::move(fix)});
  }

  // Free hugepage bytes on `node` per page size ("2048kB" -> bytes), and a
  // description of them. Node -1 or a machine without per-node counts: the global pool.
  std::pair<uint64_t, std::string> FreeHugepages(int node, bool per_node) {
    const std::string dir = per_node
                                ? absl::StrCat("sys/devices/system/node/node", node, "/hugepages")
                                : std::string("sys/kernel/mm/hugepages");
    uint64_t free_bytes = 0;
    std::vector<std::string> sizes;
    for (const std::string& entry : fs_.List(dir)) {
      absl::string_view size_text(entry);
      uint64_t kib = 0;
      if (!absl::ConsumePrefix(&size_text, "hugepages-") ||
          !absl::ConsumeSuffix(&size_text, "kB") || !absl::SimpleAtoi(size_text, &kib)) {
        continue;
      }
      uint64_t free_pages = 0;
      uint64_t total_pages = 0;
      auto free_text = fs_.ReadTrimmed(absl::StrCat(dir, "/", entry, "/free_hugepages"));
      auto total_text = fs_.ReadTrimmed(absl::StrCat(dir, "/", entry, "/nr_hugepages"));
      if (free_text.ok()) absl::SimpleAtoi(*free_text, &free_pages);
      if (total_text.ok()) absl::SimpleAtoi(*total_text, &total_pages);
      free_bytes += free_pages * kib * 1024;
      sizes.push_back(absl::StrCat(kib, "kB ", free_pages, "/", total_pages, " free"));
    }
    return {free_bytes, sizes.empty() ? "no hugepage sizes" : absl::StrJoin(sizes, ", ")};
  }

  void CheckHugepages(const std::map<std::string, int>& numa) {
    const EalMemory mem = ParseEalMemory(config_.eal_args);
    if (mem.no_huge) return;  // EAL runs on 4 KiB pages: nothing to reserve.
    const bool per_node = fs_.Exists("sys/devices/system/node/node0/hugepages");
    for (const auto& [node, need] : HugepageNeeds(config_, numa)) {
      const int where = per_node ? std::max(node, 0) : -1;
      auto [free_bytes, sizes] = FreeHugepages(where, per_node);
      const std::string subject = per_node ? absl::StrCat("node ", where) : "host";
      const std::string detail =
          absl::StrCat("needs ", MiB(need), ", ", MiB(free_bytes), " free (", sizes, ")");
      if (free_bytes >= need) {
        Add("hugepages", subject, Verdict::kPass, true, detail);
      } else {
        const uint64_t pages = (need - free_bytes + 2 * kMiB - 1) / (2 * kMiB);
        const std::string target =
            per_node ? absl::StrCat("/sys/devices/system/node/node", where,
                                    "/hugepages/hugepages-2048kB/nr_hugepages")
                     : std::string("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages");
        Add("hugepages", subject, Verdict::kFail, true, detail,
            absl::StrCat("reserve at least ", pages, " more 2 MiB pages on ", subject, ": raise ",
                         target, " (or hugepages= on the kernel command line)"));
      }
    }

    // EAL maps hugepages through a hugetlbfs mount, except in --in-memory mode where it
    // can use memfd on kernels that support it; there a missing mount only warns.
    std::vector<std::string> mounts;
    if (auto text = fs_.ReadTrimmed("proc/mounts"); text.ok()) {
      for (absl::string_view line : absl::StrSplit(*text, '\n')) {
        std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
        if (fields.size() >= 4 && fields[2] == "hugetlbfs") {
          mounts.push_back(absl::StrCat(fields[1], " (", fields[3], ")"));
        }
      }
    }
    if (!mounts.empty()) {
      Add("hugetlbfs", "host", Verdict::kPass, !mem.in_memory,
          absl::StrCat("mounted at ", absl::StrJoin(mounts, ", ")));
    } else {
      Add("hugetlbfs", "host", mem.in_memory ? Verdict::kWarn : Verdict::kFail, !mem.in_memory,
          "no hugetlbfs mount in /proc/mounts",
          "run `mount -t hugetlbfs nodev /dev/hugepages` (and add it to /etc/fstab)");
    }
  }

  // Checks one configured PCI device; returns whether it needs vfio (bound or to be
  // bound to vfio-pci rather than a bifurcated driver).
  bool CheckPciDevice(const std::string& address) {
    const std::string dir = PciDir(address);
    if (!fs_.Exists(dir)) {
      Add("pci_device", address, Verdict::kFail, true, "no such PCI device",
          absl::StrCat(address,
                       " is not on this machine: check `lspci -D` and ports[].device "
                       "in the config"));
      return false;
    }
    Add("pci_device", address, Verdict::kPass, true, "present");

    const std::optional<std::string> driver = fs_.LinkBasename(dir + "/driver");
    if (driver && BifurcatedDrivers().count(*driver)) {
      Add("driver", address, Verdict::kPass, true,
          absl::StrCat("bound to ", *driver, " (bifurcated: DPDK shares it with the kernel)"));
      return false;
    }
    if (driver == "vfio-pci") {
      Add("driver", address, Verdict::kPass, true, "bound to vfio-pci");
    } else if (driver && UioDrivers().count(*driver)) {
      Add("driver", address, Verdict::kWarn, true,
          absl::StrCat("bound to ", *driver, ", which gives DPDK no DMA isolation"),
          BindFix(address));
    } else {
      Add("driver", address, Verdict::kFail, true,
          driver ? absl::StrCat("bound to ", *driver, ", a kernel driver DPDK cannot use")
                 : std::string("bound to no driver"),
          absl::StrCat(address, " is bound to ", driver.value_or("nothing"), ": ",
                       BindFix(address)));
    }
    CheckIommuGroup(address);
    return true;
  }

  bool NoIommuMode() {
    auto mode = fs_.ReadTrimmed("sys/module/vfio/parameters/enable_unsafe_noiommu_mode");
    return mode.ok() && (*mode == "Y" || *mode == "1");
  }

  void CheckIommuGroup(const std::string& address) {
    const std::optional<std::string> group = fs_.LinkBasename(PciDir(address) + "/iommu_group");
    if (!group) {
      if (NoIommuMode()) {
        Add("iommu_group", address, Verdict::kWarn, true,
            "no IOMMU group; vfio runs in unsafe no-IOMMU mode",
            "enable the IOMMU (VT-d/AMD-Vi in firmware, intel_iommu=on iommu=pt)");
      } else {
        Add("iommu_group", address, Verdict::kFail, true,
            "no IOMMU group: the IOMMU is off, vfio-pci cannot take the device",
            absl::StrCat("enable VT-d/AMD-Vi in firmware and boot with intel_iommu=on iommu=pt "
                         "(amd_iommu=on on AMD), then bind ",
                         address));
      }
      return;
    }
    // vfio hands out whole groups: every other member must be unbound, on vfio-pci, or
    // a PCI bridge (class 0x0604), or the group cannot be opened.
    std::vector<std::string> blockers;
    std::string first_blocker;
    for (const std::string& member :
         fs_.List(absl::StrCat("sys/kernel/iommu_groups/", *group, "/devices"))) {
      if (member == address) continue;
      const std::optional<std::string> driver = fs_.LinkBasename(PciDir(member) + "/driver");
      if (!driver || *driver == "vfio-pci") continue;
      auto device_class = fs_.ReadTrimmed(PciDir(member) + "/class");
      if (device_class.ok() && absl::StartsWith(*device_class, "0x0604")) continue;
      if (first_blocker.empty()) first_blocker = member;
      blockers.push_back(absl::StrCat(member, " (", *driver, ")"));
    }
    if (blockers.empty()) {
      Add("iommu_group", address, Verdict::kPass, true,
          absl::StrCat("IOMMU group ", *group, " viable"));
    } else {
      Add("iommu_group", address, Verdict::kFail, true,
          absl::StrCat("IOMMU group ", *group, " also holds ", absl::StrJoin(blockers, ", "),
                       " on a kernel driver"),
          absl::StrCat("bind every device of IOMMU group ", *group,
                       " to vfio-pci (`ingestctl nic "
                       "bind ",
                       first_blocker, "`) or move ", address, " to a slot with its own group"));
    }
  }

  void CheckVfioModule() {
    if (fs_.Exists("sys/module/vfio_pci")) {
      Add("vfio_module", "host", Verdict::kPass, true, "vfio-pci loaded");
    } else {
      Add("vfio_module", "host", Verdict::kFail, true, "vfio-pci module not loaded",
          "run `modprobe vfio-pci` and add vfio-pci to /etc/modules-load.d/");
    }
    if (NoIommuMode()) {
      Add("noiommu", "host", Verdict::kWarn, false,
          "vfio runs in unsafe no-IOMMU mode: a device can DMA anywhere in memory",
          "enable the IOMMU (intel_iommu=on iommu=pt) and set "
          "vfio.enable_unsafe_noiommu_mode=0");
    } else {
      Add("noiommu", "host", Verdict::kPass, false, "no-IOMMU mode off");
    }
  }

  void CheckLcores(const std::map<std::string, int>& numa) {
    std::optional<std::set<unsigned>> online;
    if (auto text = fs_.ReadTrimmed("sys/devices/system/cpu/online"); text.ok()) {
      online = hostfs::ParseCpuList(*text);
    }
    std::set<unsigned> isolated;
    if (auto text = fs_.ReadTrimmed("sys/devices/system/cpu/isolated"); text.ok()) {
      isolated = hostfs::ParseCpuList(*text).value_or(std::set<unsigned>{});
    }
    std::set<unsigned> nohz;
    if (auto cmdline = fs_.ReadTrimmed("proc/cmdline"); cmdline.ok()) {
      if (auto cpus = CmdlineCpus(*cmdline, "isolcpus"))
        isolated.insert(cpus->begin(), cpus->end());
      if (auto cpus = CmdlineCpus(*cmdline, "nohz_full")) nohz = *cpus;
    }

    // The CPU lcore `index` (0 = main, then the workers) runs on: lcores.cpus when set,
    // else the CPU of the same number. The checks below are about CPUs.
    auto cpu_of = [&](size_t index, unsigned lcore) {
      return index < config_.lcore_cpus.size() ? config_.lcore_cpus[index] : lcore;
    };
    // Workers poll queues in port order; remember which port each one serves.
    std::vector<std::pair<unsigned, const config::PortConfig*>> workers;
    size_t next = 0;
    for (const config::PortConfig& port : config_.ports) {
      for (int q = 0; q < port.rx_queues && next < config_.worker_lcores.size(); ++q) {
        workers.emplace_back(cpu_of(next + 1, config_.worker_lcores[next]), &port);
        ++next;
      }
    }

    std::set<unsigned> all = {cpu_of(0, config_.main_lcore)};
    for (const auto& [lcore, port] : workers) all.insert(lcore);
    for (unsigned lcore : all) {
      const std::string subject = absl::StrCat("lcore ", lcore);
      if (!online) {
        Add("lcore_online", subject, Verdict::kWarn, true,
            "cannot read /sys/devices/system/cpu/online");
      } else if (online->count(lcore)) {
        Add("lcore_online", subject, Verdict::kPass, true, "online");
      } else {
        Add("lcore_online", subject, Verdict::kFail, true,
            absl::StrCat("CPU ", lcore, " is not online (online: ", hostfs::FormatCpuList(*online),
                         ")"),
            absl::StrCat("pick lcores.main/lcores.workers from ", hostfs::FormatCpuList(*online),
                         " or bring CPU ", lcore, " online"));
      }
    }

    std::set<unsigned> not_isolated;
    for (const auto& [lcore, port] : workers) {
      if (!isolated.count(lcore) && !nohz.count(lcore)) not_isolated.insert(lcore);
    }
    for (const auto& [lcore, port] : workers) {
      const std::string subject = absl::StrCat("lcore ", lcore);
      if (!not_isolated.count(lcore)) {
        std::vector<std::string> how;
        if (isolated.count(lcore)) how.push_back("isolcpus");
        if (nohz.count(lcore)) how.push_back("nohz_full");
        Add("lcore_isolated", subject, Verdict::kPass, false,
            absl::StrCat("isolated (", absl::StrJoin(how, ", "), ")"));
      } else {
        const std::string list = hostfs::FormatCpuList(not_isolated);
        Add("lcore_isolated", subject, Verdict::kWarn, false,
            "shares its CPU with the kernel scheduler: expect jitter and drops",
            absl::StrCat("boot with isolcpus=", list, " nohz_full=", list, " rcu_nocbs=", list));
      }

      const std::optional<std::string> address = hostfs::NormalizePciAddress(port->device);
      if (!address) continue;  // virtual devices have no NUMA home
      const int nic_node = numa.at(*address);
      const std::optional<int> cpu_node = CpuNumaNode(fs_, lcore);
      if (nic_node < 0 || !cpu_node) continue;  // not a NUMA machine
      if (*cpu_node == nic_node) {
        Add("lcore_numa", subject, Verdict::kPass, false,
            absl::StrCat("node ", nic_node, ", same as ", *address));
      } else {
        const std::string cpus = NodeCpuList(fs_, nic_node);
        Add("lcore_numa", subject, Verdict::kWarn, false,
            absl::StrCat("on node ", *cpu_node, ", ", *address, " on node ", nic_node,
                         ": every packet crosses the socket interconnect"),
            absl::StrCat("use worker lcores on node ", nic_node,
                         cpus.empty() ? "" : absl::StrCat(" (CPUs ", cpus, ")"), " for ",
                         *address));
      }
    }
  }

  const config::IngestConfig& config_;
  HostFs fs_;
  Report report_;
};

}  // namespace

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kWarn:
      return "warn";
    case Verdict::kFail:
      return "fail";
  }
  return "?";
}

bool Report::ok() const { return CountVerdict(Verdict::kFail) == 0; }

int Report::CountVerdict(Verdict verdict) const {
  return static_cast<int>(std::count_if(checks.begin(), checks.end(),
                                        [&](const Check& c) { return c.verdict == verdict; }));
}

std::map<int, uint64_t> HugepageNeeds(const config::IngestConfig& config,
                                      const std::map<std::string, int>& pci_numa_nodes) {
  std::map<int, uint64_t> needs;
  const EalMemory mem = ParseEalMemory(config.eal_args);
  if (mem.no_huge || config.ports.empty()) return needs;
  // Virtual devices and NICs without a NUMA node get their pools on node 0.
  auto node_of = [&](const config::PortConfig& port) {
    auto address = hostfs::NormalizePciAddress(port.device);
    if (!address) return 0;
    auto it = pci_numa_nodes.find(*address);
    return it == pci_numa_nodes.end() ? 0 : std::max(it->second, 0);
  };
  if (mem.socket_mib) {
    for (size_t node = 0; node < mem.socket_mib->size(); ++node) {
      if ((*mem.socket_mib)[node] > 0) needs[node] = (*mem.socket_mib)[node] * kMiB;
    }
    return needs;
  }
  if (mem.total_mib) {
    needs[node_of(config.ports.front())] = *mem.total_mib * kMiB;
    return needs;
  }
  for (const config::PortConfig& port : config.ports) {
    const uint64_t per_queue = config.mbufs_per_queue * kMbufFootprint +
                               NextPowerOfTwo(config.mbufs_per_queue + 1) * sizeof(void*) +
                               port.rx_descriptors * kRxDescriptorFootprint;
    needs[node_of(port)] += per_queue * port.rx_queues;
  }
  // The hand-off rings of finished batches and EAL's own allocations live with the
  // first port's pools.
  needs[node_of(config.ports.front())] +=
      kEalOverhead +
      config.worker_lcores.size() * NextPowerOfTwo(config.handoff_ring_batches) * sizeof(void*) * 2;
  return needs;
}

Report RunPreflight(const config::IngestConfig& config, const Options& options) {
  // The kernel socket backend uses none of what the checks look at (hugepages, vfio,
  // bound NICs, isolated lcores). One passing line says so, so `ingestctl preflight`,
  // controld and the units' start gate agree with ingestd, which skips them too.
  if (config.backend == config::IngestConfig::Backend::kKernel) {
    Report report;
    report.checks.push_back(Check{"backend", "host", Verdict::kPass, /*required=*/true,
                                  "kernel socket backend: no hugepages, vfio or isolated CPUs "
                                  "needed",
                                  ""});
    return report;
  }
  return Checker(config, options).Run();
}

}  // namespace firehose::preflight
