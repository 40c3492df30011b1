// systemd service notification for the firehose daemons (ingestd, controld): readiness
// (READY=1), stopping (STOPPING=1) and the service watchdog (WATCHDOG=1), through
// libsystemd's sd_notify. Every call is a no-op when the process was not started by
// systemd with Type=notify (no NOTIFY_SOCKET) or without WatchdogSec (no WATCHDOG_USEC),
// so the daemons behave the same from a shell, a test or a unit.
#ifndef FIREHOSE_CONTROLPLANE_SYSTEMD_SD_NOTIFY_H_
#define FIREHOSE_CONTROLPLANE_SYSTEMD_SD_NOTIFY_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace firehose::systemd {

// Tells the service manager the daemon is ready to serve, with a human-readable status
// line that `systemctl status` shows. Call after every listening socket is up.
void NotifyReady(const std::string& status);

// Tells the service manager the daemon is shutting down (drain in progress).
void NotifyStopping();

// Pets systemd's watchdog from its own thread (never a data-path thread) every half
// WatchdogSec, but only while the daemon proves it is healthy: its main loop must have
// called Alive() within the last watchdog interval and `healthy` (if given) must return
// true. A hung main loop or a failed health check stops the pings, and systemd restarts
// the unit after WatchdogSec. Without WATCHDOG_USEC no thread is started.
class Watchdog {
 public:
  explicit Watchdog(std::function<bool()> healthy = nullptr);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Called from the daemon's main loop on every pass.
  void Alive();

  // WATCHDOG_USEC for this process, 0 when the watchdog is off.
  uint64_t interval_usec() const { return interval_usec_; }

 private:
  void Run();

  std::function<bool()> healthy_;
  uint64_t interval_usec_ = 0;
  std::atomic<int64_t> alive_at_usec_{0};  // CLOCK_MONOTONIC of the last Alive()
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace firehose::systemd

#endif  // FIREHOSE_CONTROLPLANE_SYSTEMD_SD_NOTIFY_H_
