// ingestd as a child process of a test; see the header.
#include "tests/support/ingestd_process.h"

#include <cstdlib>
#include <map>

#include "absl/strings/str_split.h"

namespace firehose::testing {

std::string TestTempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

absl::StatusOr<IngestdProcess> StartIngestd(const std::string& binary,
                                            const std::string& config_path,
                                            const std::vector<std::string>& extra_flags) {
  std::vector<std::string> argv = {binary, "--config=" + config_path};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  absl::StatusOr<Subprocess> process = Subprocess::Start(argv);
  if (!process.ok()) return process.status();
  absl::StatusOr<std::string> ready = process->WaitForLine("READY", absl::Seconds(30));
  if (!ready.ok()) return ready.status();
  std::map<std::string, std::string> endpoints;
  for (absl::string_view part : absl::StrSplit(*ready, ' ')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    endpoints[kv.first] = kv.second;
  }
  return IngestdProcess{*std::move(process), endpoints["grpc"], endpoints["metrics"]};
}

}  // namespace firehose::testing
