// Fills the export-side benchmarks' statsd batch; see the header.
#include "node/batch/statsd_bench_batch.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "node/common/packet_meta.h"
#include "node/decode/record_sink.h"

namespace firehose::batch {

int FillStatsdBenchBatch(BatchBuilder& builder, int records) {
  std::vector<std::string> names;
  for (int i = 0; i < kBenchBatchNames; ++i) {
    names.push_back(absl::StrCat(i % 2 == 0 ? "api." : "db.", "service.metric.", i));
  }
  decode::StatsdRecord record;
  record.tags[0] = "env:prod";
  record.tags[1] = "region:eu-west-1";
  PacketMeta meta;
  meta.source_address_len = 4;
  meta.source_address[0] = 10;
  meta.source_address[1] = 1;
  for (int i = 0; i < records; ++i) {
    record.name = names[(i * 7) % kBenchBatchNames];
    record.value = i * 0.5;
    record.tag_count = 1 + i % 2;
    meta.source_address[3] = static_cast<uint8_t>(i % kBenchBatchSenders);
    meta.source_port = static_cast<uint16_t>(40000 + i % kBenchBatchSenders);
    meta.receive_unix_nanos = 1'700'000'000'000'000'000 + int64_t{i} * 250;
    if (builder.AddStatsd(record, meta) != AddResult::kAdded) return i;
  }
  return records;
}

}  // namespace firehose::batch
