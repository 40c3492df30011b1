// Readiness and watchdog notifications to systemd; see sd_notify.h.
#include "controlplane/systemd/sd_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <chrono>

namespace firehose::systemd {
namespace {

int64_t MonotonicUsec() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
}

}  // namespace

void NotifyReady(const std::string& status) {
  sd_notifyf(/*unset_environment=*/0, "READY=1\nSTATUS=%s", status.c_str());
}

void NotifyStopping() { sd_notify(/*unset_environment=*/0, "STOPPING=1\nSTATUS=draining"); }

Watchdog::Watchdog(std::function<bool()> healthy) : healthy_(std::move(healthy)) {
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set (and WATCHDOG_PID, if set, names this process).
  if (sd_watchdog_enabled(/*unset_environment=*/0, &usec) <= 0 || usec == 0) return;
  interval_usec_ = usec;
  alive_at_usec_.store(MonotonicUsec(), std::memory_order_relaxed);
  thread_ = std::thread([this] { Run(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::Alive() { alive_at_usec_.store(MonotonicUsec(), std::memory_order_relaxed); }

void Watchdog::Run() {
  // Half the interval, as sd_watchdog_enabled(3) recommends, so one late ping is not fatal.
  const auto period = std::chrono::microseconds(interval_usec_ / 2);
  std::unique_lock<std::mutex> lock(mu_);
  while (!wake_.wait_for(lock, period, [this] { return stop_; })) {
    const int64_t since_alive = MonotonicUsec() - alive_at_usec_.load(std::memory_order_relaxed);
    if (since_alive > static_cast<int64_t>(interval_usec_)) continue;  // main loop is stuck
    if (healthy_ && !healthy_()) continue;
    sd_notify(/*unset_environment=*/0, "WATCHDOG=1");
  }
}

}  // namespace firehose::systemd
