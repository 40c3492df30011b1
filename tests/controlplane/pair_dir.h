// The working directory of a pair test (two controld + ingestd, or controld alone): a
// fresh /tmp/fh-TAG.XXXXXX, short because the unix socket paths inside it must stay
// under 108 bytes, holding the sysfs fixture controld's preflight reads (CPUs 0-7
// online). Shared by the failover, ingestd-failover and relay suites.
#ifndef FIREHOSE_TESTS_CONTROLPLANE_PAIR_DIR_H_
#define FIREHOSE_TESTS_CONTROLPLANE_PAIR_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace firehose::testing {

// The new directory, or nullopt when mkdtemp fails.
inline std::optional<std::string> MakePairDir(const std::string& tag) {
  std::string dir = "/tmp/fh-" + tag + ".XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) return std::nullopt;
  std::filesystem::create_directories(dir + "/sys/devices/system/cpu");
  std::ofstream(dir + "/sys/devices/system/cpu/online") << "0-7\n";
  return dir;
}

}  // namespace firehose::testing

#endif  // FIREHOSE_TESTS_CONTROLPLANE_PAIR_DIR_H_
