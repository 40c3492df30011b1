// Tests that each start advances the stored epoch by one and that a corrupt file stops
// the node rather than silently restarting at epoch 1.
#include "node/export/epoch_file.h"

#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"

namespace firehose::exporter {
namespace {

std::string TempPath(const char* name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(EpochFileTest, EachStartAdvancesByOne) {
  const std::string path = TempPath("epoch_advance");
  std::remove(path.c_str());
  EXPECT_EQ(AdvanceEpochFile(path).value(), 1u);
  EXPECT_EQ(AdvanceEpochFile(path).value(), 2u);
  EXPECT_EQ(AdvanceEpochFile(path).value(), 3u);
  std::ifstream in(path);
  uint64_t stored = 0;
  in >> stored;
  EXPECT_EQ(stored, 3u);
}

TEST(EpochFileTest, CorruptFileIsAnError) {
  const std::string path = TempPath("epoch_corrupt");
  std::ofstream(path) << "seven\n";
  EXPECT_EQ(AdvanceEpochFile(path).status().code(), absl::StatusCode::kDataLoss);
}

TEST(EpochFileTest, UnwritableDirectoryIsAnError) {
  EXPECT_FALSE(AdvanceEpochFile("/nonexistent-dir/epoch").ok());
}

}  // namespace
}  // namespace firehose::exporter
