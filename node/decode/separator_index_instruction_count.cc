// Instructions per SeparatorIndex::Build, per builder this CPU has, for the payload
// sizes given on the command line. valgrind (3.19) hides AVX-512 from the program, so
// callgrind cannot count the AVX-512 builders; this tool single-steps a child process
// with ptrace instead and takes (steps with kBuilds builds - steps with none) / kBuilds,
// which counts every retired user-mode instruction of Build() and its call, whatever
// the instruction set. Build() does the same work for any bytes of a given size, so a
// size fully determines the count. Run with --config=release:
//   bazel run --config=release //node/decode:separator_index_instruction_count -- 59 179
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "node/decode/separator_index.h"

namespace firehose::decode {
namespace {

constexpr int kBuilds = 20;

// Instructions the child retires from its SIGSTOP to its exit, with `builds` builds of
// a `size`-byte statsd-like payload in between; -1 if ptrace fails.
long StepsToExit(SeparatorIndexImpl impl, size_t size, int builds) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    std::string payload(size, 'x');
    for (size_t i = 0; i < size; i += 7) payload[i] = "|:,\n"[i % 4];
    const auto index = std::make_unique<SeparatorIndex>(impl);
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(2);
    raise(SIGSTOP);
    for (int b = 0; b < builds; ++b) index->Build(payload.data(), payload.size());
    _exit(index->ascii() ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFSTOPPED(status)) return -1;
  long steps = 0;
  while (true) {
    if (ptrace(PTRACE_SINGLESTEP, pid, nullptr, nullptr) != 0) return -1;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) || WIFSIGNALED(status)) break;
    ++steps;
  }
  return steps;
}

}  // namespace
}  // namespace firehose::decode

int main(int argc, char** argv) {
  using firehose::decode::SeparatorIndex;
  using firehose::decode::SeparatorIndexImpl;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SIZE...  (payload sizes in bytes, at most %zu)\n", argv[0],
                 SeparatorIndex::kMaxBytes);
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    const size_t size = std::strtoul(argv[i], nullptr, 10);
    if (size > SeparatorIndex::kMaxBytes) {
      std::fprintf(stderr, "size %zu is over kMaxBytes (%zu)\n", size, SeparatorIndex::kMaxBytes);
      return 2;
    }
    for (SeparatorIndexImpl impl : {SeparatorIndexImpl::kSse2, SeparatorIndexImpl::kAvx2,
                                    SeparatorIndexImpl::kAvx512Vl, SeparatorIndexImpl::kAvx512}) {
      if (!SeparatorIndex::Supported(impl)) continue;
      const long without = firehose::decode::StepsToExit(impl, size, 0);
      const long with = firehose::decode::StepsToExit(impl, size, firehose::decode::kBuilds);
      if (without < 0 || with < 0) {
        std::fprintf(stderr, "ptrace failed (run outside a sandbox that forbids it)\n");
        return 1;
      }
      std::printf("%6zu bytes  %-9s %7.1f instructions per Build\n", size,
                  firehose::decode::SeparatorIndexImplName(impl),
                  static_cast<double>(with - without) / firehose::decode::kBuilds);
    }
  }
  return 0;
}
