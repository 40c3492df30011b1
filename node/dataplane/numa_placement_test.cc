// Tests the NUMA placement of a worker's memory by asking the kernel (get_mempolicy with
// MPOL_F_NODE | MPOL_F_ADDR) where pages are. This machine may have a single node, where
// every page is on node 0 whatever the code does; so the tests also check what can fail
// there: the lcore thread's policy really is MPOL_PREFERRED for the requested node, and
// a node that is not online is refused with a message naming it.
#include "node/dataplane/numa_placement.h"

#include <linux/mempolicy.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/batch/batcher.h"
#include "node/dataplane/eal.h"

namespace firehose::dataplane {
namespace {

// The lowest node id that is not possible on this machine, e.g. 1 when "0" is listed.
int FirstImpossibleNode() {
  std::string possible;
  std::ifstream("/sys/devices/system/node/possible") >> possible;  // "0" or "0-3"
  const size_t dash = possible.rfind('-');
  return std::stoi(dash == std::string::npos ? possible : possible.substr(dash + 1)) + 1;
}

int NodeOfLcore(unsigned lcore) { return static_cast<int>(rte_lcore_to_socket_id(lcore)); }

class NumaPlacementTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::vector<std::string> args = {"numa_placement_test",
                                     "--no-huge",
                                     "--no-shconf",
                                     "-m",
                                     "64",
                                     "--no-pci",
                                     "--no-telemetry",
                                     "-l",
                                     "0-1",
                                     "--file-prefix=fh-numa-" + std::to_string(getpid())};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0);
  }
  static void TearDownTestSuite() { CleanupEal(); }
};

TEST_F(NumaPlacementTest, PreferredNodeHoldsTheThreadsNewPages) {
  std::thread([] {
    ASSERT_TRUE(PreferNodeForThisThread(0).ok());
    absl::StatusOr<ThreadPolicy> policy = PolicyOfThisThread();
    ASSERT_TRUE(policy.ok()) << policy.status();
    EXPECT_EQ(policy->mode, MPOL_PREFERRED);
    EXPECT_EQ(policy->preferred_node, 0);
    // 4 MiB: malloc takes it straight from mmap, so every page is new and this thread
    // touches it first.
    std::vector<char> block(4 << 20, 1);
    const std::map<int, size_t> pages = PagesByNode(block.data(), block.size());
    EXPECT_EQ(pages.size(), 1u) << DescribePages(pages);
    EXPECT_GE(pages.count(0) ? pages.at(0) : 0, (4u << 20) / 4096) << DescribePages(pages);
  }).join();
}

TEST_F(NumaPlacementTest, ANodeThatDoesNotExistIsRefusedByName) {
  const int missing = FirstImpossibleNode();
  std::thread([missing] {
    const absl::Status status = PreferNodeForThisThread(missing);
    EXPECT_FALSE(status.ok());
    EXPECT_THAT(std::string(status.message()),
                ::testing::HasSubstr("NUMA node " + std::to_string(missing)));
    absl::StatusOr<ThreadPolicy> policy = PolicyOfThisThread();
    ASSERT_TRUE(policy.ok());
    EXPECT_EQ(policy->mode, MPOL_DEFAULT) << "a refused policy leaves the default";
  }).join();
  EXPECT_FALSE(PreferNodeForThisThread(-1).ok());
}

// What ingest_node does for each worker: build the batcher on the worker's lcore with
// the port's node preferred. Its object, a batch builder and the lcore's later pages
// are on that node, and the lcore keeps the policy for the worker's Run().
TEST_F(NumaPlacementTest, BatcherBuiltOnTheWorkerLcoreLivesOnThePortsNode) {
  const unsigned lcore = rte_get_next_lcore(-1, /*skip_main=*/1, /*wrap=*/0);
  ASSERT_LT(lcore, static_cast<unsigned>(RTE_MAX_LCORE));
  const int port_node = NodeOfLcore(lcore);  // a virtual port reports node 0 here
  std::unique_ptr<batch::Batcher> batcher;
  batch::BatchBuilder* builder = nullptr;
  absl::Status policy_status;
  ThreadPolicy policy_on_lcore;
  const absl::Status built = BuildOnLcore(
      lcore, port_node,
      [&]() -> absl::Status {
        batcher = std::make_unique<batch::Batcher>(0, batch::BatchLimits{}, 4, 1'000'000);
        // One record and a flush, as the worker would, to reach a builder.
        decode::StatsdRecord record;
        record.name = "numa.check";
        PacketMeta meta;
        meta.receive_unix_nanos = 1;
        meta.source_address_len = 4;
        batcher->AddStatsd(record, meta);
        batcher->FlushNow();
        builder = batcher->TakeFull();
        absl::StatusOr<ThreadPolicy> policy = PolicyOfThisThread();
        if (!policy.ok()) return policy.status();
        policy_on_lcore = *policy;
        return absl::OkStatus();
      },
      &policy_status);
  ASSERT_TRUE(built.ok()) << built;
  ASSERT_TRUE(policy_status.ok()) << policy_status;
  EXPECT_EQ(policy_on_lcore.mode, MPOL_PREFERRED);
  EXPECT_EQ(policy_on_lcore.preferred_node, port_node);
  ASSERT_NE(builder, nullptr);
  const std::map<int, size_t> batcher_pages = PagesByNode(batcher.get(), sizeof(batch::Batcher));
  const std::map<int, size_t> builder_pages = PagesByNode(builder, sizeof(batch::BatchBuilder));
  EXPECT_EQ(batcher_pages.size(), 1u) << DescribePages(batcher_pages);
  EXPECT_EQ(batcher_pages.count(port_node), 1u) << DescribePages(batcher_pages);
  EXPECT_EQ(builder_pages.size(), 1u) << DescribePages(builder_pages);
  EXPECT_EQ(builder_pages.count(port_node), 1u) << DescribePages(builder_pages);
  batcher->Release(builder);

  // The lcore thread keeps the policy for what it runs next (the worker's Run()).
  absl::Status again_policy;
  ThreadPolicy later;
  ASSERT_TRUE(BuildOnLcore(
                  lcore, port_node,
                  [&]() -> absl::Status {
                    absl::StatusOr<ThreadPolicy> policy = PolicyOfThisThread();
                    if (policy.ok()) later = *policy;
                    return policy.status();
                  },
                  &again_policy)
                  .ok());
  EXPECT_EQ(later.mode, MPOL_PREFERRED);
  EXPECT_EQ(later.preferred_node, port_node);
}

}  // namespace
}  // namespace firehose::dataplane
