// Reading and validating the relay's config file; see the header.
#include "relay/relay_config.h"

#include <fstream>
#include <initializer_list>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "node/config/config_rules.h"
#include "yaml-cpp/yaml.h"

namespace firehose::relay {
namespace {

// The relay's own listeners when the file names none: loopback, like ingestd's, so a
// relay started by hand exposes nothing by accident (the Helm chart sets both).
constexpr char kDefaultGrpcListen[] = "127.0.0.1:7070";
constexpr char kDefaultMetricsListen[] = "127.0.0.1:9102";

class Reader {
 public:
  explicit Reader(absl::string_view source) : source_(source) {}

  absl::string_view source() const { return source_; }

  absl::Status Error(absl::string_view path, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": ", path, ": ", what));
  }

  // `map[key]` when `map` is a map holding `key` (looked up by text: yaml-cpp's
  // conversions throw on odd keys).
  static std::optional<YAML::Node> Field(const YAML::Node& map, absl::string_view key) {
    if (!map.IsMap()) return std::nullopt;
    for (const auto& entry : map) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
    }
    return std::nullopt;
  }

  absl::Status CheckFields(const YAML::Node& node, absl::string_view path,
                           std::initializer_list<absl::string_view> allowed) const {
    if (node.IsNull()) return absl::OkStatus();
    if (!node.IsMap()) return Error(path.empty() ? "(top level)" : path, "must be a map");
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
      const std::string where = path.empty() ? key : absl::StrCat(path, ".", key);
      bool known = false;
      for (absl::string_view name : allowed) known = known || name == key;
      if (!known) {
        // Worded like ingestd's loader: the section, the key, and what is allowed.
        return Error(path.empty() ? "(top level)" : path,
                     absl::StrCat("unknown field \"", key,
                                  "\" (expected one of: ", absl::StrJoin(allowed, ", "), ")"));
      }
      if (!seen.insert(key).second) return Error(where, "given twice");
    }
    return absl::OkStatus();
  }

  absl::Status ReadString(const YAML::Node& node, absl::string_view path, std::string* out) const {
    if (!node.IsScalar()) return Error(path, "must be a string");
    *out = node.Scalar();
    return absl::OkStatus();
  }

  absl::Status ReadUnsigned(const YAML::Node& node, absl::string_view path, uint32_t min,
                            uint32_t max, uint32_t* out) const {
    uint32_t value = 0;
    if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &value) || value < min ||
        value > max) {
      return Error(path, absl::StrCat("must be an integer in ", min, "..", max, ", got \"",
                                      node.IsScalar() ? node.Scalar() : "(not a number)", "\""));
    }
    *out = value;
    return absl::OkStatus();
  }

  absl::Status ReadStringList(const YAML::Node& node, absl::string_view path,
                              std::vector<std::string>* out) const {
    if (!node.IsSequence()) return Error(path, "must be a list");
    for (size_t i = 0; i < node.size(); ++i) {
      std::string value;
      const std::string where = absl::StrCat(path, "[", i, "]");
      if (auto status = ReadString(node[i], where, &value); !status.ok()) return status;
      if (value.empty()) return Error(where, "must not be empty");
      out->push_back(std::move(value));
    }
    return absl::OkStatus();
  }

 private:
  const std::string source_;
};

using config::CheckSafeName;

// `grpc:` and `metrics:` mean exactly what they mean to ingestd, so they are read by
// ingestd's config code: handed over as the only sections of a kernel-backend node
// config, whose node-specific parts (decoders, ports...) keep their defaults.
absl::Status ReadServer(const Reader& reader, const YAML::Node& root, absl::string_view source,
                        RelayConfig* config) {
  YAML::Node grpc = YAML::Clone(Reader::Field(root, "grpc").value_or(YAML::Node()));
  if (!grpc.IsNull() && !grpc.IsMap()) return reader.Error("grpc", "must be a map");
  if (Reader::Field(grpc, "epoch_file")) {
    return reader.Error("grpc.epoch_file",
                        "is not used by the relay (its epoch is its start time); remove it");
  }
  if (!Reader::Field(grpc, "listen")) grpc["listen"] = kDefaultGrpcListen;
  YAML::Node metrics = YAML::Clone(Reader::Field(root, "metrics").value_or(YAML::Node()));
  if (!metrics.IsNull() && !metrics.IsMap()) return reader.Error("metrics", "must be a map");
  if (!Reader::Field(metrics, "listen")) metrics["listen"] = kDefaultMetricsListen;
  YAML::Node node;
  node["node_id"] = config->relay_id;
  node["backend"] = "kernel";
  node["grpc"] = grpc;
  node["metrics"] = metrics;
  YAML::Emitter text;
  text << node;
  absl::StatusOr<config::IngestConfig> server = config::ParseIngestConfig(
      std::string_view(text.c_str(), text.size()), std::string_view(source.data(), source.size()));
  if (!server.ok()) return server.status();
  config->server = *std::move(server);
  return absl::OkStatus();
}

// `health.listen`: read after grpc and metrics, whose listeners it must not share.
absl::Status ReadHealth(const Reader& reader, const YAML::Node& root, RelayConfig* config) {
  std::optional<YAML::Node> health = Reader::Field(root, "health");
  if (!health.has_value()) return absl::OkStatus();
  FIREHOSE_RETURN_IF_ERROR(reader.CheckFields(*health, "health", {"listen"}));
  std::optional<YAML::Node> listen = Reader::Field(*health, "listen");
  if (!listen.has_value()) return absl::OkStatus();
  FIREHOSE_RETURN_IF_ERROR(reader.ReadString(*listen, "health.listen", &config->health_listen));
  if (config->health_listen.empty()) return absl::OkStatus();
  const std::optional<config::HostPort> own = config::ParseHostPort(config->health_listen);
  if (!own.has_value()) {
    return reader.Error(
        "health.listen",
        absl::StrCat("must be \"host:port\" (e.g. \"0.0.0.0:8081\" or \"[::]:8081\"), got ",
                     config::Quote(config->health_listen)));
  }
  // Port 0 asks the kernel for a free port, so it never clashes.
  for (const auto& [other_path, other] :
       {std::pair<const char*, const std::string&>{"grpc.listen", config->server.grpc_listen},
        {"metrics.listen", config->server.metrics_listen}}) {
    const std::optional<config::HostPort> theirs = config::ParseHostPort(other);
    if (!theirs.has_value() || theirs->port != own->port || own->port == 0) continue;
    if (theirs->host == own->host || config::IsWildcardHost(theirs->host) ||
        config::IsWildcardHost(own->host)) {
      return reader.Error("health.listen",
                          absl::StrCat(config::Quote(config->health_listen), " clashes with ",
                                       other_path, " ", config::Quote(other)));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadUpstream(const Reader& reader, const YAML::Node& upstream, RelayConfig* config) {
  FIREHOSE_RETURN_IF_ERROR(reader.CheckFields(
      upstream, "upstream",
      {"pairs", "tls", "token_file", "reconnect_backoff_ms", "idle_timeout_ms"}));
  std::optional<YAML::Node> pairs = Reader::Field(upstream, "pairs");
  if (!pairs.has_value() || !pairs->IsSequence() || pairs->size() == 0) {
    return reader.Error("upstream.pairs", "required: a list of at least one pair");
  }
  std::set<std::string> names;
  std::set<std::string> nodes;
  for (size_t i = 0; i < pairs->size(); ++i) {
    const std::string path = absl::StrCat("upstream.pairs[", i, "]");
    const YAML::Node entry = (*pairs)[i];
    FIREHOSE_RETURN_IF_ERROR(reader.CheckFields(entry, path, {"name", "nodes"}));
    RelayConfig::Pair pair;
    if (auto v = Reader::Field(entry, "name")) {
      FIREHOSE_RETURN_IF_ERROR(reader.ReadString(*v, path + ".name", &pair.name));
    }
    FIREHOSE_RETURN_IF_ERROR(CheckSafeName(reader.source(), path + ".name", pair.name));
    if (!names.insert(pair.name).second) {
      return reader.Error(path + ".name", absl::StrCat("\"", pair.name, "\" is given twice"));
    }
    std::optional<YAML::Node> list = Reader::Field(entry, "nodes");
    if (!list.has_value()) return reader.Error(path + ".nodes", "required field is missing");
    FIREHOSE_RETURN_IF_ERROR(reader.ReadStringList(*list, path + ".nodes", &pair.nodes));
    if (pair.nodes.empty()) return reader.Error(path + ".nodes", "needs at least one node");
    for (size_t n = 0; n < pair.nodes.size(); ++n) {
      if (!nodes.insert(pair.nodes[n]).second) {
        return reader.Error(absl::StrCat(path, ".nodes[", n, "]"),
                            absl::StrCat("\"", pair.nodes[n], "\" is listed twice"));
      }
    }
    config->pairs.push_back(std::move(pair));
  }
  if (auto tls = Reader::Field(upstream, "tls")) {
    FIREHOSE_RETURN_IF_ERROR(
        reader.CheckFields(*tls, "upstream.tls", {"ca", "cert", "key", "server_name"}));
    RelayConfig::UpstreamTls& t = config->upstream_tls;
    if (auto v = Reader::Field(*tls, "ca"))
      FIREHOSE_RETURN_IF_ERROR(reader.ReadString(*v, "upstream.tls.ca", &t.ca));
    if (auto v = Reader::Field(*tls, "cert")) {
      FIREHOSE_RETURN_IF_ERROR(reader.ReadString(*v, "upstream.tls.cert", &t.cert));
    }
    if (auto v = Reader::Field(*tls, "key"))
      FIREHOSE_RETURN_IF_ERROR(reader.ReadString(*v, "upstream.tls.key", &t.key));
    if (auto v = Reader::Field(*tls, "server_name")) {
      FIREHOSE_RETURN_IF_ERROR(reader.ReadString(*v, "upstream.tls.server_name", &t.server_name));
    }
    if (t.ca.empty() && (!t.cert.empty() || !t.key.empty() || !t.server_name.empty())) {
      return reader.Error("upstream.tls.ca", "required when upstream.tls is used");
    }
    if (t.cert.empty() != t.key.empty()) {
      return reader.Error(t.cert.empty() ? "upstream.tls.cert" : "upstream.tls.key",
                          "mutual TLS needs both the certificate (cert) and its key (key)");
    }
  }
  if (auto v = Reader::Field(upstream, "token_file")) {
    FIREHOSE_RETURN_IF_ERROR(
        reader.ReadString(*v, "upstream.token_file", &config->upstream_token_file));
  }
  if (auto v = Reader::Field(upstream, "reconnect_backoff_ms")) {
    FIREHOSE_RETURN_IF_ERROR(reader.ReadUnsigned(*v, "upstream.reconnect_backoff_ms", 10, 60000,
                                                 &config->reconnect_backoff_ms));
  }
  if (auto v = Reader::Field(upstream, "idle_timeout_ms")) {
    FIREHOSE_RETURN_IF_ERROR(
        reader.ReadUnsigned(*v, "upstream.idle_timeout_ms", 100, 600000, &config->idle_timeout_ms));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RelayConfig> ParseRelayConfig(std::string_view yaml_text,
                                             std::string_view source_name) {
  const absl::string_view source(source_name.data(), source_name.size());
  const Reader reader(source);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    // Config loading, not the data path: yaml-cpp reports syntax errors by throwing.
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
  if (!root.IsMap()) return reader.Error("(top level)", "must be a map of sections");
  FIREHOSE_RETURN_IF_ERROR(reader.CheckFields(
      root, "", {"relay_id", "grpc", "health", "metrics", "upstream", "statsd_metrics"}));
  RelayConfig config;
  std::optional<YAML::Node> relay_id = Reader::Field(root, "relay_id");
  if (!relay_id.has_value()) return reader.Error("relay_id", "required field is missing");
  FIREHOSE_RETURN_IF_ERROR(reader.ReadString(*relay_id, "relay_id", &config.relay_id));
  FIREHOSE_RETURN_IF_ERROR(CheckSafeName(source, "relay_id", config.relay_id));
  FIREHOSE_RETURN_IF_ERROR(ReadServer(reader, root, source, &config));
  FIREHOSE_RETURN_IF_ERROR(ReadHealth(reader, root, &config));
  std::optional<YAML::Node> upstream = Reader::Field(root, "upstream");
  if (!upstream.has_value()) return reader.Error("upstream", "required section is missing");
  FIREHOSE_RETURN_IF_ERROR(ReadUpstream(reader, *upstream, &config));
  absl::StatusOr<StatsdMetricsConfig> statsd =
      ReadStatsdMetricsConfig(Reader::Field(root, "statsd_metrics").value_or(YAML::Node()), source);
  if (!statsd.ok()) return statsd.status();
  config.statsd_metrics = *std::move(statsd);
  return config;
}

absl::StatusOr<RelayConfig> LoadRelayConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream text;
  text << in.rdbuf();
  return ParseRelayConfig(text.str(), path);
}

}  // namespace firehose::relay
