// Persisted standalone epoch; see the header.
#include "node/export/epoch_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace firehose::exporter {

absl::StatusOr<uint64_t> AdvanceEpochFile(const std::string& path) {
  uint64_t epoch = 0;
  {
    std::ifstream in(path);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      const std::string value(absl::StripAsciiWhitespace(text.str()));
      if (!absl::SimpleAtoi(value, &epoch)) {
        return absl::DataLossError(absl::StrCat("grpc.epoch_file: ", path,
                                                " does not hold an epoch number; fix or "
                                                "remove it"));
      }
    }
  }
  ++epoch;
  const std::string temporary = path + ".tmp";
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("grpc.epoch_file: cannot write ", temporary, ": ", std::strerror(errno)));
  }
  const std::string text = absl::StrCat(epoch, "\n");
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = fsync(fd) == 0;
  close(fd);
  if (!written || !synced || rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::InternalError(
        absl::StrCat("grpc.epoch_file: cannot store ", path, ": ", std::strerror(errno)));
  }
  return epoch;
}

}  // namespace firehose::exporter
