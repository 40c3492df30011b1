// Tests how the node config becomes EAL arguments: lcores, prefix, PCI vs vdev ports.
#include "node/dataplane/eal.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace firehose::dataplane {
namespace {

using ::testing::ElementsAre;

TEST(EalTest, RecognisesPciAddresses) {
  EXPECT_TRUE(IsPciAddress("0000:3b:00.0"));
  EXPECT_TRUE(IsPciAddress("3b:00.1"));
  EXPECT_TRUE(IsPciAddress("0000:3b:00.0,rxq_cqe_comp_en=1"));
  EXPECT_FALSE(IsPciAddress("net_pcap0,rx_pcap=/tmp/a.pcap"));
  EXPECT_FALSE(IsPciAddress("0000:3b:00.9"));
  EXPECT_EQ(EthdevName("net_pcap0,rx_pcap=/tmp/a.pcap"), "net_pcap0");
  EXPECT_EQ(EthdevName("0000:3b:00.0"), "0000:3b:00.0");
}

TEST(EalTest, BuildsArgumentsFromConfig) {
  config::IngestConfig config;
  config.main_lcore = 0;
  config.worker_lcores = {1, 3};
  config.file_prefix = "fh-test";
  config.eal_args = {"--no-huge", "-m", "256"};
  config.ports = {{"net_pcap0,rx_pcap=/x.pcap", 1, 1024}, {"0000:3b:00.0", 1, 1024}};
  EXPECT_THAT(BuildEalArgs(config, "ingestd"),
              ElementsAre("ingestd", "-l", "0,1,3", "--main-lcore", "0", "--file-prefix", "fh-test",
                          "--no-huge", "-m", "256", "--vdev", "net_pcap0,rx_pcap=/x.pcap", "-a",
                          "0000:3b:00.0"));
}

TEST(EalTest, CpuMapBecomesEalLcoresOption) {
  config::IngestConfig config;
  config.main_lcore = 0;
  config.worker_lcores = {1, 2};
  config.lcore_cpus = {0, 1, 0};  // worker lcore 2 shares CPU 0 with the main lcore
  config.file_prefix = "fh-test";
  EXPECT_THAT(BuildEalArgs(config, "ingestd"),
              ElementsAre("ingestd", "--lcores", "0@0,1@1,2@0", "--main-lcore", "0",
                          "--file-prefix", "fh-test"));
}

}  // namespace
}  // namespace firehose::dataplane
