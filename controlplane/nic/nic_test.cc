// NIC status, bind and unbind against writable fixture trees only: the test checks what
// was written to the sysfs attributes, as the kernel would receive it.
#include "controlplane/nic/nic.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/controlplane/sysfs_fixture.h"

namespace firehose::nic {
namespace {

using testing::SysfsFixture;

TEST(NicTest, RoutedInterfacesComeFromBothRouteTables) {
  SysfsFixture f = SysfsFixture::GoodMachine("nic_routes");
  hostfs::HostFs fs(f.root());
  EXPECT_EQ(RoutedInterfaces(fs), (std::set<std::string>{"eth0"}));
  // An interface with only an IPv6 route counts too.
  f.WriteFile("proc/net/route", "Iface\tDestination\tGateway\n");
  f.WriteFile("proc/net/ipv6_route",
              "20010db8000000000000000000000000 40 00000000000000000000000000000000 00 "
              "00000000000000000000000000000000 00000100 00000001 00000000 00000001   ens1f1\n");
  EXPECT_EQ(RoutedInterfaces(fs), (std::set<std::string>{"ens1f1"}));
}

TEST(NicTest, DescribesAndListsNetworkDevicesOnly) {
  SysfsFixture f = SysfsFixture::GoodMachine("nic_list");
  hostfs::HostFs fs(f.root());
  std::vector<NicInfo> nics = ListNics(fs);
  ASSERT_EQ(nics.size(), 3u);  // the bridge is not a NIC
  EXPECT_EQ(nics[0].address, "0000:00:03.0");
  EXPECT_EQ(nics[0].driver, "virtio-pci");
  EXPECT_EQ(nics[0].routed_netdevs, (std::vector<std::string>{"eth0"}));
  EXPECT_FALSE(nics[0].dpdk_usable);

  absl::StatusOr<NicInfo> nic = DescribeNic(fs, "3b:00.0");
  ASSERT_TRUE(nic.ok()) << nic.status();
  EXPECT_EQ(nic->driver, "vfio-pci");
  EXPECT_EQ(nic->vendor_device, "8086:10fb");
  EXPECT_EQ(nic->iommu_group, "40");
  EXPECT_EQ(nic->numa_node, 0);
  EXPECT_TRUE(nic->dpdk_usable);
  EXPECT_TRUE(absl::IsNotFound(DescribeNic(fs, "0000:af:00.0").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(DescribeNic(fs, "eth0").status()));
}

TEST(NicTest, BindWritesUnbindOverrideAndBind) {
  SysfsFixture f = SysfsFixture::GoodMachine("nic_bind");
  hostfs::HostFs fs(f.root());
  absl::StatusOr<std::string> done = BindNic(fs, "0000:3b:00.1", BindOptions{});
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(*done,
            "0000:3b:00.1: bound to vfio-pci (was ixgbe); kernel interface ens1f1 is gone");
  EXPECT_EQ(f.ReadFile("sys/bus/pci/drivers/ixgbe/unbind"), "0000:3b:00.1");
  EXPECT_EQ(f.ReadFile("sys/bus/pci/devices/0000:3b:00.1/driver_override"), "vfio-pci");
  EXPECT_EQ(f.ReadFile("sys/bus/pci/drivers/vfio-pci/bind"), "0000:3b:00.1");
}

TEST(NicTest, BindingTheBoundDriverIsANoOp) {
  SysfsFixture f = SysfsFixture::GoodMachine("nic_noop");
  hostfs::HostFs fs(f.root());
  absl::StatusOr<std::string> done = BindNic(fs, "0000:3b:00.0", BindOptions{});
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(absl::StrContains(*done, "already bound to vfio-pci"));
  EXPECT_EQ(f.ReadFile("sys/bus/pci/drivers/vfio-pci/bind"), "");
}

TEST(NicTest, RoutedInterfaceIsRefusedUnlessForced) {
  SysfsFixture f = SysfsFixture::GoodMachine("nic_routed");
  hostfs::HostFs fs(f.root());
  absl::StatusOr<std::string> refused = BindNic(fs, "0000:00:03.0", BindOptions{});
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "0000:00:03.0 (eth0) carries routes"))
      << refused.status();
  // Nothing was written.
  EXPECT_EQ(f.ReadFile("sys/bus/pci/drivers/virtio-pci/unbind"), "");
  EXPECT_EQ(f.ReadFile("sys/bus/pci/devices/0000:00:03.0/driver_override"), "(null)\n");
  EXPECT_FALSE(UnbindNic(fs, "0000:00:03.0", /*force=*/false).ok());

  BindOptions forced;
  forced.force = true;
  ASSERT_TRUE(BindNic(fs, "0000:00:03.0", forced).ok());
  EXPECT_EQ(f.ReadFile("sys/bus/pci/drivers/virtio-pci/unbind"), "0000:00:03.0");
}

TEST(NicTest, MissingDriverIsReportedBeforeAnythingIsUnbound) {
  SysfsFixture f = SysfsFixture::GoodMachine("nic_nodriver");
  f.Remove("sys/bus/pci/drivers/vfio-pci");
  hostfs::HostFs fs(f.root());
  absl::StatusOr<std::string> done = BindNic(fs, "0000:3b:00.1", BindOptions{});
  ASSERT_FALSE(done.ok());
  EXPECT_TRUE(absl::StrContains(done.status().message(), "modprobe vfio-pci")) << done.status();
  EXPECT_EQ(f.ReadFile("sys/bus/pci/drivers/ixgbe/unbind"), "");
}

TEST(NicTest, FailedBindRestoresThePreviousDriver) {
  SysfsFixture f = SysfsFixture::GoodMachine("nic_restore");
  // A driver directory without a bind attribute: the write fails as a refused bind would.
  f.Remove("sys/bus/pci/drivers/vfio-pci/bind");
  hostfs::HostFs fs(f.root());
  absl::StatusOr<std::string> done = BindNic(fs, "0000:3b:00.1", BindOptions{});
  ASSERT_FALSE(done.ok());
  EXPECT_TRUE(absl::StrContains(done.status().message(), "rebound to ixgbe")) << done.status();
  EXPECT_EQ(f.ReadFile("sys/bus/pci/drivers/ixgbe/bind"), "0000:3b:00.1");
  EXPECT_EQ(f.ReadFile("sys/bus/pci/devices/0000:3b:00.1/driver_override"), "\n");
}

TEST(NicTest, UnbindClearsOverrideAndBindBackToTheKernelDriver) {
  SysfsFixture f = SysfsFixture::GoodMachine("nic_unbind");
  f.WriteFile("sys/bus/pci/devices/0000:3b:00.0/driver_override", "vfio-pci\n");
  f.AddDriver("ixgbe");
  hostfs::HostFs fs(f.root());
  absl::StatusOr<std::string> done = UnbindNic(fs, "0000:3b:00.0", /*force=*/false);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(*done, "0000:3b:00.0: unbound from vfio-pci");
  EXPECT_EQ(f.ReadFile("sys/bus/pci/drivers/vfio-pci/unbind"), "0000:3b:00.0");
  EXPECT_EQ(f.ReadFile("sys/bus/pci/devices/0000:3b:00.0/driver_override"), "\n");

  // What the kernel would show next: unbound. Then hand it back to ixgbe.
  f.SetDriver("0000:3b:00.0", "");
  BindOptions to_kernel;
  to_kernel.driver = "ixgbe";
  done = BindNic(fs, "0000:3b:00.0", to_kernel);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(*done, "0000:3b:00.0: bound to ixgbe (was unbound)");
  EXPECT_EQ(f.ReadFile("sys/bus/pci/drivers/ixgbe/bind"), "0000:3b:00.0");
}

}  // namespace
}  // namespace firehose::nic
