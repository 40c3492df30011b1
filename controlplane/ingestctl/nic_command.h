// `ingestctl nic status|bind|unbind`: shows the machine's NICs and moves them between
// kernel drivers and vfio-pci, with dpdk-devbind's safety rule (a device whose kernel
// interface carries routes is refused unless --force).
//
//   ingestctl nic status [ADDR...] [--json]
//   ingestctl nic bind ADDR... [--driver vfio-pci] [--force]
//   ingestctl nic unbind ADDR... [--force]
//
// --root DIR reads and writes sysfs/procfs under DIR instead of / (tests use fixture
// trees). Exit 0 when every device was handled, 1 when any failed, 2 on usage errors.
#ifndef FIREHOSE_CONTROLPLANE_INGESTCTL_NIC_COMMAND_H_
#define FIREHOSE_CONTROLPLANE_INGESTCTL_NIC_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "controlplane/ingestctl/command.h"

namespace firehose::ctl {

struct NicOptions {
  std::string root = "/";
  std::vector<std::string> addresses;
  bool json = false;           // status
  std::string driver = "vfio-pci";  // bind
  bool force = false;          // bind, unbind
};

int RunNicStatus(const NicOptions& options, std::ostream& out, std::ostream& err);
int RunNicBind(const NicOptions& options, std::ostream& out, std::ostream& err);
int RunNicUnbind(const NicOptions& options, std::ostream& out, std::ostream& err);

// Adds the `nic` subcommand and its status/bind/unbind subcommands (see command.h).
void AddNicCommand(CLI::App& app, CommandAction* action);

}  // namespace firehose::ctl

#endif  // FIREHOSE_CONTROLPLANE_INGESTCTL_NIC_COMMAND_H_
