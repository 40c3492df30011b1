// Runtime objects from the `grpc:` section; see the header.
#include "node/config/grpc_config.h"

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "node/export/record_filter.h"

namespace firehose::config {

absl::StatusOr<std::vector<exporter::ConsumerToken>> LoadConsumerTokens(
    const IngestConfig& config) {
  std::vector<exporter::ConsumerToken> tokens;
  for (const IngestConfig::Token& entry : config.grpc_tokens) {
    std::ifstream in(entry.token_file);
    std::stringstream text;
    text << in.rdbuf();
    exporter::ConsumerToken token;
    token.name = entry.name;
    token.token = std::string(absl::StripAsciiWhitespace(text.str()));
    if (!in || token.token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "grpc.tokens: ", entry.name, ": cannot read a token from ", entry.token_file));
    }
    if (!entry.kinds.empty()) {
      token.kinds = 0;
      for (const std::string& kind : entry.kinds) {
        if (kind == "statsd") token.kinds |= exporter::KindBit(v1::RECORD_KIND_STATSD);
        if (kind == "flow") token.kinds |= exporter::KindBit(v1::RECORD_KIND_FLOW);
        if (kind == "line_protocol") {
          token.kinds |= exporter::KindBit(v1::RECORD_KIND_LINE_PROTOCOL);
        }
      }
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

exporter::HubOptions HubOptionsFor(const IngestConfig& config) {
  exporter::HubOptions options;
  options.queue_capacity = config.subscriber_queue_batches;
  options.policy = config.slow_subscriber == "disconnect"
                       ? exporter::SlowSubscriberPolicy::kDisconnect
                       : exporter::SlowSubscriberPolicy::kDropOldest;
  options.replay_bytes = config.replay_bytes;
  options.queue_bytes = config.subscriber_queue_bytes;
  return options;
}

exporter::GrpcServerOptions ServerOptionsFor(const IngestConfig& config) {
  exporter::GrpcServerOptions options;
  options.listen = config.grpc_listen;
  options.tls_cert_file = config.grpc_tls.cert;
  options.tls_key_file = config.grpc_tls.key;
  options.tls_client_ca_file = config.grpc_tls.client_ca;
  return options;
}

}  // namespace firehose::config
