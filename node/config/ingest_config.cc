// ingestd's config entry points (ingest_config.h): read a file, then run the two
// passes over it, the YAML reader (ingest_config_reader.cc: shapes, keys, ranges) and
// the validator (ingest_config_validator.cc: value and cross-field rules), so a config
// that loads is one the data path can be built from.
#include "node/config/ingest_config.h"

#include <cerrno>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "node/config/config_rules.h"
#include "node/config/ingest_config_reader.h"

namespace firehose::config {

absl::StatusOr<IngestConfig> ParseIngestConfig(std::string_view yaml_text,
                                               std::string_view source_name) {
  IngestConfig config;
  FIREHOSE_RETURN_IF_ERROR(ReadIngestConfig(yaml_text, source_name, &config));
  FIREHOSE_RETURN_IF_ERROR(ValidateIngestConfig(config, source_name));
  return config;
}

absl::StatusOr<IngestConfig> LoadIngestConfig(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot open config file ", path));
  }
  std::string text;
  char buffer[8192];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    text.append(buffer, n);
  }
  // fread sets errno on failure, e.g. EISDIR for a directory; keep it before fclose.
  int read_errno = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (read_errno != 0) {
    return absl::ErrnoToStatus(read_errno, absl::StrCat("cannot read config file ", path));
  }
  return ParseIngestConfig(text, path);
}

}  // namespace firehose::config
