// Putting a worker's own memory on its port's NUMA node, and asking the kernel where
// pages really are.
//
// A worker's hot state besides the mbufs (its batcher: hand-off rings, batch builders,
// probe tables; its decoders) is ordinary heap memory. Linux places a heap page on the
// node of the thread that first touches it, within that thread's memory policy. So the
// node builds those objects on the worker's own lcore thread after setting that thread's
// policy to prefer the port's node (set_mempolicy(MPOL_PREFERRED)); the policy stays for
// the thread's life, so whatever the worker allocates later lands there too. "Prefer"
// and not "bind": when the node is out of memory the kernel takes another node instead
// of failing the allocation. The kernel is then asked where the pages went
// (get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR)) and the answer is logged.
//
// Raw system calls (<linux/mempolicy.h>): no libnuma needed. Control path only.
#ifndef FIREHOSE_NODE_DATAPLANE_NUMA_PLACEMENT_H_
#define FIREHOSE_NODE_DATAPLANE_NUMA_PLACEMENT_H_

#include <cstddef>
#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace firehose::dataplane {

// Sets the calling thread's memory policy to prefer `node`. Fails (naming the node and
// the kernel's reason) when the node does not exist or is offline.
absl::Status PreferNodeForThisThread(int node);

// The calling thread's memory policy: the mode (MPOL_DEFAULT, MPOL_PREFERRED, ...) and,
// for MPOL_PREFERRED, the preferred node (-1 otherwise).
struct ThreadPolicy {
  int mode = 0;
  int preferred_node = -1;
};
absl::StatusOr<ThreadPolicy> PolicyOfThisThread();

// The node of the page holding `address`, as the kernel reports it (a page not yet
// present is faulted in first, as a read would).
absl::StatusOr<int> NodeOfAddress(const void* address);

// Node -> number of pages of [address, address + length) on it; node -1 counts pages
// the kernel would not place (an error for that page).
std::map<int, size_t> PagesByNode(const void* address, size_t length);

// "node 0: 3 pages" or "node 0: 10 pages, node 1: 2 pages".
std::string DescribePages(const std::map<int, size_t>& pages);

// Runs `build` on EAL lcore `lcore` (which must be idle, i.e. not launched yet) after
// setting that lcore thread's policy to prefer `node`, and waits for it. Returns the
// policy error (and still runs `build`, with the default policy) when the node cannot be
// preferred, so a machine without that node runs anyway; `build`'s own status otherwise.
absl::Status BuildOnLcore(unsigned lcore, int node, const std::function<absl::Status()>& build,
                          absl::Status* policy_status);

}  // namespace firehose::dataplane

#endif  // FIREHOSE_NODE_DATAPLANE_NUMA_PLACEMENT_H_
