// Reads (and, for NIC binding, writes) the kernel's sysfs and procfs files under a
// configurable root directory.
//
// Every control-plane check that looks at the machine goes through HostFs, so that
// production reads "/" and every test reads a fixture tree it built under
// $TEST_TMPDIR. Nothing here ever touches a path outside the root: callers pass paths
// relative to it ("sys/bus/pci/devices/0000:3b:00.0/driver"), never absolute ones.
// Also here: the small parsers for the kernel's own formats (CPU lists, PCI
// addresses) that both preflight and `ingestctl nic` need.
#ifndef FIREHOSE_CONTROLPLANE_HOSTFS_HOST_FS_H_
#define FIREHOSE_CONTROLPLANE_HOSTFS_HOST_FS_H_

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace firehose::hostfs {

class HostFs {
 public:
  // `root` is the directory that stands for "/" ("" is taken as "/").
  explicit HostFs(std::string root);

  const std::string& root() const { return root_; }

  // The absolute path of `relative` under the root.
  std::string Path(std::string_view relative) const;

  bool Exists(std::string_view relative) const;
  // Contents with surrounding whitespace removed; NotFound when absent.
  absl::StatusOr<std::string> ReadTrimmed(std::string_view relative) const;
  // The last component of a symlink's target ("vfio-pci" for
  // .../driver -> ../../../bus/pci/drivers/vfio-pci); nullopt when not a symlink.
  std::optional<std::string> LinkBasename(std::string_view relative) const;
  // Names of the entries of a directory, sorted; empty when it does not exist.
  std::vector<std::string> List(std::string_view relative) const;
  // Writes `value` to an existing sysfs attribute in one write(), as the kernel
  // expects. Errors name the file and errno's text.
  absl::Status Write(std::string_view relative, std::string_view value) const;

 private:
  std::string root_;
};

// Parses a kernel CPU list ("0-3,8,10-11"); nullopt on a malformed list. Empty text is
// the empty set (the kernel writes an empty line for "none").
std::optional<std::set<unsigned>> ParseCpuList(std::string_view text);
// Formats a set back into the kernel's compact list form.
std::string FormatCpuList(const std::set<unsigned>& cpus);

// "0000:3b:00.0" for "3b:00.0" or "0000:3B:00.0" (domain added, lower case), with any
// devargs after a comma dropped; nullopt when `device` is not a PCI address (e.g. a
// DPDK virtual device string).
std::optional<std::string> NormalizePciAddress(std::string_view device);

}  // namespace firehose::hostfs

#endif  // FIREHOSE_CONTROLPLANE_HOSTFS_HOST_FS_H_
