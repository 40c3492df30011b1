// `ingestctl nic` on fixture trees: table, exit codes, and the route refusal on stderr.
#include "controlplane/ingestctl/nic_command.h"

#include <sstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/controlplane/sysfs_fixture.h"

namespace firehose::ctl {
namespace {

using testing::SysfsFixture;

TEST(NicCommandTest, StatusShowsEveryNicAndWhyOneIsNotUsable) {
  SysfsFixture f = SysfsFixture::GoodMachine("nic_cmd_status");
  NicOptions options;
  options.root = f.root();
  std::ostringstream out, err;
  EXPECT_EQ(RunNicStatus(options, out, err), kExitOk) << err.str();
  EXPECT_TRUE(absl::StrContains(out.str(), "0000:3b:00.0  8086:10fb  vfio-pci")) << out.str();
  EXPECT_TRUE(absl::StrContains(out.str(), "eth0             no (carries routes")) << out.str();

  options.addresses = {"0000:3b:00.1", "0000:af:00.0"};
  options.json = true;
  std::ostringstream json, json_err;
  EXPECT_EQ(RunNicStatus(options, json, json_err), kExitFailure);
  EXPECT_TRUE(absl::StartsWith(json.str(), "[{\"address\":\"0000:3b:00.1\"")) << json.str();
  EXPECT_TRUE(absl::StrContains(json_err.str(), "no PCI device 0000:af:00.0")) << json_err.str();
}

TEST(NicCommandTest, BindRefusesRoutedDeviceButBindsTheOthers) {
  SysfsFixture f = SysfsFixture::GoodMachine("nic_cmd_bind");
  NicOptions options;
  options.root = f.root();
  options.addresses = {"0000:00:03.0", "3b:00.1"};
  std::ostringstream out, err;
  EXPECT_EQ(RunNicBind(options, out, err), kExitFailure);
  EXPECT_TRUE(absl::StrContains(err.str(), "0000:00:03.0 (eth0) carries routes")) << err.str();
  EXPECT_TRUE(absl::StrContains(out.str(), "0000:3b:00.1: bound to vfio-pci")) << out.str();
  EXPECT_EQ(f.ReadFile("sys/bus/pci/drivers/vfio-pci/bind"), "0000:3b:00.1");
}

TEST(NicCommandTest, UnbindReportsEachDevice) {
  SysfsFixture f = SysfsFixture::GoodMachine("nic_cmd_unbind");
  NicOptions options;
  options.root = f.root();
  options.addresses = {"0000:3b:00.0"};
  std::ostringstream out, err;
  EXPECT_EQ(RunNicUnbind(options, out, err), kExitOk) << err.str();
  EXPECT_EQ(out.str(), "0000:3b:00.0: unbound from vfio-pci\n");
}

}  // namespace
}  // namespace firehose::ctl
