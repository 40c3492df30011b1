// Rooted sysfs/procfs access and the kernel's list formats; see host_fs.h.
#include "controlplane/hostfs/host_fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace firehose::hostfs {
namespace {

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

HostFs::HostFs(std::string root) : root_(root.empty() ? "/" : std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string HostFs::Path(std::string_view relative) const {
  while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
  if (root_ == "/") return absl::StrCat("/", Absl(relative));
  return absl::StrCat(root_, "/", Absl(relative));
}

bool HostFs::Exists(std::string_view relative) const {
  std::error_code ec;
  // symlink_status: a dangling "driver" link still says the device has a driver entry.
  return std::filesystem::exists(std::filesystem::symlink_status(Path(relative), ec));
}

absl::StatusOr<std::string> HostFs::ReadTrimmed(std::string_view relative) const {
  const std::string path = Path(relative);
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": does not exist"));
    return absl::UnavailableError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(text.str()));
}

std::optional<std::string> HostFs::LinkBasename(std::string_view relative) const {
  std::error_code ec;
  const std::filesystem::path target = std::filesystem::read_symlink(Path(relative), ec);
  if (ec) return std::nullopt;
  return target.filename().string();
}

std::vector<std::string> HostFs::List(std::string_view relative) const {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(Path(relative), ec), end; !ec && it != end;
       it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status HostFs::Write(std::string_view relative, std::string_view value) const {
  const std::string path = Path(relative);
  // Without O_CREAT: a missing attribute means the driver or device is not there,
  // which must be reported, not papered over by creating a file. O_TRUNC is ignored
  // by sysfs and makes a fixture file hold exactly the last value written, as an
  // attribute would.
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot open ", path, ": ",
                                                      std::strerror(errno)));
  }
  const ssize_t n = ::write(fd, value.data(), value.size());
  const int write_errno = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return absl::FailedPreconditionError(
        absl::StrCat("writing \"", Absl(value), "\" to ", path, " failed: ",
                     n < 0 ? std::strerror(write_errno) : "short write"));
  }
  return absl::OkStatus();
}

std::optional<std::set<unsigned>> ParseCpuList(std::string_view text) {
  std::set<unsigned> cpus;
  absl::string_view trimmed = absl::StripAsciiWhitespace(Absl(text));
  if (trimmed.empty()) return cpus;
  for (absl::string_view item : absl::StrSplit(trimmed, ',')) {
    std::vector<absl::string_view> ends = absl::StrSplit(item, absl::MaxSplits('-', 1));
    unsigned first = 0;
    unsigned last = 0;
    if (!absl::SimpleAtoi(ends[0], &first)) return std::nullopt;
    last = first;
    if (ends.size() == 2 && !absl::SimpleAtoi(ends[1], &last)) return std::nullopt;
    // A bound on the range keeps a corrupt "0-4000000000" from allocating gigabytes.
    if (last < first || last - first > 65536) return std::nullopt;
    for (unsigned cpu = first; cpu <= last; ++cpu) cpus.insert(cpu);
  }
  return cpus;
}

std::string FormatCpuList(const std::set<unsigned>& cpus) {
  std::string out;
  for (auto it = cpus.begin(); it != cpus.end();) {
    unsigned first = *it;
    unsigned last = first;
    for (++it; it != cpus.end() && *it == last + 1; ++it) last = *it;
    if (!out.empty()) out += ",";
    absl::StrAppend(&out, first);
    if (last != first) absl::StrAppend(&out, "-", last);
  }
  return out;
}

std::optional<std::string> NormalizePciAddress(std::string_view device) {
  std::string address(device.substr(0, device.find(',')));
  if (address.size() == 7) address = "0000:" + address;  // bus:dev.fn
  if (address.size() != 12) return std::nullopt;
  for (size_t i = 0; i < address.size(); ++i) {
    const unsigned char c = address[i];
    const bool ok = i == 4 || i == 7 ? c == ':'
                    : i == 10        ? c == '.'
                    : i == 11        ? c >= '0' && c <= '7'
                                     : absl::ascii_isxdigit(c) != 0;
    if (!ok) return std::nullopt;
  }
  return absl::AsciiStrToLower(address);
}

}  // namespace firehose::hostfs
