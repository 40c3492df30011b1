// Tests for the rooted file access and the kernel list parsers.
#include "controlplane/hostfs/host_fs.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace firehose::hostfs {
namespace {

TEST(CpuListTest, ParsesRangesAndSingles) {
  auto cpus = ParseCpuList("0-2,5,8-9\n");
  ASSERT_TRUE(cpus.has_value());
  EXPECT_EQ(*cpus, (std::set<unsigned>{0, 1, 2, 5, 8, 9}));
  EXPECT_EQ(FormatCpuList(*cpus), "0-2,5,8-9");
}

TEST(CpuListTest, EmptyIsNoneAndGarbageIsRejected) {
  ASSERT_TRUE(ParseCpuList("\n").has_value());
  EXPECT_TRUE(ParseCpuList("")->empty());
  EXPECT_FALSE(ParseCpuList("2-1").has_value());
  EXPECT_FALSE(ParseCpuList("a,b").has_value());
  EXPECT_FALSE(ParseCpuList("0-4000000000").has_value());
}

TEST(PciAddressTest, NormalizesDomainCaseAndDevargs) {
  EXPECT_EQ(NormalizePciAddress("3B:00.1"), "0000:3b:00.1");
  EXPECT_EQ(NormalizePciAddress("0000:3b:00.0,rxq_cqe_comp_en=1"), "0000:3b:00.0");
  EXPECT_FALSE(NormalizePciAddress("net_pcap0,rx_pcap=/x.pcap").has_value());
  EXPECT_FALSE(NormalizePciAddress("0000:3b:00.9").has_value());
  EXPECT_FALSE(NormalizePciAddress("eth0").has_value());
}

TEST(HostFsTest, PathsStayUnderTheRoot) {
  EXPECT_EQ(HostFs("/").Path("sys/module"), "/sys/module");
  EXPECT_EQ(HostFs("").Path("/proc/cmdline"), "/proc/cmdline");
  EXPECT_EQ(HostFs("/tmp/fx/").Path("/proc/cmdline"), "/tmp/fx/proc/cmdline");
}

TEST(HostFsTest, ReadsWritesListsAndFollowsLinks) {
  const std::string root = std::string(std::getenv("TEST_TMPDIR")) + "/hostfs";
  std::filesystem::create_directories(root + "/a/drivers/vfio-pci");
  std::filesystem::create_directories(root + "/a/dev");
  std::ofstream(root + "/a/value") << "  42\n";
  std::filesystem::create_directory_symlink("../drivers/vfio-pci", root + "/a/dev/driver");
  HostFs fs(root);

  EXPECT_EQ(*fs.ReadTrimmed("a/value"), "42");
  EXPECT_TRUE(absl::IsNotFound(fs.ReadTrimmed("a/missing").status()));
  EXPECT_EQ(fs.LinkBasename("a/dev/driver"), "vfio-pci");
  EXPECT_FALSE(fs.LinkBasename("a/value").has_value());
  EXPECT_EQ(fs.List("a"), (std::vector<std::string>{"dev", "drivers", "value"}));
  EXPECT_TRUE(fs.List("nowhere").empty());

  ASSERT_TRUE(fs.Write("a/value", "7").ok());
  EXPECT_EQ(*fs.ReadTrimmed("a/value"), "7");
  // Attributes are never created: a missing one is an error naming the file.
  absl::Status missing = fs.Write("a/bind", "x");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("a/bind"), absl::string_view::npos);
}

}  // namespace
}  // namespace firehose::hostfs
