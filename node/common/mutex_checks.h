// Turns off abseil's Mutex deadlock graph in the daemons (ingestd, the relay, controld).
//
// Debian builds abseil without NDEBUG, so its debug-mode checks are live in every
// binary linked against it: each absl::Mutex lock in the process, gRPC's own locks
// included, records the lock order in one process-wide graph behind one global
// spinlock, and each Mutex destructor removes itself from it. That is a debugging aid
// with a cost on every lock (in ingestd at 100 kpps with one subscriber, ~0.9 % of the
// machine's CPU samples in the graph code alone, on the export thread and gRPC's threads)
// and a point where every locking thread meets. Tests keep the check (they
// never call this); the daemons call it first thing in main, as abseil's own release
// builds behave.
#ifndef FIREHOSE_NODE_COMMON_MUTEX_CHECKS_H_
#define FIREHOSE_NODE_COMMON_MUTEX_CHECKS_H_

namespace firehose {

// Call before any thread starts: absl::Mutex no longer tracks lock order.
void DisableMutexDeadlockGraph();

}  // namespace firehose

#endif  // FIREHOSE_NODE_COMMON_MUTEX_CHECKS_H_
