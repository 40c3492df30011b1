// NIC inspection and driver binding through sysfs, the way dpdk-devbind.py does it:
// driver_override plus the PCI drivers' bind/unbind attributes.
//
// The one safety rule that matters: a device whose kernel interface carries routes
// (in /proc/net/route or /proc/net/ipv6_route) is in use by the machine's own
// networking, and taking it from the kernel can cut the host off, so bind and unbind
// refuse it unless forced. All access goes through hostfs::HostFs, so tests run on
// writable fixture trees and never on the machine's real devices.
#ifndef FIREHOSE_CONTROLPLANE_NIC_NIC_H_
#define FIREHOSE_CONTROLPLANE_NIC_NIC_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/hostfs/host_fs.h"

namespace firehose::nic {

struct NicInfo {
  std::string address;          // "0000:3b:00.0"
  std::string vendor_device;    // "8086:10fb"
  std::string device_class;     // "0x020000"
  std::string driver;           // "" when unbound
  std::string driver_override;  // "" when none ("(null)" in sysfs)
  int numa_node = -1;
  std::string iommu_group;      // "" when the IOMMU is off
  std::vector<std::string> netdevs;         // kernel interfaces of the device
  std::vector<std::string> routed_netdevs;  // those of them that carry routes
  // Bound to a driver DPDK can use (vfio-pci, a uio driver, or a bifurcated one).
  bool dpdk_usable = false;
};

// Kernel interfaces that carry at least one IPv4 or IPv6 route ("lo" excluded).
std::set<std::string> RoutedInterfaces(const hostfs::HostFs& fs);

// One device; NotFound when there is no such PCI device, InvalidArgument when
// `address` is not a PCI address.
absl::StatusOr<NicInfo> DescribeNic(const hostfs::HostFs& fs, const std::string& address);

// Every network-class (0x02xxxx) PCI device, sorted by address.
std::vector<NicInfo> ListNics(const hostfs::HostFs& fs);

struct BindOptions {
  std::string driver = "vfio-pci";
  // Bind even when the device's interface carries routes.
  bool force = false;
};

// Binds the device to options.driver: unbinds it from its current driver, writes
// driver_override, then the driver's bind attribute. Returns a one-line account of
// what was done ("already bound" is success). FailedPrecondition when the device
// carries routes (and not forced) or the driver is not loaded; on a failed bind the
// previous driver is restored where possible and the error says so.
absl::StatusOr<std::string> BindNic(const hostfs::HostFs& fs, const std::string& address,
                                    const BindOptions& options);

// Unbinds the device from its driver and clears driver_override, leaving it free for
// the kernel's driver (`bind --driver ixgbe`) or vfio-pci. Same route rule as BindNic.
absl::StatusOr<std::string> UnbindNic(const hostfs::HostFs& fs, const std::string& address,
                                      bool force);

}  // namespace firehose::nic

#endif  // FIREHOSE_CONTROLPLANE_NIC_NIC_H_
