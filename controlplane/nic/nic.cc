// NIC inspection and binding through sysfs; see nic.h.
#include "controlplane/nic/nic.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace firehose::nic {
namespace {

using hostfs::HostFs;

std::string DeviceDir(const std::string& address) {
  return absl::StrCat("sys/bus/pci/devices/", address);
}

std::string DriverDir(const std::string& driver) {
  return absl::StrCat("sys/bus/pci/drivers/", driver);
}

bool DpdkUsable(const std::string& driver) {
  return driver == "vfio-pci" || driver == "igb_uio" || driver == "uio_pci_generic" ||
         driver == "mlx5_core" || driver == "mlx4_core";
}

std::string ReadOr(const HostFs& fs, const std::string& path, const std::string& fallback) {
  auto text = fs.ReadTrimmed(path);
  return text.ok() ? *text : fallback;
}

absl::StatusOr<std::string> Normalize(const std::string& address) {
  auto normalized = hostfs::NormalizePciAddress(address);
  if (!normalized) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", address, "\" is not a PCI address (e.g. 0000:3b:00.0)"));
  }
  return *normalized;
}

// The route rule shared by bind and unbind.
absl::Status CheckNotRouted(const NicInfo& nic, bool force, const std::string& action) {
  if (nic.routed_netdevs.empty() || force) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      nic.address, " (", absl::StrJoin(nic.routed_netdevs, ", "),
      ") carries routes: this machine's own networking uses it, and ", action,
      " it could cut the host off. Move the routes off it first, or pass --force"));
}

}  // namespace

std::set<std::string> RoutedInterfaces(const HostFs& fs) {
  std::set<std::string> routed;
  if (auto v4 = fs.ReadTrimmed("proc/net/route"); v4.ok()) {
    bool header = true;
    for (absl::string_view line : absl::StrSplit(*v4, '\n', absl::SkipEmpty())) {
      if (header) {  // "Iface Destination Gateway ..."
        header = false;
        continue;
      }
      std::vector<absl::string_view> fields =
          absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
      if (!fields.empty()) routed.insert(std::string(fields[0]));
    }
  }
  if (auto v6 = fs.ReadTrimmed("proc/net/ipv6_route"); v6.ok()) {
    // Ten columns; the interface name is the last.
    for (absl::string_view line : absl::StrSplit(*v6, '\n', absl::SkipEmpty())) {
      std::vector<absl::string_view> fields =
          absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
      if (fields.size() >= 10) routed.insert(std::string(fields.back()));
    }
  }
  routed.erase("lo");
  return routed;
}

absl::StatusOr<NicInfo> DescribeNic(const HostFs& fs, const std::string& address) {
  absl::StatusOr<std::string> normalized = Normalize(address);
  if (!normalized.ok()) return normalized.status();
  const std::string dir = DeviceDir(*normalized);
  if (!fs.Exists(dir)) {
    return absl::NotFoundError(absl::StrCat("no PCI device ", *normalized, " (", fs.Path(dir),
                                            " does not exist)"));
  }
  NicInfo nic;
  nic.address = *normalized;
  auto hex = [](std::string id) { return absl::StartsWith(id, "0x") ? id.substr(2) : id; };
  nic.vendor_device =
      absl::StrCat(hex(ReadOr(fs, dir + "/vendor", "?")), ":", hex(ReadOr(fs, dir + "/device", "?")));
  nic.device_class = ReadOr(fs, dir + "/class", "");
  nic.driver = fs.LinkBasename(dir + "/driver").value_or("");
  nic.driver_override = ReadOr(fs, dir + "/driver_override", "");
  if (nic.driver_override == "(null)") nic.driver_override.clear();
  if (!absl::SimpleAtoi(ReadOr(fs, dir + "/numa_node", "-1"), &nic.numa_node)) nic.numa_node = -1;
  nic.iommu_group = fs.LinkBasename(dir + "/iommu_group").value_or("");
  nic.netdevs = fs.List(dir + "/net");
  // virtio-net hangs its interface off a virtio bus device (ADDR/virtio0/net/eth0),
  // not off the PCI function; missing it would hide the routes of a VM's only NIC.
  for (const std::string& entry : fs.List(dir)) {
    if (!absl::StartsWith(entry, "virtio")) continue;
    for (std::string& netdev : fs.List(absl::StrCat(dir, "/", entry, "/net"))) {
      nic.netdevs.push_back(std::move(netdev));
    }
  }
  const std::set<std::string> routed = RoutedInterfaces(fs);
  for (const std::string& netdev : nic.netdevs) {
    if (routed.count(netdev)) nic.routed_netdevs.push_back(netdev);
  }
  nic.dpdk_usable = DpdkUsable(nic.driver);
  return nic;
}

std::vector<NicInfo> ListNics(const HostFs& fs) {
  std::vector<NicInfo> nics;
  for (const std::string& address : fs.List("sys/bus/pci/devices")) {
    if (!absl::StartsWith(ReadOr(fs, DeviceDir(address) + "/class", ""), "0x02")) continue;
    if (auto nic = DescribeNic(fs, address); nic.ok()) nics.push_back(*std::move(nic));
  }
  return nics;
}

absl::StatusOr<std::string> BindNic(const HostFs& fs, const std::string& address,
                                    const BindOptions& options) {
  absl::StatusOr<NicInfo> nic = DescribeNic(fs, address);
  if (!nic.ok()) return nic.status();
  if (nic->driver == options.driver) {
    return absl::StrCat(nic->address, ": already bound to ", options.driver);
  }
  if (absl::Status routed = CheckNotRouted(*nic, options.force, "binding"); !routed.ok()) {
    return routed;
  }
  if (!fs.Exists(DriverDir(options.driver))) {
    return absl::FailedPreconditionError(absl::StrCat(
        "driver ", options.driver, " is not loaded (no ", fs.Path(DriverDir(options.driver)),
        "): run `modprobe ", options.driver, "` first"));
  }
  const std::string dir = DeviceDir(nic->address);
  if (!nic->driver.empty()) {
    if (absl::Status s = fs.Write(DriverDir(nic->driver) + "/unbind", nic->address); !s.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(nic->address, ": cannot unbind from ", nic->driver, ": ", s.message()));
    }
  }
  // driver_override makes the kernel match the device to this driver only, so the
  // bind below cannot race with the old driver re-probing it.
  absl::Status bound = fs.Write(dir + "/driver_override", options.driver);
  if (bound.ok()) bound = fs.Write(DriverDir(options.driver) + "/bind", nic->address);
  if (!bound.ok()) {
    // Leave the device as it was rather than driverless.
    std::string restored;
    (void)fs.Write(dir + "/driver_override", "\n");
    if (!nic->driver.empty()) {
      restored = fs.Write(DriverDir(nic->driver) + "/bind", nic->address).ok()
                     ? absl::StrCat("; rebound to ", nic->driver)
                     : absl::StrCat("; could not rebind ", nic->driver, ", the device is unbound");
    }
    return absl::FailedPreconditionError(absl::StrCat(nic->address, ": binding to ",
                                                      options.driver, " failed: ",
                                                      bound.message(), restored));
  }
  return absl::StrCat(nic->address, ": bound to ", options.driver,
                      nic->driver.empty() ? " (was unbound)"
                                          : absl::StrCat(" (was ", nic->driver, ")"),
                      nic->netdevs.empty()
                          ? ""
                          : absl::StrCat("; kernel interface ", absl::StrJoin(nic->netdevs, ", "),
                                         " is gone"));
}

absl::StatusOr<std::string> UnbindNic(const HostFs& fs, const std::string& address, bool force) {
  absl::StatusOr<NicInfo> nic = DescribeNic(fs, address);
  if (!nic.ok()) return nic.status();
  if (absl::Status routed = CheckNotRouted(*nic, force, "unbinding"); !routed.ok()) return routed;
  const std::string dir = DeviceDir(nic->address);
  if (!nic->driver.empty()) {
    if (absl::Status s = fs.Write(DriverDir(nic->driver) + "/unbind", nic->address); !s.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(nic->address, ": cannot unbind from ", nic->driver, ": ", s.message()));
    }
  }
  // A newline clears driver_override, so any driver may claim the device again.
  if (!nic->driver_override.empty()) {
    if (absl::Status s = fs.Write(dir + "/driver_override", "\n"); !s.ok()) return s;
  }
  if (nic->driver.empty()) return absl::StrCat(nic->address, ": not bound to any driver");
  return absl::StrCat(nic->address, ": unbound from ", nic->driver);
}

}  // namespace firehose::nic
