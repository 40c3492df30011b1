// EAL start-up from the node config; see the header.
#include "node/dataplane/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"

namespace firehose::dataplane {

bool IsPciAddress(const std::string& device) {
  static const std::regex kPci("^([0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]$");
  return std::regex_match(device.substr(0, device.find(',')), kPci);
}

std::string EthdevName(const std::string& device) { return device.substr(0, device.find(',')); }

std::vector<std::string> BuildEalArgs(const config::IngestConfig& config,
                                      const std::string& program) {
  std::vector<std::string> lcores = {std::to_string(config.main_lcore)};
  for (unsigned lcore : config.worker_lcores) lcores.push_back(std::to_string(lcore));
  std::vector<std::string> args = {program,
                                   "-l",
                                   absl::StrJoin(lcores, ","),
                                   "--main-lcore",
                                   std::to_string(config.main_lcore),
                                   "--file-prefix",
                                   config.file_prefix};
  // lcores.cpus maps each lcore onto a CPU (EAL's --lcores=LCORE@CPU,...), which lets
  // two lcores share one; EAL refuses -l and --lcores together.
  if (!config.lcore_cpus.empty()) {
    std::vector<std::string> map;
    for (size_t i = 0; i < lcores.size() && i < config.lcore_cpus.size(); ++i) {
      map.push_back(absl::StrCat(lcores[i], "@", config.lcore_cpus[i]));
    }
    args[1] = "--lcores";
    args[2] = absl::StrJoin(map, ",");
  }
  args.insert(args.end(), config.eal_args.begin(), config.eal_args.end());
  for (const config::PortConfig& port : config.ports) {
    args.push_back(IsPciAddress(port.device) ? "-a" : "--vdev");
    args.push_back(port.device);
  }
  return args;
}

std::string RuntimeDir(const std::string& file_prefix) {
  // The same rule EAL follows (eal_create_runtime_dir): /var/run/dpdk for root,
  // $XDG_RUNTIME_DIR/dpdk (or /tmp/dpdk) for anyone else.
  std::string base = "/var/run";
  if (getuid() != 0) {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    base = xdg != nullptr ? xdg : "/tmp";
  }
  return absl::StrCat(base, "/dpdk/", file_prefix);
}

namespace {

// EAL leaves its runtime directory (sockets, config files) behind even with
// --no-shconf. The node is the only process of its prefix, so it removes the directory
// when it stops, and an operator never finds stale prefixes after a clean exit.
void RemoveRuntimeDir(const std::string& file_prefix) {
  std::error_code ignored;
  std::filesystem::remove_all(RuntimeDir(file_prefix), ignored);
}

std::string& ActivePrefix() {
  static std::string prefix;
  return prefix;
}

}  // namespace

absl::Status InitEal(const config::IngestConfig& config, const std::string& program) {
  std::vector<std::string> args = BuildEalArgs(config, program);
  spdlog::info("EAL arguments: {}", absl::StrJoin(args, " "));
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  ActivePrefix() = config.file_prefix;
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    const int error = rte_errno;
    RemoveRuntimeDir(config.file_prefix);
    rte_errno = error;
    return absl::FailedPreconditionError(
        absl::StrCat("DPDK EAL initialisation failed: ", rte_strerror(rte_errno),
                     " (arguments: ", absl::StrJoin(args, " "), ")"));
  }
  return absl::OkStatus();
}

void CleanupEal() {
  rte_eal_cleanup();
  if (!ActivePrefix().empty()) RemoveRuntimeDir(ActivePrefix());
}

}  // namespace firehose::dataplane
