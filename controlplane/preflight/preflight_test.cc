// Preflight against fixture trees: a good machine passes, and each way a machine can be
// unfit fails (or warns) with the device named and a fix.
#include "controlplane/preflight/preflight.h"

#include <string>

#include "absl/strings/match.h"
#include "controlplane/preflight/report.h"
#include "gtest/gtest.h"
#include "tests/controlplane/sysfs_fixture.h"

namespace firehose::preflight {
namespace {

using testing::SysfsFixture;

const Check* Find(const Report& report, const std::string& name, const std::string& subject) {
  for (const Check& c : report.checks) {
    if (c.name == name && c.subject == subject) return &c;
  }
  return nullptr;
}

Report RunOn(const SysfsFixture& f, const config::IngestConfig& config) {
  return RunPreflight(config, Options{f.root()});
}

TEST(PreflightTest, GoodMachinePassesEveryCheck) {
  SysfsFixture f = SysfsFixture::GoodMachine("good");
  Report report = RunOn(f, SysfsFixture::GoodConfig());
  EXPECT_TRUE(report.ok()) << FormatTable(report);
  EXPECT_EQ(report.CountVerdict(Verdict::kWarn), 0) << FormatTable(report);
  for (const char* name :
       {"hugepages", "hugetlbfs", "pci_device", "driver", "iommu_group", "vfio_module", "noiommu",
        "lcore_online", "lcore_isolated", "lcore_numa"}) {
    bool seen = false;
    for (const Check& c : report.checks) seen |= c.name == name;
    EXPECT_TRUE(seen) << name << " not run:\n" << FormatTable(report);
  }
  const Check* huge = Find(report, "hugepages", "node 0");
  ASSERT_NE(huge, nullptr);
  EXPECT_TRUE(absl::StrContains(huge->detail, "2048kB 1024/1024 free")) << huge->detail;
  // The bridge sharing IOMMU group 40 does not make it unviable.
  EXPECT_EQ(Find(report, "iommu_group", "0000:3b:00.0")->verdict, Verdict::kPass);
}

TEST(PreflightTest, KernelBackendNeedsNothingFromTheMachine) {
  // No hugetlbfs mount and a port that is not on the machine: a DPDK config fails; the
  // same config on the kernel backend passes with one line saying why.
  SysfsFixture f = SysfsFixture::GoodMachine("bare-kernel");
  f.WriteFile("proc/mounts", "");
  config::IngestConfig dpdk = SysfsFixture::GoodConfig();
  dpdk.ports[0].device = "af:00.0";
  EXPECT_FALSE(RunOn(f, dpdk).ok());
  config::IngestConfig kernel = dpdk;
  kernel.backend = config::IngestConfig::Backend::kKernel;
  Report report = RunOn(f, kernel);
  EXPECT_TRUE(report.ok()) << FormatTable(report);
  ASSERT_EQ(report.checks.size(), 1u) << FormatTable(report);
  EXPECT_EQ(report.checks[0].name, "backend");
}

TEST(PreflightTest, MissingDeviceFailsNamingIt) {
  SysfsFixture f = SysfsFixture::GoodMachine("missing");
  config::IngestConfig config = SysfsFixture::GoodConfig();
  config.ports[0].device = "af:00.0";
  Report report = RunOn(f, config);
  EXPECT_FALSE(report.ok());
  const Check* c = Find(report, "pci_device", "0000:af:00.0");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->verdict, Verdict::kFail);
  EXPECT_TRUE(absl::StrContains(c->fix, "0000:af:00.0 is not on this machine")) << c->fix;
  EXPECT_EQ(Find(report, "driver", "0000:af:00.0"), nullptr);
}

TEST(PreflightTest, KernelDriverFailsWithBindFix) {
  SysfsFixture f = SysfsFixture::GoodMachine("ixgbe");
  f.SetDriver("0000:3b:00.0", "ixgbe");
  Report report = RunOn(f, SysfsFixture::GoodConfig());
  EXPECT_FALSE(report.ok());
  const Check* c = Find(report, "driver", "0000:3b:00.0");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->verdict, Verdict::kFail);
  EXPECT_TRUE(c->required);
  EXPECT_EQ(c->fix,
            "0000:3b:00.0 is bound to ixgbe: run `ingestctl nic bind 0000:3b:00.0` or "
            "dpdk-devbind.py -b vfio-pci 0000:3b:00.0");
  EXPECT_TRUE(absl::StrContains(FormatFailures(report), "0000:3b:00.0: driver: bound to ixgbe"));
}

TEST(PreflightTest, UnboundDeviceFails) {
  SysfsFixture f = SysfsFixture::GoodMachine("unbound");
  f.SetDriver("0000:3b:00.0", "");
  const Check* c = nullptr;
  Report report = RunOn(f, SysfsFixture::GoodConfig());
  c = Find(report, "driver", "0000:3b:00.0");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->verdict, Verdict::kFail);
  EXPECT_EQ(c->detail, "bound to no driver");
}

TEST(PreflightTest, BifurcatedDriverNeedsNoVfio) {
  SysfsFixture f = SysfsFixture::GoodMachine("mlx5");
  f.SetDriver("0000:3b:00.0", "mlx5_core");
  f.Remove("sys/module/vfio_pci");
  f.Remove("sys/bus/pci/devices/0000:3b:00.0/iommu_group");
  Report report = RunOn(f, SysfsFixture::GoodConfig());
  EXPECT_TRUE(report.ok()) << FormatTable(report);
  EXPECT_EQ(Find(report, "driver", "0000:3b:00.0")->verdict, Verdict::kPass);
  EXPECT_EQ(Find(report, "vfio_module", "host"), nullptr);
  EXPECT_EQ(Find(report, "iommu_group", "0000:3b:00.0"), nullptr);
}

TEST(PreflightTest, UioDriverWarns) {
  SysfsFixture f = SysfsFixture::GoodMachine("uio");
  f.SetDriver("0000:3b:00.0", "uio_pci_generic");
  Report report = RunOn(f, SysfsFixture::GoodConfig());
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(Find(report, "driver", "0000:3b:00.0")->verdict, Verdict::kWarn);
}

TEST(PreflightTest, VfioModuleNotLoadedFails) {
  SysfsFixture f = SysfsFixture::GoodMachine("novfio");
  f.Remove("sys/module/vfio_pci");
  Report report = RunOn(f, SysfsFixture::GoodConfig());
  EXPECT_FALSE(report.ok());
  const Check* c = Find(report, "vfio_module", "host");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->verdict, Verdict::kFail);
  EXPECT_TRUE(absl::StrContains(c->fix, "modprobe vfio-pci"));
}

TEST(PreflightTest, IommuGroupSharedWithKernelDriverFails) {
  SysfsFixture f = SysfsFixture::GoodMachine("group");
  f.AddPciDevice("0000:3b:00.2", "0x020000", 0, 40, "ixgbe", "ens1f2");
  Report report = RunOn(f, SysfsFixture::GoodConfig());
  EXPECT_FALSE(report.ok());
  const Check* c = Find(report, "iommu_group", "0000:3b:00.0");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->verdict, Verdict::kFail);
  EXPECT_TRUE(absl::StrContains(c->detail, "0000:3b:00.2 (ixgbe)")) << c->detail;
  EXPECT_TRUE(absl::StrContains(c->fix, "ingestctl nic bind 0000:3b:00.2")) << c->fix;
  // An unbound member is fine: vfio can claim it.
  f.SetDriver("0000:3b:00.2", "");
  EXPECT_TRUE(RunOn(f, SysfsFixture::GoodConfig()).ok());
}

TEST(PreflightTest, NoIommuFailsUnlessUnsafeModeWhichWarns) {
  SysfsFixture f = SysfsFixture::GoodMachine("noiommu");
  f.Remove("sys/bus/pci/devices/0000:3b:00.0/iommu_group");
  Report off = RunOn(f, SysfsFixture::GoodConfig());
  EXPECT_FALSE(off.ok());
  EXPECT_TRUE(absl::StrContains(Find(off, "iommu_group", "0000:3b:00.0")->fix, "intel_iommu=on"));

  f.WriteFile("sys/module/vfio/parameters/enable_unsafe_noiommu_mode", "Y\n");
  Report unsafe = RunOn(f, SysfsFixture::GoodConfig());
  EXPECT_TRUE(unsafe.ok()) << FormatTable(unsafe);
  EXPECT_EQ(Find(unsafe, "iommu_group", "0000:3b:00.0")->verdict, Verdict::kWarn);
  const Check* flag = Find(unsafe, "noiommu", "host");
  ASSERT_NE(flag, nullptr);
  EXPECT_EQ(flag->verdict, Verdict::kWarn);
  EXPECT_FALSE(flag->required);
}

TEST(PreflightTest, TooFewHugepagesOnTheNicNodeFails) {
  SysfsFixture f = SysfsFixture::GoodMachine("hugepages");
  f.WriteFile("sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages", "10\n");
  Report report = RunOn(f, SysfsFixture::GoodConfig());
  EXPECT_FALSE(report.ok());
  const Check* c = Find(report, "hugepages", "node 0");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->verdict, Verdict::kFail);
  EXPECT_TRUE(absl::StrContains(c->fix, "node0/hugepages/hugepages-2048kB/nr_hugepages")) << c->fix;
  // Node 1's free pages do not help: the NIC and its pools are on node 0.
  EXPECT_EQ(Find(report, "hugepages", "node 1"), nullptr);
}

TEST(PreflightTest, NoHugeSkipsHugepageChecks) {
  SysfsFixture f = SysfsFixture::GoodMachine("nohuge");
  f.Remove("sys/devices/system/node/node0/hugepages");
  f.WriteFile("proc/mounts", "");
  config::IngestConfig config = SysfsFixture::GoodConfig();
  config.eal_args = {"--no-huge", "-m", "256"};
  Report report = RunOn(f, config);
  EXPECT_TRUE(report.ok()) << FormatTable(report);
  EXPECT_EQ(Find(report, "hugepages", "node 0"), nullptr);
  EXPECT_EQ(Find(report, "hugetlbfs", "host"), nullptr);
}

TEST(PreflightTest, MissingHugetlbfsFailsExceptInMemory) {
  SysfsFixture f = SysfsFixture::GoodMachine("hugetlbfs");
  f.WriteFile("proc/mounts", "sysfs /sys sysfs rw 0 0\n");
  config::IngestConfig config = SysfsFixture::GoodConfig();
  config.eal_args = {};
  Report report = RunOn(f, config);
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(absl::StrContains(Find(report, "hugetlbfs", "host")->fix, "mount -t hugetlbfs"));
  config.eal_args = {"--in-memory"};
  Report in_memory = RunOn(f, config);
  EXPECT_TRUE(in_memory.ok());
  EXPECT_EQ(Find(in_memory, "hugetlbfs", "host")->verdict, Verdict::kWarn);
}

TEST(PreflightTest, UnisolatedLcoreWarns) {
  SysfsFixture f = SysfsFixture::GoodMachine("isolation");
  f.WriteFile("sys/devices/system/cpu/isolated", "\n");
  f.WriteFile("proc/cmdline", "ro isolcpus=managed_irq,domain,2\n");
  Report report = RunOn(f, SysfsFixture::GoodConfig());
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(Find(report, "lcore_isolated", "lcore 2")->verdict, Verdict::kPass);
  const Check* c = Find(report, "lcore_isolated", "lcore 3");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->verdict, Verdict::kWarn);
  EXPECT_FALSE(c->required);
  EXPECT_EQ(c->fix, "boot with isolcpus=3 nohz_full=3 rcu_nocbs=3");
}

TEST(PreflightTest, LcoreOnTheOtherNumaNodeWarns) {
  SysfsFixture f = SysfsFixture::GoodMachine("numa");
  config::IngestConfig config = SysfsFixture::GoodConfig();
  config.worker_lcores = {2, 5};
  Report report = RunOn(f, config);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(Find(report, "lcore_numa", "lcore 2")->verdict, Verdict::kPass);
  const Check* c = Find(report, "lcore_numa", "lcore 5");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->verdict, Verdict::kWarn);
  EXPECT_TRUE(absl::StrContains(c->fix, "node 0 (CPUs 0-3) for 0000:3b:00.0")) << c->fix;
}

TEST(PreflightTest, OfflineLcoreFails) {
  SysfsFixture f = SysfsFixture::GoodMachine("offline");
  config::IngestConfig config = SysfsFixture::GoodConfig();
  config.worker_lcores = {2, 9};
  Report report = RunOn(f, config);
  EXPECT_FALSE(report.ok());
  const Check* c = Find(report, "lcore_online", "lcore 9");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->verdict, Verdict::kFail);
  EXPECT_TRUE(absl::StrContains(c->fix, "from 0-7")) << c->fix;
}

TEST(PreflightTest, VirtualDevicesWithoutHugepagesNeedNothingFromTheMachine) {
  SysfsFixture f("empty");
  f.WriteFile("sys/devices/system/cpu/online", "0-1\n");
  config::IngestConfig config;
  config.node_id = "vdev";
  config.eal_args = {"--no-huge", "--no-shconf", "-m", "256", "--no-pci"};
  config.ports = {config::PortConfig{"net_pcap0,rx_pcap=/tmp/x.pcap", 1, 1024}};
  Report report = RunOn(f, config);
  EXPECT_TRUE(report.ok()) << FormatTable(report);
}

TEST(HugepageNeedsTest, ExplicitEalMemoryWinsOverTheEstimate) {
  config::IngestConfig config = SysfsFixture::GoodConfig();
  const std::map<std::string, int> numa = {{"0000:3b:00.0", 1}};
  config.eal_args = {"--socket-mem=1024,512"};
  EXPECT_EQ(HugepageNeeds(config, numa),
            (std::map<int, uint64_t>{{0, 1024ull << 20}, {1, 512ull << 20}}));
  config.eal_args = {"-m", "256"};
  EXPECT_EQ(HugepageNeeds(config, numa), (std::map<int, uint64_t>{{1, 256ull << 20}}));
  config.eal_args = {"--no-huge"};
  EXPECT_TRUE(HugepageNeeds(config, numa).empty());
}

TEST(HugepageNeedsTest, EstimateGrowsWithQueuesAndMbufs) {
  config::IngestConfig config = SysfsFixture::GoodConfig();
  const std::map<std::string, int> numa = {{"0000:3b:00.0", 0}};
  const uint64_t two_queues = HugepageNeeds(config, numa).at(0);
  // 2 queues x 8191 mbufs of ~2.4 KiB plus overhead: tens of MiB, not kilobytes.
  EXPECT_GT(two_queues, 100ull << 20);
  config.ports[0].rx_queues = 4;
  config.worker_lcores = {2, 3, 4, 5};
  EXPECT_GT(HugepageNeeds(config, numa).at(0), two_queues + (35ull << 20));
}

TEST(ReportFormatTest, TableHasAFixLinePerProblemAndJsonIsOneObject) {
  SysfsFixture f = SysfsFixture::GoodMachine("format");
  f.SetDriver("0000:3b:00.0", "ixgbe");
  f.WriteFile("sys/devices/system/cpu/isolated", "\n");
  f.WriteFile("proc/cmdline", "ro\n");
  Report report = RunOn(f, SysfsFixture::GoodConfig());
  const std::string table = FormatTable(report);
  EXPECT_TRUE(absl::StrContains(table, "fail   driver")) << table;
  EXPECT_TRUE(absl::StrContains(table, "       fix: 0000:3b:00.0 is bound to ixgbe")) << table;
  EXPECT_TRUE(absl::StrContains(table, "[advisory]")) << table;
  EXPECT_TRUE(absl::StrContains(table, "1 failed")) << table;
  EXPECT_FALSE(absl::StrContains(FormatTable(report, false), "pass ")) << table;

  const std::string json = FormatJson(report);
  EXPECT_TRUE(absl::StartsWith(json, "{\"ok\":false,")) << json;
  EXPECT_TRUE(absl::StrContains(
      json,
      "{\"name\":\"driver\",\"subject\":\"0000:3b:00.0\",\"status\":\"fail\","
      "\"required\":true,\"detail\":\"bound to ixgbe, a kernel driver DPDK cannot use\""))
      << json;
  EXPECT_TRUE(absl::StrContains(json, "`ingestctl nic bind 0000:3b:00.0`")) << json;
}

}  // namespace
}  // namespace firehose::preflight
