// Fake sysfs/procfs trees for control-plane tests; see sysfs_fixture.h.
#include "tests/controlplane/sysfs_fixture.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace firehose::testing {
namespace fs = std::filesystem;

SysfsFixture::SysfsFixture(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  root_ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
  fs::remove_all(root_);
  fs::create_directories(root_);
}

void SysfsFixture::WriteFile(const std::string& path, const std::string& content) {
  const fs::path full = fs::path(root_) / path;
  fs::create_directories(full.parent_path());
  std::ofstream(full) << content;
}

void SysfsFixture::Symlink(const std::string& target, const std::string& path) {
  const fs::path full = fs::path(root_) / path;
  fs::create_directories(full.parent_path());
  fs::remove(full);
  fs::create_symlink(target, full);
}

void SysfsFixture::MakeDir(const std::string& path) { fs::create_directories(fs::path(root_) / path); }

void SysfsFixture::Remove(const std::string& path) { fs::remove_all(fs::path(root_) / path); }

std::string SysfsFixture::ReadFile(const std::string& path) const {
  std::ifstream in(fs::path(root_) / path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void SysfsFixture::AddDriver(const std::string& driver) {
  const std::string dir = absl::StrCat("sys/bus/pci/drivers/", driver);
  for (const char* attribute : {"bind", "unbind", "new_id"}) {
    WriteFile(absl::StrCat(dir, "/", attribute), "");
  }
}

void SysfsFixture::SetDriver(const std::string& address, const std::string& driver) {
  const std::string link = absl::StrCat("sys/bus/pci/devices/", address, "/driver");
  Remove(link);
  if (driver.empty()) return;
  AddDriver(driver);
  // The kernel's link is relative: devices/ADDR/driver -> ../../../bus/pci/drivers/NAME.
  Symlink(absl::StrCat("../../../../bus/pci/drivers/", driver), link);
}

void SysfsFixture::AddPciDevice(const std::string& address, const std::string& device_class,
                                int numa_node, int iommu_group, const std::string& driver,
                                const std::string& netdev) {
  const std::string dir = absl::StrCat("sys/bus/pci/devices/", address);
  WriteFile(dir + "/class", device_class + "\n");
  WriteFile(dir + "/vendor", "0x8086\n");
  WriteFile(dir + "/device", "0x10fb\n");
  WriteFile(dir + "/numa_node", absl::StrCat(numa_node, "\n"));
  WriteFile(dir + "/driver_override", "(null)\n");
  if (iommu_group >= 0) {
    const std::string group = absl::StrCat("sys/kernel/iommu_groups/", iommu_group);
    Symlink(absl::StrCat("../../../../kernel/iommu_groups/", iommu_group), dir + "/iommu_group");
    Symlink(absl::StrCat("../../../../bus/pci/devices/", address),
            absl::StrCat(group, "/devices/", address));
  }
  // virtio-net puts its interface under the virtio device, as on this project's VMs.
  if (!netdev.empty()) {
    MakeDir(absl::StrCat(dir, driver == "virtio-pci" ? "/virtio0" : "", "/net/", netdev));
  }
  SetDriver(address, driver);
}

SysfsFixture SysfsFixture::GoodMachine(const std::string& name) {
  SysfsFixture f(name);
  f.WriteFile("proc/cmdline",
              "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on iommu=pt isolcpus=2-7 "
              "nohz_full=2-7 default_hugepagesz=2M\n");
  f.WriteFile("proc/mounts",
              "sysfs /sys sysfs rw,nosuid 0 0\n"
              "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n");
  // Kernel route table: only eth0 carries routes (default and its subnet).
  f.WriteFile("proc/net/route",
              "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
              "eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
              "eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
  f.WriteFile("proc/net/ipv6_route",
              "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
              "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
              "00000000000000000000000000000001 80 00000000000000000000000000000000 00 "
              "00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo\n");
  f.WriteFile("sys/devices/system/cpu/online", "0-7\n");
  f.WriteFile("sys/devices/system/cpu/isolated", "2-7\n");
  for (int cpu = 0; cpu < 8; ++cpu) {
    const int node = cpu < 4 ? 0 : 1;
    f.Symlink(absl::StrCat("../../node/node", node),
              absl::StrCat("sys/devices/system/cpu/cpu", cpu, "/node", node));
  }
  for (int node = 0; node < 2; ++node) {
    const std::string dir = absl::StrCat("sys/devices/system/node/node", node);
    f.WriteFile(dir + "/cpulist", node == 0 ? "0-3\n" : "4-7\n");
    f.WriteFile(dir + "/hugepages/hugepages-2048kB/nr_hugepages", "1024\n");
    f.WriteFile(dir + "/hugepages/hugepages-2048kB/free_hugepages", "1024\n");
    f.WriteFile(dir + "/hugepages/hugepages-1048576kB/nr_hugepages", "0\n");
    f.WriteFile(dir + "/hugepages/hugepages-1048576kB/free_hugepages", "0\n");
  }
  f.WriteFile("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "2048\n");
  f.WriteFile("sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "2048\n");
  f.MakeDir("sys/module/vfio_pci");
  f.WriteFile("sys/module/vfio/parameters/enable_unsafe_noiommu_mode", "N\n");
  f.AddDriver("vfio-pci");
  f.AddPciDevice("0000:3b:00.0", "0x020000", 0, 40, "vfio-pci", "");
  f.AddPciDevice("0000:3b:00.1", "0x020000", 0, 41, "ixgbe", "ens1f1");
  f.AddPciDevice("0000:00:03.0", "0x020000", 0, 3, "virtio-pci", "eth0");
  f.AddPciDevice("0000:00:01.0", "0x060400", 0, 40, "pcieport", "");
  return f;
}

config::IngestConfig SysfsFixture::GoodConfig() {
  config::IngestConfig config;
  config.node_id = "fixture-node";
  config.eal_args = {"--in-memory"};
  config.ports = {config::PortConfig{"0000:3b:00.0", 2, 1024}};
  config.main_lcore = 0;
  config.worker_lcores = {2, 3};
  return config;
}

}  // namespace firehose::testing
