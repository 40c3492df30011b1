// The statsd batch the export-side benchmarks publish (subscribe_benchmark,
// batch_wire_encoder_benchmark): records over 500 names from 64 senders, one or two
// tags each, 250 ns apart, as a worker would build it. One definition, so both
// benchmarks measure the same batch.
#ifndef FIREHOSE_NODE_BATCH_STATSD_BENCH_BATCH_H_
#define FIREHOSE_NODE_BATCH_STATSD_BENCH_BATCH_H_

#include "node/batch/batch_builder.h"

namespace firehose::batch {

inline constexpr int kBenchBatchNames = 500;
inline constexpr int kBenchBatchSenders = 64;

// Adds up to `records` records to `builder`; returns how many it took (fewer only if
// the builder's limits are smaller than `records` such records).
int FillStatsdBenchBatch(BatchBuilder& builder, int records);

}  // namespace firehose::batch

#endif  // FIREHOSE_NODE_BATCH_STATSD_BENCH_BATCH_H_
