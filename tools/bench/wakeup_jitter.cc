// wakeup_jitter: how late this machine wakes a sleeping thread, per CPU. One thread per
// CPU named by --cpus, pinned there, sleeps --interval_us at a time (timer slack 1 ns)
// for --seconds and records by how much each wake-up overshot the requested time.
// Prints one JSON line: {"interval_us":I,"cpus":{"0":{"wakeups":N,"p50_us":..,"p99_us":..,
// "p999_us":..,"max_us":..},...}}.
//
// make bench's latency mode runs it on an otherwise idle machine just before and just
// after each paced run: every hop from a packet to the subscriber is a thread waking on
// one of these CPUs, so when the host is slow to wake an idle vCPU (a VM's scheduler,
// not ours) it shows here first, and the run's tail can be read against it.
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "tools/bench/sample_stats.h"

ABSL_FLAG(std::string, cpus, "0", "Comma-separated CPUs to measure, one thread each.");
ABSL_FLAG(double, seconds, 1, "How long to measure (bounded: at most 60).");
ABSL_FLAG(int64_t, interval_us, 200, "How long each sleep asks for, 1..999999.");

namespace {

int64_t MonotonicNanos() { return firehose::bench::ClockNanos(CLOCK_MONOTONIC); }

// Overshoots in nanoseconds of each wake-up, on `cpu`, until `deadline`.
std::vector<int64_t> MeasureOn(int cpu, int64_t interval_nanos, int64_t deadline) {
  std::vector<int64_t> overshoots;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) return overshoots;
  // Without this the kernel may defer the wake-up by the thread's timer slack (50 us by
  // default), which would be measured as lateness it is not.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  overshoots.reserve(
      static_cast<size_t>(deadline - MonotonicNanos()) / static_cast<size_t>(interval_nanos) + 16);
  timespec nap = {};
  nap.tv_nsec = interval_nanos;  // under a second: --interval_us is clamped
  for (int64_t now = MonotonicNanos(); now < deadline;) {
    nanosleep(&nap, nullptr);
    const int64_t woke = MonotonicNanos();
    overshoots.push_back(std::max<int64_t>(0, woke - now - interval_nanos));
    now = woke;
  }
  return overshoots;
}

double PercentileMicros(std::vector<int64_t>& values, double p) {
  return firehose::bench::Percentile(values, p) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::vector<int> cpus;
  for (absl::string_view field : absl::StrSplit(absl::GetFlag(FLAGS_cpus), ',')) {
    int cpu = 0;
    if (!absl::SimpleAtoi(field, &cpu) || cpu < 0 || cpu >= CPU_SETSIZE) {
      std::fprintf(stderr, "--cpus: '%.*s' is not a CPU number\n", static_cast<int>(field.size()),
                   field.data());
      return 2;
    }
    cpus.push_back(cpu);
  }
  const double seconds = std::clamp(absl::GetFlag(FLAGS_seconds), 0.01, 60.0);
  const int64_t interval_nanos =
      std::clamp<int64_t>(absl::GetFlag(FLAGS_interval_us), 1, 999'999) * 1000;
  const int64_t deadline = MonotonicNanos() + static_cast<int64_t>(seconds * 1e9);

  std::vector<std::vector<int64_t>> results(cpus.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < cpus.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = MeasureOn(cpus[i], interval_nanos, deadline); });
  }
  for (std::thread& thread : threads) thread.join();

  for (size_t i = 0; i < cpus.size(); ++i) {
    if (results[i].empty()) {
      std::fprintf(stderr, "CPU %d: could not run there (not in this process's CPU set?)\n",
                   cpus[i]);
      return 1;
    }
  }
  std::printf("{\"interval_us\":%lld,\"cpus\":{", static_cast<long long>(interval_nanos / 1000));
  for (size_t i = 0; i < cpus.size(); ++i) {
    std::vector<int64_t>& overshoots = results[i];
    const double max_us =
        static_cast<double>(*std::max_element(overshoots.begin(), overshoots.end())) / 1000.0;
    std::printf(
        "%s\"%d\":{\"wakeups\":%zu,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,"
        "\"max_us\":%.1f}",
        i == 0 ? "" : ",", cpus[i], overshoots.size(), PercentileMicros(overshoots, 0.5),
        PercentileMicros(overshoots, 0.99), PercentileMicros(overshoots, 0.999), max_us);
  }
  std::printf("}}\n");
  return 0;
}
