// Starts ingestd for a multi-process test and reads the endpoints from its READY line.
#ifndef FIREHOSE_TESTS_SUPPORT_INGESTD_PROCESS_H_
#define FIREHOSE_TESTS_SUPPORT_INGESTD_PROCESS_H_

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

}  // namespace firehose::testing

#endif  // FIREHOSE_TESTS_SUPPORT_INGESTD_PROCESS_H_
