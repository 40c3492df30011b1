// Builds fake sysfs/procfs trees under a test's $TEST_TMPDIR, laid out like the kernel's,
// so preflight and `ingestctl nic` run against a machine the test describes rather than
// the one it runs on. The tests never read or write the real /sys or /proc.
//
// GoodMachine() is a two-socket host that passes every preflight check for
// GoodConfig(): CPUs 0-3 on node 0 and 4-7 on node 1, CPUs 2-7 isolated, 1024 free
// 2 MiB pages per node, hugetlbfs mounted, vfio-pci loaded, and these PCI devices:
//   0000:3b:00.0  NIC, node 0, vfio-pci, IOMMU group 40 (alone)  <- the configured port
//   0000:3b:00.1  NIC, node 0, ixgbe, netdev ens1f1, IOMMU group 41, no routes
//   0000:00:03.0  NIC, node 0, virtio-pci, netdev virtio0/net/eth0, IOMMU group 3,
//                 default route
//   0000:00:01.0  PCI bridge, pcieport, IOMMU group 40 (shares the NIC's group)
// Tests then break one thing each (SetDriver, WriteFile, Remove, ...).
#ifndef FIREHOSE_TESTS_CONTROLPLANE_SYSFS_FIXTURE_H_
#define FIREHOSE_TESTS_CONTROLPLANE_SYSFS_FIXTURE_H_

#include <string>

#include "node/config/ingest_config.h"

namespace firehose::testing {

class SysfsFixture {
 public:
  // An empty tree at $TEST_TMPDIR/<name> (removed first if it exists).
  explicit SysfsFixture(const std::string& name);
  // The tree described above.
  static SysfsFixture GoodMachine(const std::string& name);
  // A config that GoodMachine passes: port 0000:3b:00.0, main lcore 0, workers 2 and 3,
  // EAL --in-memory (hugepages needed).
  static config::IngestConfig GoodConfig();

  const std::string& root() const { return root_; }

  // Paths are relative to the root. Parents are created as needed.
  void WriteFile(const std::string& path, const std::string& content);
  void Symlink(const std::string& target, const std::string& path);
  void MakeDir(const std::string& path);
  void Remove(const std::string& path);  // recursively
  std::string ReadFile(const std::string& path) const;

  // A PCI device with class, numa_node, driver_override, an iommu_group link (group < 0:
  // none), a driver link (driver "": none), and a net/<netdev> entry when netdev != "".
  void AddPciDevice(const std::string& address, const std::string& device_class, int numa_node,
                    int iommu_group, const std::string& driver, const std::string& netdev);
  // Re-points the device's driver link ("" removes it), creating the driver's directory
  // with its bind/unbind attributes like the kernel has them.
  void SetDriver(const std::string& address, const std::string& driver);
  void AddDriver(const std::string& driver);

 private:
  std::string root_;
};

}  // namespace firehose::testing

#endif  // FIREHOSE_TESTS_CONTROLPLANE_SYSFS_FIXTURE_H_
