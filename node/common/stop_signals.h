// The daemons' shutdown signals (ingestd, the relay): SIGINT and SIGTERM are blocked in
// the calling thread and, by inheritance, in every thread started after it (EAL's,
// gRPC's, the workers'), so only the main loop's sigtimedwait sees them and shutdown
// happens in one known order. Call first thing in main().
#ifndef FIREHOSE_NODE_COMMON_STOP_SIGNALS_H_
#define FIREHOSE_NODE_COMMON_STOP_SIGNALS_H_

#include <pthread.h>
#include <signal.h>

namespace firehose {

// Blocks SIGINT and SIGTERM and returns the set, for sigtimedwait.
inline sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace firehose

#endif  // FIREHOSE_NODE_COMMON_STOP_SIGNALS_H_
