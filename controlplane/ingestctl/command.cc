// Signal handling shared by ingestctl's long-running subcommands; see command.h.
#include "controlplane/ingestctl/command.h"

#include <signal.h>

#include <cmath>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace firehose::ctl {
namespace {

// Lock-free, so storing to it from a signal handler is async-signal-safe.
std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void OnInterrupt(int /*signal*/) { interrupted.store(true, std::memory_order_relaxed); }

}  // namespace

const std::atomic<bool>* CatchInterrupts() {
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: the handler runs once, then the default action (exit) is back.
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return &interrupted;
}

CLI::Validator WholeNumberAtLeast(uint64_t min) {
  return CLI::Validator(
      [min](std::string& input) -> std::string {
        uint64_t value = 0;
        // SimpleAtoi on an unsigned refuses a sign, so "-5" cannot wrap to 2^64 - 5.
        if (!absl::SimpleAtoi(input, &value) || value < min) {
          return absl::StrCat("must be a whole number >= ", min, ", got ", input);
        }
        return "";
      },
      // No description: the option's help text says what the number means.
      "");
}

CLI::Validator Seconds(bool allow_zero) {
  return CLI::Validator(
      [allow_zero](std::string& input) -> std::string {
        double value = 0;
        if (!absl::SimpleAtod(input, &value) || !std::isfinite(value) || value < 0 ||
            (!allow_zero && value == 0)) {
          return absl::StrCat("must be a number of seconds ", allow_zero ? ">= 0" : "> 0", ", got ",
                              input);
        }
        return "";
      },
      "");
}

}  // namespace firehose::ctl
