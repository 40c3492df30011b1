// The rule helpers ingestd's config reader and validator share: the allowed range of
// every numeric field, field paths, the "file: path: what" error shape, names, and
// "host:port" parsing. Both halves take their rules from here, so a range or a message
// is written once and a value reads the same whether the YAML reader or
// ValidateIngestConfig (configs built in code) rejects it.
#ifndef FIREHOSE_NODE_CONFIG_CONFIG_RULES_H_
#define FIREHOSE_NODE_CONFIG_CONFIG_RULES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

// Returns the status of `expr` from the enclosing function when it is an error.
#define FIREHOSE_RETURN_IF_ERROR(expr)                  \
  do {                                                  \
    if (absl::Status status_ = (expr); !status_.ok()) { \
      return status_;                                   \
    }                                                   \
  } while (0)

namespace firehose::config {

// Allowed values of one numeric field. Reading and validation share these so that a
// value too large for its C++ type gets the same message as one merely out of range.
struct Range {
  uint64_t min;
  uint64_t max;
  bool power_of_two = false;
};

inline constexpr Range kRxQueues{1, 64};
inline constexpr Range kRxDescriptors{64, 16384, true};
// RTE_MAX_LCORE of Debian's DPDK 22.11 build; EAL refuses lcore ids at or above it.
inline constexpr Range kLcore{0, 127};
inline constexpr Range kUdpPort{1, 65535};
inline constexpr Range kMaxRecords{1, 1 << 20};
// gRPC clients refuse messages over 4 MiB unless told otherwise.
inline constexpr Range kMaxBytes{1024, 4 << 20};
inline constexpr Range kMaxDelayUs{1, 1'000'000};
inline constexpr Range kHandoffRing{2, 65536, true};
// 2^24 mbufs of ~2.3 KiB are ~37 GiB per queue: anything above is surely a typo.
inline constexpr Range kMbufs{1023, (1 << 24) - 1};
// RTE_MEMPOOL_CACHE_MAX_SIZE.
inline constexpr Range kMbufCache{0, 512};
inline constexpr Range kSubscriberQueue{1, 65536};
inline constexpr Range kReplayBytes{0, 16ull << 30};
inline constexpr Range kSubscriberQueueBytes{64 << 10, 16ull << 30};
inline constexpr Range kHeartbeatMs{100, 60000};
inline constexpr Range kKernelWorkers{1, 64};
inline constexpr Range kRcvbuf{65536, 1u << 30};
inline constexpr Range kRecvBatch{1, 256};
inline constexpr Range kCoalesceUs{0, 1000};

// net::kMaxHostAddresses: the responder's fixed table.
inline constexpr size_t kMaxPortAddresses = 8;
// Packets the RX loop takes per rte_eth_rx_burst; a mempool must have this many
// mbufs spare beyond a full RX ring and a full lcore cache.
inline constexpr uint64_t kRxBurst = 32;

// "parent.child", or "child" at the top level.
std::string JoinPath(absl::string_view parent, absl::string_view child);
// "parent[index]".
std::string IndexPath(absl::string_view parent, size_t index);

// InvalidArgument "source: path: what", or "source: what" for the document as a whole.
absl::Status FieldError(absl::string_view source, absl::string_view path, absl::string_view what);

// `text` in double quotes, as messages show values.
std::string Quote(absl::string_view text);

// "must be between 1 and 64" or "must be a power of two between 64 and 16384".
std::string RangeText(const Range& range);
bool InRange(const Range& range, uint64_t value);
// The error for a value outside `range`: "source: path: <RangeText>, got <got>". `got`
// is text so that numbers no integer type holds are shown as written.
absl::Status RangeError(absl::string_view source, absl::string_view path, const Range& range,
                        absl::string_view got);
// OK when `value` is in `range`, RangeError otherwise.
absl::Status CheckRange(absl::string_view source, absl::string_view path, const Range& range,
                        uint64_t value);

// True for one or more of 0-9 and nothing else (no sign, no spaces).
bool IsDigits(absl::string_view text);

// True for names made of [A-Za-z0-9._-], 1 to 64 of them: safe in file names,
// metric labels and log lines without quoting.
bool IsSafeName(absl::string_view name);
// OK when IsSafeName(name), otherwise "source: path: must be 1 to 64 of the characters
// A-Z a-z 0-9 . _ -, got \"name\"".
absl::Status CheckSafeName(absl::string_view source, absl::string_view path,
                           absl::string_view name);

struct HostPort {
  absl::string_view host;  // without brackets; points into the parsed text
  uint16_t port = 0;
};

// Parses "host:port" or "[ipv6]:port" with a port of 0..65535. Port 0 asks the kernel
// for a free port; ingestd prints the one it got on its READY line (tests, demos).
// The host is a name or an address; it is not resolved here.
std::optional<HostPort> ParseHostPort(absl::string_view text);

// Hosts that mean "every address": 0.0.0.0 and ::.
bool IsWildcardHost(absl::string_view host);
// Hosts whose traffic never leaves the machine: localhost, 127.0.0.0/8, ::1.
bool IsLoopbackHost(absl::string_view host);

}  // namespace firehose::config

#endif  // FIREHOSE_NODE_CONFIG_CONFIG_RULES_H_
