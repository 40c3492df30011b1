// The first half of loading ingestd's config: YAML text into an IngestConfig, without
// the value and cross-field rules (ValidateIngestConfig, the second half, runs those).
// ParseIngestConfig in ingest_config.h runs both; this is for callers and tests that
// want to see what the reader alone makes of a file.
#ifndef FIREHOSE_NODE_CONFIG_INGEST_CONFIG_READER_H_
#define FIREHOSE_NODE_CONFIG_INGEST_CONFIG_READER_H_

#include <string_view>

#include "absl/status/status.h"
#include "node/config/ingest_config.h"

namespace firehose::config {

// Reads `yaml_text` into `*config`: rejects YAML syntax errors ("source:line:column:
// ..."), more than one document, unknown and duplicate keys, values of the wrong shape,
// and numbers outside their field's range (a number too large for its field must not
// wrap into range). Fields the text leaves out keep the value `*config` has, so a fresh
// IngestConfig gives the documented defaults; a `decoders` map replaces the default
// rather than adding to it. Errors are InvalidArgument and start with `source_name`.
absl::Status ReadIngestConfig(std::string_view yaml_text, std::string_view source_name,
                              IngestConfig* config);

}  // namespace firehose::config

#endif  // FIREHOSE_NODE_CONFIG_INGEST_CONFIG_READER_H_
