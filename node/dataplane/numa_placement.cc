// Thread memory policy and page placement through the raw syscalls; see the header.
#include "node/dataplane/numa_placement.h"

#include <linux/mempolicy.h>
#include <rte_launch.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace firehose::dataplane {
namespace {

// Node masks of up to 1024 nodes (the kernel's MAX_NUMNODES on common configs).
constexpr unsigned long kMaxNodes = 1024;
constexpr size_t kMaskWords = kMaxNodes / (8 * sizeof(unsigned long));

struct Launch {
  int node;
  const std::function<absl::Status()>* build;
  absl::Status policy;
  absl::Status built;
};

int RunLaunch(void* arg) {
  auto* launch = static_cast<Launch*>(arg);
  launch->policy = PreferNodeForThisThread(launch->node);
  launch->built = (*launch->build)();
  return 0;
}

}  // namespace

absl::Status PreferNodeForThisThread(int node) {
  if (node < 0 || static_cast<unsigned long>(node) >= kMaxNodes) {
    return absl::InvalidArgumentError(absl::StrCat("NUMA node ", node, " is out of range"));
  }
  unsigned long mask[kMaskWords] = {};
  mask[node / (8 * sizeof(unsigned long))] = 1ul << (node % (8 * sizeof(unsigned long)));
  if (syscall(SYS_set_mempolicy, MPOL_PREFERRED, mask, kMaxNodes + 1) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "cannot prefer NUMA node %d for this thread's memory (set_mempolicy: %s); is the "
        "node online (/sys/devices/system/node/online)?",
        node, std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<ThreadPolicy> PolicyOfThisThread() {
  int mode = 0;
  unsigned long mask[kMaskWords] = {};
  if (syscall(SYS_get_mempolicy, &mode, mask, kMaxNodes + 1, nullptr, 0ul) != 0) {
    return absl::InternalError(absl::StrCat("get_mempolicy: ", std::strerror(errno)));
  }
  ThreadPolicy policy;
  policy.mode = mode;
  if (mode == MPOL_PREFERRED) {
    for (unsigned long node = 0; node < kMaxNodes; ++node) {
      if (mask[node / (8 * sizeof(unsigned long))] >> (node % (8 * sizeof(unsigned long))) & 1) {
        policy.preferred_node = static_cast<int>(node);
        break;
      }
    }
  }
  return policy;
}

absl::StatusOr<int> NodeOfAddress(const void* address) {
  int node = -1;
  if (syscall(SYS_get_mempolicy, &node, nullptr, 0ul, address, MPOL_F_NODE | MPOL_F_ADDR) != 0) {
    return absl::InternalError(
        absl::StrFormat("get_mempolicy(%p): %s", address, std::strerror(errno)));
  }
  return node;
}

std::map<int, size_t> PagesByNode(const void* address, size_t length) {
  std::map<int, size_t> pages;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(address) & ~(page - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(address) + (length == 0 ? 1 : length);
  for (uintptr_t at = begin; at < end; at += page) {
    absl::StatusOr<int> node = NodeOfAddress(reinterpret_cast<const void*>(at));
    ++pages[node.ok() ? *node : -1];
  }
  return pages;
}

std::string DescribePages(const std::map<int, size_t>& pages) {
  std::string text;
  for (const auto& [node, count] : pages) {
    absl::StrAppend(&text, text.empty() ? "" : ", ",
                    node < 0 ? std::string("unknown") : absl::StrCat("node ", node), ": ", count,
                    count == 1 ? " page" : " pages");
  }
  return text;
}

absl::Status BuildOnLcore(unsigned lcore, int node, const std::function<absl::Status()>& build,
                          absl::Status* policy_status) {
  Launch launch{node, &build, absl::OkStatus(), absl::OkStatus()};
  if (int rc = rte_eal_remote_launch(&RunLaunch, &launch, lcore); rc != 0) {
    return absl::InternalError(
        absl::StrFormat("cannot launch set-up on lcore %u (rte_eal_remote_launch: %d)", lcore, rc));
  }
  rte_eal_wait_lcore(lcore);
  *policy_status = launch.policy;
  return launch.built;
}

}  // namespace firehose::dataplane
