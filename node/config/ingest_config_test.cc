// Tests for ingestd's config entry points: LoadIngestConfig reads the file (and says
// which file when it cannot), ParseIngestConfig runs the reader and then the validator,
// and the commented example config loads. The rules themselves are tested beside their
// halves: ingest_config_reader_test.cc and ingest_config_validator_test.cc.
#include "node/config/ingest_config.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/config/ingest_config_test_cases.h"

namespace firehose::config {
namespace {

using ::firehose::config::test_cases::Minimal;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(IngestConfigTest, ExampleYamlLoads) {
  // Bazel runs tests from the workspace root of the runfiles tree.
  absl::StatusOr<IngestConfig> config = LoadIngestConfig("node/config/example.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->node_id, "demo-node-a");
  EXPECT_THAT(config->eal_args, ElementsAre("--no-huge", "--no-shconf", "-m", "256", "--no-pci"));
  EXPECT_EQ(config->file_prefix, "firehose-demo");
  ASSERT_EQ(config->ports.size(), 1u);
  EXPECT_THAT(config->ports[0].device, HasSubstr("net_pcap0,rx_pcap="));
  EXPECT_EQ(config->ports[0].rx_queues, 1);
  EXPECT_THAT(config->worker_lcores, ElementsAre(1u));
  EXPECT_THAT(config->udp_decoders, ElementsAre(Pair(8125, "statsd")));
}

TEST(IngestConfigTest, LoadsFromFile) {
  const char* tmpdir = std::getenv("TEST_TMPDIR");
  ASSERT_NE(tmpdir, nullptr);
  std::string path = absl::StrCat(tmpdir, "/node.yaml");
  {
    std::ofstream out(path);
    out << Minimal("batch: {max_records: 0}\n");
  }
  absl::StatusOr<IngestConfig> config = LoadIngestConfig(path);
  ASSERT_FALSE(config.ok());
  // Errors from a file name that file, not a placeholder.
  EXPECT_EQ(config.status().message(),
            absl::StrCat(path, ": batch.max_records: must be between 1 and 1048576, got 0"));
}

TEST(IngestConfigTest, MissingFileIsNotFoundNamingThePath) {
  absl::StatusOr<IngestConfig> config = LoadIngestConfig("/nonexistent/dir/node.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(config.status().message(),
            "cannot open config file /nonexistent/dir/node.yaml: No such file or directory");
}

TEST(IngestConfigTest, DirectoryIsAnError) {
  const char* tmpdir = std::getenv("TEST_TMPDIR");
  ASSERT_NE(tmpdir, nullptr);
  absl::StatusOr<IngestConfig> config = LoadIngestConfig(tmpdir);
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(),
              HasSubstr(absl::StrCat("cannot read config file ", tmpdir, ": Is a directory")));
}

TEST(IngestConfigTest, ParseReportsTheReadersErrorBeforeTheValidators) {
  // Both halves would object here (a key typo; a worker on the main lcore): the file is
  // reported as written wrong first, as one pass over the YAML finds it.
  absl::StatusOr<IngestConfig> both =
      ParseIngestConfig(Minimal("lcores: {main: 1, workers: [1]}\nbach: {}\n"), "p.yaml");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.status().message(), "p.yaml: unknown field \"bach\" (did you mean \"batch\"?)");
  absl::StatusOr<IngestConfig> validator_only =
      ParseIngestConfig(Minimal("lcores: {main: 1, workers: [1]}\n"), "p.yaml");
  ASSERT_FALSE(validator_only.ok());
  EXPECT_THAT(validator_only.status().message(),
              HasSubstr("p.yaml: lcores.workers[0]: lcore 1 is the main lcore"));
}

}  // namespace
}  // namespace firehose::config
