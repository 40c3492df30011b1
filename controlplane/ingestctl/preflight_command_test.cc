// `ingestctl preflight` end to end on fixture trees: exit codes, table and JSON.
#include "controlplane/ingestctl/preflight_command.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "controlplane/ingestctl/command.h"
#include "gtest/gtest.h"
#include "tests/controlplane/sysfs_fixture.h"

namespace firehose::ctl {
namespace {

using testing::SysfsFixture;

std::string WriteConfig(const SysfsFixture& f) {
  const std::string path = f.root() + "/ingestd.yaml";
  std::ofstream(path) << "node_id: fx\n"
                         "eal:\n  args: [\"--in-memory\"]\n"
                         "ports:\n  - device: \"3b:00.0\"\n    rx_queues: 2\n"
                         "lcores:\n  main: 0\n  workers: [2, 3]\n";
  return path;
}

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result RunCommand(const PreflightOptions& options) {
  std::ostringstream out;
  std::ostringstream err;
  int code = RunPreflightCommand(options, out, err);
  return {code, out.str(), err.str()};
}

TEST(PreflightCommandTest, GoodMachineExitsZeroWithATable) {
  SysfsFixture f = SysfsFixture::GoodMachine("cmd_good");
  Result r = RunCommand({WriteConfig(f), f.root()});
  EXPECT_EQ(r.code, kExitOk) << r.out << r.err;
  EXPECT_TRUE(absl::StartsWith(r.out, "STATUS CHECK")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "pass   driver         0000:3b:00.0 bound to vfio-pci"))
      << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, " 0 warnings, 0 failed")) << r.out;
}

TEST(PreflightCommandTest, FailedRequiredCheckExitsOneAndJsonSaysWhy) {
  SysfsFixture f = SysfsFixture::GoodMachine("cmd_bad");
  f.SetDriver("0000:3b:00.0", "ixgbe");
  PreflightOptions options{WriteConfig(f), f.root()};
  options.json = true;
  Result r = RunCommand(options);
  EXPECT_EQ(r.code, kExitFailure);
  EXPECT_TRUE(absl::StartsWith(r.out, "{\"ok\":false")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "0000:3b:00.0 is bound to ixgbe")) << r.out;

  options.json = false;
  options.problems_only = true;
  r = RunCommand(options);
  EXPECT_FALSE(absl::StrContains(r.out, "pass ")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "fix: 0000:3b:00.0 is bound to ixgbe")) << r.out;
}

TEST(PreflightCommandTest, UnloadableConfigIsAUsageError) {
  SysfsFixture f("cmd_noconfig");
  Result r = RunCommand({f.root() + "/missing.yaml", f.root()});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(absl::StrContains(r.err, "missing.yaml")) << r.err;
}

}  // namespace
}  // namespace firehose::ctl
