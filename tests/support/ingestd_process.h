// Starts ingestd for a multi-process test and reads the endpoints from its READY line.
#ifndef FIREHOSE_TESTS_SUPPORT_INGESTD_PROCESS_H_
#define FIREHOSE_TESTS_SUPPORT_INGESTD_PROCESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/subprocess.h"

namespace firehose::testing {

struct IngestdProcess {
  Subprocess process;
  std::string grpc_address;     // from "READY grpc=HOST:PORT metrics=HOST:PORT"
  std::string metrics_address;  // "off" when metrics are disabled
};

// Runs `binary --config=CONFIG EXTRA_FLAGS...` and waits (30 s) for its READY line.
absl::StatusOr<IngestdProcess> StartIngestd(const std::string& binary,
                                            const std::string& config_path,
                                            const std::vector<std::string>& extra_flags = {});

// $TEST_TMPDIR, or /tmp outside Bazel.
std::string TestTempDir();

// A 127.0.0.1 port of `type` (SOCK_DGRAM, SOCK_STREAM) that was free a moment ago, for
// configs that need a fixed port (the kernel backend's UDP ports).
uint16_t FreeLoopbackPort(int type);

}  // namespace firehose::testing

#endif  // FIREHOSE_TESTS_SUPPORT_INGESTD_PROCESS_H_
