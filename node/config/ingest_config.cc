// Loads ingestd's YAML config with yaml-cpp and validates it; see ingest_config.h.
//
// The work is in two passes. Reading walks the YAML tree, rejects unknown and
// duplicate keys and values of the wrong shape, and fills an IngestConfig. Validation
// (ValidateIngestConfig) then checks ranges and cross-field rules on the struct, so
// configs built in code get exactly the same checks as files. yaml-cpp reports errors
// by throwing; every call into it is inside a try block here and its exceptions
// become absl::Status, so nothing escapes to callers.
#include "node/config/ingest_config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "node/config/yaml_fields.h"
#include "yaml-cpp/yaml.h"

// Returns the status of `expr` from the enclosing function when it is an error.
#define FIREHOSE_RETURN_IF_ERROR(expr)                  \
  do {                                                  \
    if (absl::Status status_ = (expr); !status_.ok()) { \
      return status_;                                   \
    }                                                   \
  } while (0)

namespace firehose::config {
namespace {

// Allowed values of one numeric field. Parsing and validation share these so that a
// value too large for its C++ type gets the same message as one merely out of range.
struct Range {
  uint64_t min;
  uint64_t max;
  bool power_of_two = false;
};

constexpr Range kRxQueues{1, 64};
constexpr Range kRxDescriptors{64, 16384, true};
// RTE_MAX_LCORE of Debian's DPDK 22.11 build; EAL refuses lcore ids at or above it.
constexpr Range kLcore{0, 127};
constexpr Range kUdpPort{1, 65535};
constexpr Range kMaxRecords{1, 1 << 20};
// gRPC clients refuse messages over 4 MiB unless told otherwise.
constexpr Range kMaxBytes{1024, 4 << 20};
constexpr Range kMaxDelayUs{1, 1'000'000};
constexpr Range kHandoffRing{2, 65536, true};
// 2^24 mbufs of ~2.3 KiB are ~37 GiB per queue: anything above is surely a typo.
constexpr Range kMbufs{1023, (1 << 24) - 1};
// RTE_MEMPOOL_CACHE_MAX_SIZE.
constexpr Range kMbufCache{0, 512};
constexpr Range kSubscriberQueue{1, 65536};
constexpr Range kReplayBytes{0, 16ull << 30};
constexpr Range kHeartbeatMs{100, 60000};
constexpr Range kKernelWorkers{1, 64};
// net::kMaxHostAddresses: the responder's fixed table.
constexpr size_t kMaxPortAddresses = 8;
constexpr Range kRcvbuf{65536, 1u << 30};
constexpr Range kRecvBatch{1, 256};

// Packets the RX loop takes per rte_eth_rx_burst; a mempool must have this many
// mbufs spare beyond a full RX ring and a full lcore cache.
constexpr uint64_t kRxBurst = 32;
constexpr size_t kMaxNameLength = 64;

std::string JoinPath(absl::string_view parent, absl::string_view child) {
  if (parent.empty()) {
    return std::string(child.data(), child.size());
  }
  return absl::StrCat(parent, ".", child);
}

std::string IndexPath(absl::string_view parent, size_t index) {
  return absl::StrCat(parent, "[", index, "]");
}

// "file: path: what", or "file: what" for the document as a whole.
absl::Status FieldError(absl::string_view source, absl::string_view path, absl::string_view what) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", what));
  }
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", path, ": ", what));
}

std::string Quote(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

std::string RangeText(const Range& range) {
  return absl::StrCat(range.power_of_two ? "must be a power of two between " : "must be between ",
                      range.min, " and ", range.max);
}

bool InRange(const Range& range, uint64_t value) {
  return value >= range.min && value <= range.max && (!range.power_of_two || IsPowerOfTwo(value));
}

absl::Status CheckRange(absl::string_view source, absl::string_view path, const Range& range,
                        uint64_t value) {
  if (InRange(range, value)) {
    return absl::OkStatus();
  }
  return FieldError(source, path, absl::StrCat(RangeText(range), ", got ", value));
}

// True for names made of [A-Za-z0-9._-], 1 to 64 of them: safe in file names,
// metric labels and log lines without quoting.
bool IsSafeName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// "a:b" with a PCI domain added when missing and hex digits lower-cased, so that two
// spellings of one device compare equal.
std::optional<std::string> NormalizedPciAddress(absl::string_view device) {
  std::string address(device);
  if (address.size() == 7) {
    address = "0000:" + address;  // bus:dev.fn
  }
  if (address.size() != 12) {
    return std::nullopt;
  }
  for (size_t i = 0; i < address.size(); ++i) {
    char c = address[i];
    bool ok;
    switch (i) {
      case 4:
      case 7:
        ok = c == ':';
        break;
      case 10:
        ok = c == '.';
        break;
      case 11:
        ok = c >= '0' && c <= '7';
        break;
      default:
        ok = absl::ascii_isxdigit(static_cast<unsigned char>(c));
    }
    if (!ok) {
      return std::nullopt;
    }
  }
  return absl::AsciiStrToLower(address);
}

// The name part of a vdev string ("net_pcap0" of "net_pcap0,rx_pcap=x") when it looks
// like a DPDK network virtual device; EAL names those net_<driver><n> (eth_ is an old
// alias). Kernel interface names such as "eth0" are rejected here rather than by EAL.
std::optional<std::string> VdevName(absl::string_view device) {
  absl::string_view name = device.substr(0, device.find(','));
  if (!absl::StartsWith(name, "net_") && !absl::StartsWith(name, "eth_")) {
    return std::nullopt;
  }
  if (name.size() <= 4) {
    return std::nullopt;
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return std::nullopt;
    }
  }
  return std::string(name.data(), name.size());
}

struct HostPort {
  absl::string_view host;  // without brackets
  uint16_t port = 0;
};

// Parses "host:port" or "[ipv6]:port" with a port of 0..65535. Port 0 asks the kernel
// for a free port; ingestd prints the one it got on its READY line (tests, demos).
std::optional<HostPort> ParseHostPort(absl::string_view text) {
  HostPort result;
  absl::string_view port_text;
  if (absl::StartsWith(text, "[")) {
    size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    result.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    if (result.host.empty()) {
      return std::nullopt;
    }
    for (char c : result.host) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.' &&
          c != '%') {
        return std::nullopt;
      }
    }
  } else {
    size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) {
      return std::nullopt;
    }
    result.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (result.host.empty()) {
      return std::nullopt;
    }
    for (char c : result.host) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
        return std::nullopt;
      }
    }
  }
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(),
                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); })) {
    return std::nullopt;
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return std::nullopt;
  }
  result.port = static_cast<uint16_t>(port);
  return result;
}

bool IsWildcardHost(absl::string_view host) {
  return host == "0.0.0.0" || host == "::" || host == "0:0:0:0:0:0:0:0";
}

absl::Status CheckListen(absl::string_view source, absl::string_view path, absl::string_view value,
                         absl::string_view example_port) {
  if (ParseHostPort(value).has_value()) {
    return absl::OkStatus();
  }
  return FieldError(source, path,
                    absl::StrCat("must be \"host:port\" (e.g. \"127.0.0.1:", example_port,
                                 "\" or \"[::]:", example_port, "\"), got ", Quote(value)));
}

// Which field an EAL argument belongs to if the loader builds it from the config;
// nullopt for arguments passed through.
std::optional<absl::string_view> OwnerOfEalArg(absl::string_view arg) {
  auto is_option = [&](absl::string_view name) {
    return arg == name || absl::StartsWith(arg, absl::StrCat(name, "="));
  };
  if (is_option("--file-prefix")) {
    return "eal.file_prefix";
  }
  if (is_option("--lcores") || is_option("--main-lcore") || is_option("--master-lcore")) {
    return "lcores";
  }
  // Short options may carry their value attached ("-l1-3").
  if (absl::StartsWith(arg, "-l") || absl::StartsWith(arg, "-c")) {
    if (!absl::StartsWith(arg, "--")) {
      return "lcores";
    }
  }
  return std::nullopt;
}

// Reads a YAML tree into an IngestConfig, checking shapes and keys but not values.
class Reader {
 public:
  explicit Reader(absl::string_view source) : source_(source) {}

  absl::Status Read(const YAML::Node& root, IngestConfig* config) const;

 private:
  absl::Status Error(absl::string_view path, absl::string_view what) const {
    return FieldError(source_, path, what);
  }

  // `map[key]` when `map` is a map holding `key`. Looks keys up by their text rather
  // than through yaml-cpp's conversions, which throw on odd keys.
  static std::optional<YAML::Node> Field(const YAML::Node& map, absl::string_view key);

  // Fails unless `node` is a map (or empty, which reads as no fields) whose keys are
  // scalars in `allowed`, each at most once.
  absl::Status CheckFields(const YAML::Node& node, absl::string_view path,
                           std::initializer_list<absl::string_view> allowed) const;

  absl::Status ReadString(const YAML::Node& node, absl::string_view path, std::string* out) const;

  template <typename T>
  absl::Status ReadUnsigned(const YAML::Node& node, absl::string_view path, const Range& range,
                            T* out) const;

  absl::Status ReadEal(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadPorts(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadLcores(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadDecoders(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadBatch(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadMempool(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadGrpc(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadMetrics(const YAML::Node& node, IngestConfig* config) const;
  absl::Status ReadKernel(const YAML::Node& node, IngestConfig* config) const;

  absl::string_view source_;
};

std::optional<YAML::Node> Reader::Field(const YAML::Node& map, absl::string_view key) {
  if (!map.IsMap()) {
    return std::nullopt;
  }
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) {
      return entry.second;
    }
  }
  return std::nullopt;
}

absl::Status Reader::CheckFields(const YAML::Node& node, absl::string_view path,
                                 std::initializer_list<absl::string_view> allowed) const {
  std::optional<std::string> problem = YamlFieldsProblem(node, allowed);
  if (!problem) return absl::OkStatus();
  // The top level has no path to name: say it is the document.
  return Error(path, absl::StrCat(path.empty() && !node.IsMap() ? "the document " : "", *problem));
}

absl::Status Reader::ReadString(const YAML::Node& node, absl::string_view path,
                                std::string* out) const {
  if (!node.IsScalar()) {
    return Error(path, absl::StrCat("must be a string, got ", YamlKindOf(node)));
  }
  *out = node.Scalar();
  return absl::OkStatus();
}

template <typename T>
absl::Status Reader::ReadUnsigned(const YAML::Node& node, absl::string_view path,
                                  const Range& range, T* out) const {
  static_assert(std::is_unsigned_v<T>);
  if (!node.IsScalar()) {
    return Error(path, absl::StrCat("must be an integer, got ", YamlKindOf(node)));
  }
  const std::string& text = node.Scalar();
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    // Digits that overflow int64 are a range error, anything else is not a number.
    absl::string_view digits = absl::StripPrefix(absl::StripPrefix(text, "-"), "+");
    bool all_digits = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) {
      return absl::ascii_isdigit(static_cast<unsigned char>(c));
    });
    if (all_digits) {
      return Error(path, absl::StrCat(RangeText(range), ", got ", text));
    }
    return Error(path, absl::StrCat("must be an integer, got ", Quote(text)));
  }
  static_assert(sizeof(T) <= sizeof(uint64_t));
  if (value < 0 || static_cast<uint64_t>(value) < range.min ||
      static_cast<uint64_t>(value) > range.max ||
      (range.power_of_two && !IsPowerOfTwo(static_cast<uint64_t>(value)))) {
    return Error(path, absl::StrCat(RangeText(range), ", got ", value));
  }
  // Every Range fits the type of its field, so this never truncates.
  *out = static_cast<T>(value);
  return absl::OkStatus();
}

absl::Status Reader::Read(const YAML::Node& root, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(
      CheckFields(root, "",
                  {"node_id", "eal", "ports", "lcores", "decoders", "batch", "handoff_ring_batches",
                   "mempool", "grpc", "metrics", "backend", "kernel"}));
  std::optional<YAML::Node> node_id = Field(root, "node_id");
  if (!node_id.has_value()) {
    return Error("node_id", "required field is missing");
  }
  FIREHOSE_RETURN_IF_ERROR(ReadString(*node_id, "node_id", &config->node_id));

  if (auto eal = Field(root, "eal")) {
    FIREHOSE_RETURN_IF_ERROR(ReadEal(*eal, config));
  }
  if (auto backend = Field(root, "backend")) {
    std::string name;
    FIREHOSE_RETURN_IF_ERROR(ReadString(*backend, "backend", &name));
    if (name == "dpdk") {
      config->backend = IngestConfig::Backend::kDpdk;
    } else if (name == "kernel") {
      config->backend = IngestConfig::Backend::kKernel;
    } else {
      return Error("backend", absl::StrCat("must be \"dpdk\" or \"kernel\", got ", Quote(name)));
    }
  }
  if (auto kernel = Field(root, "kernel")) {
    FIREHOSE_RETURN_IF_ERROR(ReadKernel(*kernel, config));
  }
  std::optional<YAML::Node> ports = Field(root, "ports");
  if (ports.has_value()) {
    FIREHOSE_RETURN_IF_ERROR(ReadPorts(*ports, config));
  } else if (config->backend == IngestConfig::Backend::kDpdk) {
    return Error("ports", "required field is missing (or set backend: kernel)");
  }
  if (auto lcores = Field(root, "lcores")) {
    FIREHOSE_RETURN_IF_ERROR(ReadLcores(*lcores, config));
  }
  if (auto decoders = Field(root, "decoders")) {
    FIREHOSE_RETURN_IF_ERROR(ReadDecoders(*decoders, config));
  }
  if (auto batch = Field(root, "batch")) {
    FIREHOSE_RETURN_IF_ERROR(ReadBatch(*batch, config));
  }
  if (auto ring = Field(root, "handoff_ring_batches")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*ring, "handoff_ring_batches", kHandoffRing, &config->handoff_ring_batches));
  }
  if (auto mempool = Field(root, "mempool")) {
    FIREHOSE_RETURN_IF_ERROR(ReadMempool(*mempool, config));
  }
  if (auto grpc = Field(root, "grpc")) {
    FIREHOSE_RETURN_IF_ERROR(ReadGrpc(*grpc, config));
  }
  if (auto metrics = Field(root, "metrics")) {
    FIREHOSE_RETURN_IF_ERROR(ReadMetrics(*metrics, config));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadEal(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(CheckFields(node, "eal", {"args", "file_prefix"}));
  if (auto args = Field(node, "args")) {
    if (!args->IsSequence() && !args->IsNull()) {
      return Error("eal.args", absl::StrCat("must be a list of strings, got ", YamlKindOf(*args)));
    }
    config->eal_args.clear();
    size_t i = 0;
    for (const YAML::Node& element : *args) {
      std::string arg;
      FIREHOSE_RETURN_IF_ERROR(ReadString(element, IndexPath("eal.args", i++), &arg));
      config->eal_args.push_back(std::move(arg));
    }
  }
  if (auto prefix = Field(node, "file_prefix")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*prefix, "eal.file_prefix", &config->file_prefix));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadPorts(const YAML::Node& node, IngestConfig* config) const {
  if (!node.IsSequence() && !node.IsNull()) {
    return Error("ports", absl::StrCat("must be a list of ports, got ", YamlKindOf(node)));
  }
  config->ports.clear();
  size_t i = 0;
  for (const YAML::Node& port_node : node) {
    std::string path = IndexPath("ports", i++);
    if (port_node.IsNull()) {
      return Error(path, "must be a map of fields, got nothing");
    }
    FIREHOSE_RETURN_IF_ERROR(CheckFields(
        port_node, path,
        {"device", "rx_queues", "rx_descriptors", "addresses", "validate_udp_checksum"}));
    PortConfig port;
    std::optional<YAML::Node> device = Field(port_node, "device");
    if (!device.has_value()) {
      return Error(JoinPath(path, "device"), "required field is missing");
    }
    FIREHOSE_RETURN_IF_ERROR(ReadString(*device, JoinPath(path, "device"), &port.device));
    if (auto queues = Field(port_node, "rx_queues")) {
      FIREHOSE_RETURN_IF_ERROR(
          ReadUnsigned(*queues, JoinPath(path, "rx_queues"), kRxQueues, &port.rx_queues));
    }
    if (auto descriptors = Field(port_node, "rx_descriptors")) {
      FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*descriptors, JoinPath(path, "rx_descriptors"),
                                            kRxDescriptors, &port.rx_descriptors));
    }
    if (auto addresses = Field(port_node, "addresses")) {
      const std::string list_path = JoinPath(path, "addresses");
      if (!addresses->IsSequence()) {
        return Error(list_path, absl::StrCat("must be a list of IPv4 or IPv6 addresses, got ",
                                             YamlKindOf(*addresses)));
      }
      size_t i = 0;
      for (const YAML::Node& element : *addresses) {
        const std::string element_path = IndexPath(list_path, i++);
        std::string address;
        FIREHOSE_RETURN_IF_ERROR(ReadString(element, element_path, &address));
        in_addr parsed4;
        in6_addr parsed6;
        if (inet_pton(AF_INET, address.c_str(), &parsed4) != 1 &&
            inet_pton(AF_INET6, address.c_str(), &parsed6) != 1) {
          return Error(element_path, absl::StrCat("not an IPv4 or IPv6 address: ", Quote(address)));
        }
        if (port.addresses.size() == kMaxPortAddresses) {
          return Error(element_path,
                       absl::StrCat("at most ", kMaxPortAddresses, " addresses per port"));
        }
        port.addresses.push_back(address);
      }
    }
    if (auto validate = Field(port_node, "validate_udp_checksum")) {
      const std::string field = JoinPath(path, "validate_udp_checksum");
      if (!validate->IsScalar() ||
          (validate->Scalar() != "true" && validate->Scalar() != "false")) {
        return Error(field, "must be true or false");
      }
      port.validate_udp_checksum = validate->Scalar() == "true";
    }
    config->ports.push_back(std::move(port));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadLcores(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(CheckFields(node, "lcores", {"main", "workers", "cpus"}));
  if (auto main = Field(node, "main")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*main, "lcores.main", kLcore, &config->main_lcore));
  }
  if (auto workers = Field(node, "workers")) {
    if (!workers->IsSequence() && !workers->IsNull()) {
      return Error("lcores.workers",
                   absl::StrCat("must be a list of lcore ids, got ", YamlKindOf(*workers)));
    }
    config->worker_lcores.clear();
    size_t i = 0;
    for (const YAML::Node& element : *workers) {
      unsigned lcore = 0;
      FIREHOSE_RETURN_IF_ERROR(
          ReadUnsigned(element, IndexPath("lcores.workers", i++), kLcore, &lcore));
      config->worker_lcores.push_back(lcore);
    }
  }
  if (auto cpus = Field(node, "cpus")) {
    if (!cpus->IsSequence()) {
      return Error("lcores.cpus",
                   absl::StrCat("must be a list of CPU ids, got ", YamlKindOf(*cpus)));
    }
    config->lcore_cpus.clear();
    size_t i = 0;
    for (const YAML::Node& element : *cpus) {
      unsigned cpu = 0;
      FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(element, IndexPath("lcores.cpus", i++), kLcore, &cpu));
      config->lcore_cpus.push_back(cpu);
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadDecoders(const YAML::Node& node, IngestConfig* config) const {
  if (!node.IsMap() && !node.IsNull()) {
    return Error("decoders",
                 absl::StrCat("must be a map of UDP port to decoder name, got ", YamlKindOf(node)));
  }
  // Present means "exactly these": the default is replaced, not extended.
  config->udp_decoders.clear();
  if (node.IsNull()) {
    return absl::OkStatus();
  }
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      return Error("decoders",
                   absl::StrCat("keys must be UDP port numbers, got ", YamlKindOf(entry.first)));
    }
    const std::string& key = entry.first.Scalar();
    std::string path = JoinPath("decoders", key);
    uint32_t port = 0;
    bool digits_only = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
      return absl::ascii_isdigit(static_cast<unsigned char>(c));
    });
    if (!digits_only || key.size() > 5 || !absl::SimpleAtoi(key, &port) ||
        !InRange(kUdpPort, port)) {
      return Error(path, "not a UDP port number");
    }
    std::string name;
    FIREHOSE_RETURN_IF_ERROR(ReadString(entry.second, path, &name));
    if (!config->udp_decoders.emplace(static_cast<uint16_t>(port), std::move(name)).second) {
      return Error(path, absl::StrCat("UDP port ", port, " is given twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadBatch(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(
      CheckFields(node, "batch", {"max_records", "max_bytes", "max_delay_us"}));
  if (auto v = Field(node, "max_records")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*v, "batch.max_records", kMaxRecords, &config->batch.max_records));
  }
  if (auto v = Field(node, "max_bytes")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*v, "batch.max_bytes", kMaxBytes, &config->batch.max_bytes));
  }
  if (auto v = Field(node, "max_delay_us")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*v, "batch.max_delay_us", kMaxDelayUs, &config->batch.max_delay_us));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadMempool(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(CheckFields(node, "mempool", {"mbufs_per_queue", "cache"}));
  if (auto v = Field(node, "mbufs_per_queue")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*v, "mempool.mbufs_per_queue", kMbufs, &config->mbufs_per_queue));
  }
  if (auto v = Field(node, "cache")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*v, "mempool.cache", kMbufCache, &config->mbuf_cache));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadGrpc(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(
      CheckFields(node, "grpc",
                  {"listen", "subscriber_queue_batches", "slow_subscriber", "replay_bytes",
                   "heartbeat_ms", "insecure", "tls", "tokens", "epoch_file"}));
  if (auto v = Field(node, "listen")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "grpc.listen", &config->grpc_listen));
  }
  if (auto v = Field(node, "subscriber_queue_batches")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*v, "grpc.subscriber_queue_batches", kSubscriberQueue,
                                          &config->subscriber_queue_batches));
  }
  if (auto v = Field(node, "slow_subscriber")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "grpc.slow_subscriber", &config->slow_subscriber));
  }
  if (auto v = Field(node, "replay_bytes")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*v, "grpc.replay_bytes", kReplayBytes, &config->replay_bytes));
  }
  if (auto v = Field(node, "heartbeat_ms")) {
    FIREHOSE_RETURN_IF_ERROR(
        ReadUnsigned(*v, "grpc.heartbeat_ms", kHeartbeatMs, &config->heartbeat_ms));
  }
  if (auto v = Field(node, "insecure")) {
    if (!v->IsScalar() || (v->Scalar() != "true" && v->Scalar() != "false")) {
      return Error("grpc.insecure", "must be true or false");
    }
    config->grpc_insecure = v->Scalar() == "true";
  }
  if (auto v = Field(node, "epoch_file")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "grpc.epoch_file", &config->epoch_file));
  }
  if (auto tls = Field(node, "tls")) {
    FIREHOSE_RETURN_IF_ERROR(CheckFields(*tls, "grpc.tls", {"cert", "key", "client_ca"}));
    if (auto v = Field(*tls, "cert")) {
      FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "grpc.tls.cert", &config->grpc_tls.cert));
    }
    if (auto v = Field(*tls, "key")) {
      FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "grpc.tls.key", &config->grpc_tls.key));
    }
    if (auto v = Field(*tls, "client_ca")) {
      FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "grpc.tls.client_ca", &config->grpc_tls.client_ca));
    }
  }
  if (auto tokens = Field(node, "tokens")) {
    if (!tokens->IsSequence() && !tokens->IsNull()) {
      return Error("grpc.tokens", absl::StrCat("must be a list, got ", YamlKindOf(*tokens)));
    }
    for (size_t i = 0; tokens->IsSequence() && i < tokens->size(); ++i) {
      const std::string path = IndexPath("grpc.tokens", i);
      const YAML::Node entry = (*tokens)[i];
      FIREHOSE_RETURN_IF_ERROR(CheckFields(entry, path, {"name", "token_file", "kinds"}));
      IngestConfig::Token token;
      if (auto v = Field(entry, "name")) {
        FIREHOSE_RETURN_IF_ERROR(ReadString(*v, JoinPath(path, "name"), &token.name));
      }
      if (auto v = Field(entry, "token_file")) {
        FIREHOSE_RETURN_IF_ERROR(ReadString(*v, JoinPath(path, "token_file"), &token.token_file));
      }
      if (auto kinds = Field(entry, "kinds")) {
        if (!kinds->IsSequence() && !kinds->IsNull()) {
          return Error(JoinPath(path, "kinds"),
                       absl::StrCat("must be a list, got ", YamlKindOf(*kinds)));
        }
        for (size_t k = 0; kinds->IsSequence() && k < kinds->size(); ++k) {
          std::string kind;
          FIREHOSE_RETURN_IF_ERROR(
              ReadString((*kinds)[k], IndexPath(JoinPath(path, "kinds"), k), &kind));
          token.kinds.push_back(std::move(kind));
        }
      }
      config->grpc_tokens.push_back(std::move(token));
    }
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadMetrics(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(CheckFields(node, "metrics", {"listen"}));
  if (auto v = Field(node, "listen")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "metrics.listen", &config->metrics_listen));
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadKernel(const YAML::Node& node, IngestConfig* config) const {
  FIREHOSE_RETURN_IF_ERROR(
      CheckFields(node, "kernel", {"bind_address", "workers", "rcvbuf_bytes", "recv_batch"}));
  IngestConfig::KernelBackend& k = config->kernel;
  if (auto v = Field(node, "bind_address")) {
    FIREHOSE_RETURN_IF_ERROR(ReadString(*v, "kernel.bind_address", &k.bind_address));
  }
  if (auto v = Field(node, "workers")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*v, "kernel.workers", kKernelWorkers, &k.workers));
  }
  if (auto v = Field(node, "rcvbuf_bytes")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*v, "kernel.rcvbuf_bytes", kRcvbuf, &k.rcvbuf_bytes));
  }
  if (auto v = Field(node, "recv_batch")) {
    FIREHOSE_RETURN_IF_ERROR(ReadUnsigned(*v, "kernel.recv_batch", kRecvBatch, &k.recv_batch));
  }
  return absl::OkStatus();
}

absl::Status SyntaxError(absl::string_view source, const YAML::Exception& e) {
  if (e.mark.is_null()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": YAML error: ", e.msg));
  }
  // yaml-cpp counts lines and columns from 0; editors count from 1.
  return absl::InvalidArgumentError(absl::StrCat(
      source, ":", e.mark.line + 1, ":", e.mark.column + 1, ": YAML syntax error: ", e.msg));
}

absl::Status ValidatePorts(const IngestConfig& config, absl::string_view source) {
  if (config.ports.empty()) {
    return FieldError(source, "ports", "at least one port is required");
  }
  bool no_pci = std::find(config.eal_args.begin(), config.eal_args.end(), "--no-pci") !=
                config.eal_args.end();
  // Normalised device identity -> index of the port that has it.
  std::map<std::string, size_t> devices;
  for (size_t i = 0; i < config.ports.size(); ++i) {
    const PortConfig& port = config.ports[i];
    std::string path = IndexPath("ports", i);
    std::string device_path = JoinPath(path, "device");
    std::optional<std::string> identity;
    if (port.device.empty()) {
      return FieldError(source, device_path, "must not be empty");
    }
    if (auto pci = NormalizedPciAddress(port.device)) {
      if (no_pci) {
        return FieldError(source, device_path,
                          absl::StrCat(Quote(port.device),
                                       " is a PCI address but eal.args has --no-pci, which "
                                       "hides every PCI device from DPDK"));
      }
      identity = *pci;
    } else if (auto vdev = VdevName(port.device)) {
      identity = *vdev;
    } else {
      return FieldError(
          source, device_path,
          absl::StrCat(Quote(port.device),
                       " is neither a PCI address (\"0000:3b:00.0\") nor a DPDK virtual "
                       "device (\"net_pcap0,rx_pcap=/path.pcap\"); for a kernel interface "
                       "use \"net_af_packet0,iface=NAME\""));
    }
    auto [it, inserted] = devices.emplace(*identity, i);
    if (!inserted) {
      return FieldError(
          source, device_path,
          absl::StrCat(Quote(*identity), " is already used by ports[", it->second, "]"));
    }
    FIREHOSE_RETURN_IF_ERROR(
        CheckRange(source, JoinPath(path, "rx_queues"), kRxQueues, port.rx_queues));
    FIREHOSE_RETURN_IF_ERROR(
        CheckRange(source, JoinPath(path, "rx_descriptors"), kRxDescriptors, port.rx_descriptors));
  }
  return absl::OkStatus();
}

absl::Status ValidateLcores(const IngestConfig& config, absl::string_view source) {
  FIREHOSE_RETURN_IF_ERROR(CheckRange(source, "lcores.main", kLcore, config.main_lcore));
  std::map<unsigned, size_t> seen;
  for (size_t i = 0; i < config.worker_lcores.size(); ++i) {
    unsigned lcore = config.worker_lcores[i];
    std::string path = IndexPath("lcores.workers", i);
    FIREHOSE_RETURN_IF_ERROR(CheckRange(source, path, kLcore, lcore));
    if (lcore == config.main_lcore) {
      return FieldError(source, path,
                        absl::StrCat("lcore ", lcore,
                                     " is the main lcore (lcores.main); workers need "
                                     "lcores of their own"));
    }
    auto [it, inserted] = seen.emplace(lcore, i);
    if (!inserted) {
      return FieldError(
          source, path,
          absl::StrCat("lcore ", lcore, " is already lcores.workers[", it->second, "]"));
    }
  }
  if (!config.lcore_cpus.empty() && config.lcore_cpus.size() != config.worker_lcores.size() + 1) {
    return FieldError(source, "lcores.cpus",
                      absl::StrCat("has ", config.lcore_cpus.size(), " CPU(s) for ",
                                   config.worker_lcores.size() + 1,
                                   " lcores; list one CPU for the main lcore, then one per "
                                   "worker"));
  }
  uint64_t queues = 0;
  for (const PortConfig& port : config.ports) {
    queues += port.rx_queues;
  }
  if (queues != config.worker_lcores.size()) {
    return FieldError(
        source, "lcores.workers",
        absl::StrCat("has ", config.worker_lcores.size(), " lcore(s) for ", queues,
                     " RX queue(s) in total (sum of ports[*].rx_queues); list exactly one "
                     "worker lcore per RX queue"));
  }
  return absl::OkStatus();
}

absl::Status ValidateMempool(const IngestConfig& config, absl::string_view source) {
  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "mempool.mbufs_per_queue", kMbufs, config.mbufs_per_queue));
  FIREHOSE_RETURN_IF_ERROR(CheckRange(source, "mempool.cache", kMbufCache, config.mbuf_cache));
  // rte_mempool_create also refuses a cache whose flush threshold (1.5 x size)
  // exceeds the pool; the rule below is stricter, so it needs no check of its own.
  uint64_t cache_threshold = static_cast<uint64_t>(config.mbuf_cache) * 3 / 2;
  // A queue whose pool cannot refill its whole RX ring, with the worker's cache full
  // and a burst in flight, starves: the NIC drops packets while mbufs sit idle.
  for (size_t i = 0; i < config.ports.size(); ++i) {
    uint64_t needed = config.ports[i].rx_descriptors + cache_threshold + kRxBurst;
    if (config.mbufs_per_queue < needed) {
      return FieldError(
          source, "mempool.mbufs_per_queue",
          absl::StrCat("must be at least ", needed, " to fill ports[", i, "]'s RX ring (",
                       config.ports[i].rx_descriptors, " descriptors) plus a full lcore cache (",
                       cache_threshold, ") and one burst (", kRxBurst, "), got ",
                       config.mbufs_per_queue));
    }
  }
  return absl::OkStatus();
}

bool IsLoopbackHost(absl::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || absl::StartsWith(host, "127.");
}

// The subscription settings of grpc.*: policies, TLS files, tokens, and the rule that
// plaintext off the host must be asked for.
absl::Status ValidateSubscriptions(const IngestConfig& config, absl::string_view source) {
  if (config.slow_subscriber != "drop_oldest" && config.slow_subscriber != "disconnect") {
    return FieldError(source, "grpc.slow_subscriber",
                      absl::StrCat("must be \"drop_oldest\" or \"disconnect\", got ",
                                   Quote(config.slow_subscriber)));
  }
  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "grpc.replay_bytes", kReplayBytes, config.replay_bytes));
  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "grpc.heartbeat_ms", kHeartbeatMs, config.heartbeat_ms));
  const IngestConfig::Tls& tls = config.grpc_tls;
  const bool has_tls = !tls.cert.empty() || !tls.key.empty() || !tls.client_ca.empty();
  if (has_tls && (tls.cert.empty() || tls.key.empty())) {
    return FieldError(source, tls.cert.empty() ? "grpc.tls.cert" : "grpc.tls.key",
                      "TLS needs both a certificate chain (cert) and its private key (key)");
  }
  if (has_tls && config.grpc_insecure) {
    return FieldError(source, "grpc.insecure", "is true but grpc.tls is set; choose one");
  }
  const HostPort listen = *ParseHostPort(config.grpc_listen);
  if (!has_tls && !config.grpc_insecure && !IsLoopbackHost(listen.host)) {
    return FieldError(
        source, "grpc.listen",
        absl::StrCat(Quote(config.grpc_listen),
                     " is not a loopback address, so subscribers would connect in plaintext: "
                     "set grpc.tls (cert, key, optionally client_ca) or, knowingly, "
                     "grpc.insecure: true"));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < config.grpc_tokens.size(); ++i) {
    const IngestConfig::Token& token = config.grpc_tokens[i];
    const std::string path = IndexPath("grpc.tokens", i);
    if (!IsSafeName(token.name)) {
      return FieldError(source, JoinPath(path, "name"),
                        absl::StrCat("must be 1 to 64 of the characters A-Z a-z 0-9 . _ -, got ",
                                     Quote(token.name)));
    }
    if (!names.insert(token.name).second) {
      return FieldError(source, JoinPath(path, "name"),
                        absl::StrCat(Quote(token.name), " is given twice"));
    }
    if (token.token_file.empty()) {
      return FieldError(source, JoinPath(path, "token_file"), "required field is missing or empty");
    }
    for (size_t k = 0; k < token.kinds.size(); ++k) {
      const std::string& kind = token.kinds[k];
      if (kind != "statsd" && kind != "flow" && kind != "line_protocol") {
        return FieldError(source, IndexPath(JoinPath(path, "kinds"), k),
                          absl::StrCat("must be statsd, flow or line_protocol, got ", Quote(kind)));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateListen(const IngestConfig& config, absl::string_view source) {
  FIREHOSE_RETURN_IF_ERROR(CheckListen(source, "grpc.listen", config.grpc_listen, "50051"));
  FIREHOSE_RETURN_IF_ERROR(CheckRange(source, "grpc.subscriber_queue_batches", kSubscriberQueue,
                                      config.subscriber_queue_batches));
  if (config.metrics_listen.empty()) {
    return ValidateSubscriptions(config, source);
  }
  FIREHOSE_RETURN_IF_ERROR(CheckListen(source, "metrics.listen", config.metrics_listen, "9100"));
  HostPort grpc = *ParseHostPort(config.grpc_listen);
  HostPort metrics = *ParseHostPort(config.metrics_listen);
  if (grpc.port == metrics.port && grpc.port != 0 &&
      (grpc.host == metrics.host || IsWildcardHost(grpc.host) || IsWildcardHost(metrics.host))) {
    return FieldError(source, "metrics.listen",
                      absl::StrCat(Quote(config.metrics_listen), " clashes with grpc.listen ",
                                   Quote(config.grpc_listen)));
  }
  return ValidateSubscriptions(config, source);
}

}  // namespace

absl::Status ValidateIngestConfig(const IngestConfig& config, std::string_view source_name) {
  // Debian's abseil has its own string_view type, distinct from std::string_view.
  absl::string_view source(source_name.data(), source_name.size());
  if (!IsSafeName(config.node_id)) {
    if (config.node_id.empty()) {
      return FieldError(source, "node_id", "required field is missing or empty");
    }
    return FieldError(source, "node_id",
                      absl::StrCat("must be 1 to 64 of the characters A-Z a-z 0-9 . _ -, got ",
                                   Quote(config.node_id)));
  }
  for (size_t i = 0; i < config.eal_args.size(); ++i) {
    std::string path = IndexPath("eal.args", i);
    const std::string& arg = config.eal_args[i];
    if (arg.empty()) {
      return FieldError(source, path, "must not be empty");
    }
    if (auto owner = OwnerOfEalArg(arg)) {
      return FieldError(
          source, path,
          absl::StrCat(Quote(arg), " is built from ", *owner, "; set it there instead"));
    }
  }
  if (!IsSafeName(config.file_prefix)) {
    return FieldError(source, "eal.file_prefix",
                      absl::StrCat("must be 1 to 64 of the characters A-Z a-z 0-9 . _ -, got ",
                                   Quote(config.file_prefix)));
  }
  const bool dpdk = config.backend == IngestConfig::Backend::kDpdk;
  if (dpdk) {
    FIREHOSE_RETURN_IF_ERROR(ValidatePorts(config, source));
    FIREHOSE_RETURN_IF_ERROR(ValidateLcores(config, source));
  } else {
    FIREHOSE_RETURN_IF_ERROR(
        CheckRange(source, "kernel.workers", kKernelWorkers, config.kernel.workers));
    FIREHOSE_RETURN_IF_ERROR(
        CheckRange(source, "kernel.rcvbuf_bytes", kRcvbuf, config.kernel.rcvbuf_bytes));
    FIREHOSE_RETURN_IF_ERROR(
        CheckRange(source, "kernel.recv_batch", kRecvBatch, config.kernel.recv_batch));
  }

  if (config.udp_decoders.empty()) {
    return FieldError(source, "decoders", "must map at least one UDP port to a decoder");
  }
  for (const auto& [port, name] : config.udp_decoders) {
    std::string path = JoinPath("decoders", absl::StrCat(port));
    if (port == 0) {
      return FieldError(source, path, "not a UDP port number");
    }
    if (name.empty()) {
      return FieldError(source, path, "decoder name must not be empty");
    }
  }

  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "batch.max_records", kMaxRecords, config.batch.max_records));
  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "batch.max_bytes", kMaxBytes, config.batch.max_bytes));
  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "batch.max_delay_us", kMaxDelayUs, config.batch.max_delay_us));
  FIREHOSE_RETURN_IF_ERROR(
      CheckRange(source, "handoff_ring_batches", kHandoffRing, config.handoff_ring_batches));
  if (dpdk) FIREHOSE_RETURN_IF_ERROR(ValidateMempool(config, source));
  return ValidateListen(config, source);
}

absl::StatusOr<IngestConfig> ParseIngestConfig(std::string_view yaml_text,
                                               std::string_view source_name_std) {
  absl::string_view source_name(source_name_std.data(), source_name_std.size());
  IngestConfig config;
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml_text));
    if (documents.size() > 1) {
      return FieldError(
          source_name, "",
          absl::StrCat("holds ", documents.size(), " YAML documents; a config is exactly one"));
    }
    // An empty file is an empty document: it fails below on the missing node_id.
    YAML::Node root = documents.empty() ? YAML::Node() : documents[0];
    FIREHOSE_RETURN_IF_ERROR(Reader(source_name).Read(root, &config));
  } catch (const YAML::Exception& e) {
    return SyntaxError(source_name, e);
  }
  FIREHOSE_RETURN_IF_ERROR(ValidateIngestConfig(config, source_name_std));
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

#undef FIREHOSE_RETURN_IF_ERROR
