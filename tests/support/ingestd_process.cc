// ingestd as a child process of a test; see the header.
#include "tests/support/ingestd_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "absl/strings/str_split.h"

namespace firehose::testing {

std::string TestTempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

uint16_t FreeLoopbackPort(int type) {
  const int fd = socket(AF_INET, type, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
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
