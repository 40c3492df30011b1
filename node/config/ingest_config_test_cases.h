// Shared by the ingestd config tests (reader, validator, entry points): the smallest
// valid config to build cases on, and the check that a broken config fails with the
// exact message, from the pass (reader or validator) whose rule it breaks.
#ifndef FIREHOSE_NODE_CONFIG_INGEST_CONFIG_TEST_CASES_H_
#define FIREHOSE_NODE_CONFIG_INGEST_CONFIG_TEST_CASES_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/config/ingest_config.h"
#include "node/config/ingest_config_reader.h"

namespace firehose::config::test_cases {

// The smallest valid config: everything else takes its default.
inline constexpr char kMinimal[] =
    "node_id: demo\n"
    "ports:\n"
    "  - device: net_null0\n";

inline std::string Minimal(const std::string& extra) { return absl::StrCat(kMinimal, extra); }

// kMinimal with fields added to its one port, then `extra` at the top level.
inline std::string Ports(const std::string& port_fields, const std::string& extra = "") {
  return absl::StrCat("node_id: demo\nports:\n  - device: net_null0\n", port_fields, extra);
}

// A config with one thing wrong and the exact start of its message: file, field path,
// and what is wrong.
struct ErrorCase {
  const char* name;
  std::string yaml;
  std::string message;
};

// gtest names a failing case by this rather than by its bytes.
inline void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

inline std::string CaseName(const ::testing::TestParamInfo<ErrorCase>& info) {
  return info.param.name;
}

// Which half of loading must reject a case.
enum class Pass { kReader, kValidator };

// ParseIngestConfig rejects `c` as InvalidArgument with c.message, starting with the
// file name; and ReadIngestConfig alone rejects it the same way (kReader) or reads it
// without complaint, leaving the rule to ValidateIngestConfig (kValidator).
inline void ExpectRejectedBy(Pass pass, const ErrorCase& c) {
  absl::StatusOr<IngestConfig> config = ParseIngestConfig(c.yaml, "demo.yaml");
  ASSERT_FALSE(config.ok()) << c.yaml;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), ::testing::HasSubstr(c.message)) << c.yaml;
  EXPECT_EQ(config.status().message().rfind("demo.yaml", 0), 0u)
      << "message must start with the file name: " << config.status().message();
  IngestConfig read;
  absl::Status reader = ReadIngestConfig(c.yaml, "demo.yaml", &read);
  if (pass == Pass::kReader) {
    EXPECT_EQ(reader, config.status()) << "the reader should reject this: " << c.yaml;
  } else {
    EXPECT_TRUE(reader.ok()) << "the validator should be the one to reject this: " << reader;
  }
}

}  // namespace firehose::config::test_cases

#endif  // FIREHOSE_NODE_CONFIG_INGEST_CONFIG_TEST_CASES_H_
