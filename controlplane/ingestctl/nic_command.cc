// `ingestctl nic`; see nic_command.h.
#include "controlplane/ingestctl/nic_command.h"

#include <algorithm>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "controlplane/hostfs/host_fs.h"
#include "controlplane/nic/nic.h"

namespace firehose::ctl {
namespace {

std::string Or(const std::string& text, const char* fallback) {
  return text.empty() ? fallback : text;
}

std::string JsonList(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const std::string& item : items) quoted.push_back(absl::StrCat("\"", item, "\""));
  return absl::StrCat("[", absl::StrJoin(quoted, ","), "]");
}

// Sysfs names and addresses never hold quotes or control characters, so quoting them
// verbatim keeps the JSON valid.
std::string Json(const nic::NicInfo& n) {
  return absl::StrCat("{\"address\":\"", n.address, "\",\"id\":\"", n.vendor_device,
                      "\",\"class\":\"", n.device_class, "\",\"driver\":\"", n.driver,
                      "\",\"driver_override\":\"", n.driver_override,
                      "\",\"numa_node\":", n.numa_node, ",\"iommu_group\":\"", n.iommu_group,
                      "\",\"netdevs\":", JsonList(n.netdevs),
                      ",\"routed_netdevs\":", JsonList(n.routed_netdevs),
                      ",\"dpdk_usable\":", n.dpdk_usable ? "true" : "false", "}");
}

}  // namespace

int RunNicStatus(const NicOptions& options, std::ostream& out, std::ostream& err) {
  const hostfs::HostFs fs(options.root);
  std::vector<nic::NicInfo> nics;
  int code = kExitOk;
  if (options.addresses.empty()) {
    nics = nic::ListNics(fs);
  } else {
    for (const std::string& address : options.addresses) {
      absl::StatusOr<nic::NicInfo> info = nic::DescribeNic(fs, address);
      if (!info.ok()) {
        err << "ingestctl nic status: " << info.status().message() << '\n';
        code = kExitFailure;
        continue;
      }
      nics.push_back(*std::move(info));
    }
  }
  if (options.json) {
    std::vector<std::string> items;
    for (const nic::NicInfo& n : nics) items.push_back(Json(n));
    out << "[" << absl::StrJoin(items, ",") << "]\n";
    return code;
  }
  // A lambda keeps the format a compile-time constant, as StrFormat requires.
  auto row = [](const auto&... columns) {
    return absl::StrFormat("%-13s %-10s %-16s %-5s %-6s %-16s %s\n", columns...);
  };
  out << row("ADDRESS", "ID", "DRIVER", "NUMA", "IOMMU", "NETDEV", "DPDK");
  for (const nic::NicInfo& n : nics) {
    std::string netdevs = Or(absl::StrJoin(n.netdevs, ","), "-");
    // Why a device would be refused belongs next to it, not only in bind's error.
    std::string dpdk = n.dpdk_usable ? "ready" : "no";
    if (!n.routed_netdevs.empty()) dpdk += " (carries routes: in use by the host)";
    out << row(n.address, n.vendor_device, Or(n.driver, "-"),
                           n.numa_node < 0 ? "-" : absl::StrCat(n.numa_node),
                           Or(n.iommu_group, "-"), netdevs, dpdk);
  }
  return code;
}

int RunNicBind(const NicOptions& options, std::ostream& out, std::ostream& err) {
  const hostfs::HostFs fs(options.root);
  int code = kExitOk;
  for (const std::string& address : options.addresses) {
    nic::BindOptions bind;
    bind.driver = options.driver;
    bind.force = options.force;
    absl::StatusOr<std::string> done = nic::BindNic(fs, address, bind);
    if (done.ok()) {
      out << *done << '\n';
    } else {
      err << "ingestctl nic bind: " << done.status().message() << '\n';
      code = kExitFailure;
    }
  }
  return code;
}

int RunNicUnbind(const NicOptions& options, std::ostream& out, std::ostream& err) {
  const hostfs::HostFs fs(options.root);
  int code = kExitOk;
  for (const std::string& address : options.addresses) {
    absl::StatusOr<std::string> done = nic::UnbindNic(fs, address, options.force);
    if (done.ok()) {
      out << *done << '\n';
    } else {
      err << "ingestctl nic unbind: " << done.status().message() << '\n';
      code = kExitFailure;
    }
  }
  return code;
}

void AddNicCommand(CLI::App& app, CommandAction* action) {
  auto options = std::make_shared<NicOptions>();
  CLI::App* nic = app.add_subcommand("nic", "Show NICs and bind them to vfio-pci or back");
  nic->require_subcommand(1);
  auto add_root = [&](CLI::App* cmd) {
    cmd->add_option("--root", options->root,
                    "Read and write sysfs/procfs under DIR instead of / (fixture trees)")
        ->type_name("DIR")
        ->capture_default_str();
  };

  CLI::App* status = nic->add_subcommand(
      "status", "List network PCI devices: driver, NUMA node, IOMMU group, interfaces");
  status->add_option("ADDR", options->addresses, "Only these PCI addresses")->type_name("ADDR");
  status->add_flag("--json", options->json, "Print a JSON array");
  add_root(status);
  status->callback([options, action] {
    *action = [options] { return RunNicStatus(*options, std::cout, std::cerr); };
  });

  CLI::App* bind = nic->add_subcommand(
      "bind", "Bind devices to a driver (vfio-pci by default; a kernel driver to give back)");
  bind->add_option("ADDR", options->addresses, "PCI addresses, e.g. 0000:3b:00.0")
      ->type_name("ADDR")
      ->required();
  bind->add_option("--driver", options->driver, "Driver to bind to")
      ->type_name("DRIVER")
      ->capture_default_str();
  bind->add_flag("--force", options->force,
                 "Bind even a device whose interface carries routes (can cut the host off)");
  add_root(bind);
  bind->callback([options, action] {
    *action = [options] { return RunNicBind(*options, std::cout, std::cerr); };
  });

  CLI::App* unbind =
      nic->add_subcommand("unbind", "Unbind devices from their driver and clear driver_override");
  unbind->add_option("ADDR", options->addresses, "PCI addresses")->type_name("ADDR")->required();
  unbind->add_flag("--force", options->force,
                   "Unbind even a device whose interface carries routes (can cut the host off)");
  add_root(unbind);
  unbind->callback([options, action] {
    *action = [options] { return RunNicUnbind(*options, std::cout, std::cerr); };
  });
}

}  // namespace firehose::ctl
