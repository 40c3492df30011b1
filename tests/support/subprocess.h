// Runs a program as a child process for multi-process tests: captures its stdout line
// by line (so a test can wait for "READY ..."), sends it signals, and reaps it with a
// deadline so a hung child fails the test instead of hanging it.
#ifndef FIREHOSE_TESTS_SUPPORT_SUBPROCESS_H_
#define FIREHOSE_TESTS_SUPPORT_SUBPROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace firehose::testing {

class Subprocess {
 public:
  // Starts `argv[0]` with `argv`; stderr is inherited (shows in the test log).
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  ~Subprocess();  // kills (SIGKILL) and reaps a child that is still running

  // Reads stdout until a line starting with `prefix` arrives; returns that line.
  // Fails when the child exits or closes stdout first, or on timeout.
  absl::StatusOr<std::string> WaitForLine(const std::string& prefix, absl::Duration timeout);

  void Signal(int signo);
  // Waits for exit; returns the exit code, or 128+signal if killed by one.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  pid_t pid() const { return pid_; }

 private:
  Subprocess(pid_t pid, int stdout_fd) : pid_(pid), stdout_fd_(stdout_fd) {}

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
  bool reaped_ = false;
};

}  // namespace firehose::testing

#endif  // FIREHOSE_TESTS_SUPPORT_SUBPROCESS_H_
