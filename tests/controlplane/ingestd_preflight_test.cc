// ingestd refuses to start on a machine that fails a required preflight check: non-zero
// exit before EAL starts, with the device and the fix in its log. Runs the real binary
// against a fixture tree (--preflight_root), so no DPDK or NIC is touched.
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/controlplane/sysfs_fixture.h"
#include "tests/support/subprocess.h"

namespace firehose {
namespace {

using testing::Subprocess;
using testing::SysfsFixture;

std::string WriteConfig(const SysfsFixture& f) {
  const std::string path = f.root() + "/ingestd.yaml";
  std::ofstream(path) << "node_id: gate\n"
                         "eal:\n  args: [\"--in-memory\", \"--no-telemetry\"]\n"
                         "ports:\n  - device: \"0000:3b:00.0\"\n    rx_queues: 2\n"
                         "lcores:\n  main: 0\n  workers: [2, 3]\n"
                         "grpc:\n  listen: \"127.0.0.1:0\"\n"
                         "metrics:\n  listen: \"\"\n";
  return path;
}

// Runs ingestd with stderr folded into stdout; returns its exit code and output.
std::pair<int, std::string> RunIngestd(const SysfsFixture& f) {
  absl::StatusOr<Subprocess> ingestd = Subprocess::Start(
      {"/bin/sh", "-c",
       "exec node/ingestd --config=" + WriteConfig(f) + " --preflight_root=" + f.root() +
           " 2>&1"});
  EXPECT_TRUE(ingestd.ok()) << ingestd.status();
  std::string output;
  while (true) {
    absl::StatusOr<std::string> line = ingestd->WaitForLine("", absl::Seconds(20));
    if (!line.ok()) break;
    output += *line + "\n";
  }
  absl::StatusOr<int> code = ingestd->Wait(absl::Seconds(20));
  EXPECT_TRUE(code.ok()) << code.status();
  return {code.value_or(-1), output};
}

TEST(IngestdPreflightTest, KernelBoundNicStopsStartWithTheFix) {
  SysfsFixture f = SysfsFixture::GoodMachine("gate_ixgbe");
  f.SetDriver("0000:3b:00.0", "ixgbe");
  auto [code, output] = RunIngestd(f);
  EXPECT_EQ(code, 3) << output;
  EXPECT_TRUE(absl::StrContains(output, "preflight failed, not starting")) << output;
  EXPECT_TRUE(absl::StrContains(output,
                                "0000:3b:00.0: driver: bound to ixgbe, a kernel driver DPDK "
                                "cannot use; fix: 0000:3b:00.0 is bound to ixgbe: run "
                                "`ingestctl nic bind 0000:3b:00.0`"))
      << output;
  // It stopped before EAL: no EAL log line, no READY.
  EXPECT_FALSE(absl::StrContains(output, "EAL")) << output;
  EXPECT_FALSE(absl::StrContains(output, "READY")) << output;
}

TEST(IngestdPreflightTest, MissingHugepagesStopStartNamingTheNode) {
  SysfsFixture f = SysfsFixture::GoodMachine("gate_hugepages");
  f.WriteFile("sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages", "0\n");
  auto [code, output] = RunIngestd(f);
  EXPECT_EQ(code, 3) << output;
  EXPECT_TRUE(absl::StrContains(output, "node 0: hugepages: needs")) << output;
}

}  // namespace
}  // namespace firehose
