// Big-endian readers and time conversions shared by the NetFlow v5, v9 and IPFIX
// decoders. Internal to node/decode: callers check bounds before reading.
#ifndef FIREHOSE_NODE_DECODE_NETFLOW_WIRE_H_
#define FIREHOSE_NODE_DECODE_NETFLOW_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace firehose::decode::wire {

inline uint16_t U16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t U32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// An unsigned big-endian integer of 1..8 bytes (reduced-size encoding, RFC 7011 6.2).
// Longer fields keep their low 8 bytes.
inline uint64_t Uint(const uint8_t* p, size_t len) {
  if (len > 8) {
    p += len - 8;
    len = 8;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < len; ++i) v = v << 8 | p[i];
  return v;
}

// Writes an IPv4 address as IPv4-mapped IPv6 (::ffff:a.b.c.d) into 16 bytes.
inline void MapV4(const uint8_t* v4, uint8_t* out16) {
  std::memset(out16, 0, 10);
  out16[10] = 0xff;
  out16[11] = 0xff;
  std::memcpy(out16 + 12, v4, 4);
}

// Seconds between the NTP epoch (1900) and the Unix epoch (1970).
inline constexpr uint64_t kNtpToUnixSeconds = 2208988800ull;

// NTP 64-bit timestamp (RFC 7011 dateTimeMicroseconds/Nanoseconds) to Unix millis;
// 0 for times before 1970.
inline uint64_t NtpToUnixMillis(uint64_t ntp) {
  const uint64_t seconds = ntp >> 32;
  if (seconds < kNtpToUnixSeconds) return 0;
  const uint64_t fraction_millis = ((ntp & 0xffffffffull) * 1000) >> 32;
  return (seconds - kNtpToUnixSeconds) * 1000 + fraction_millis;
}

// A sysUpTime-relative time (ms) to Unix millis, given the header's export time and
// uptime. The difference is taken modulo 2^32 as a signed value, so an uptime that
// wrapped (every 49.7 days) between the flow and the export still gives the right
// age, and a flow time slightly after the export (exporter skew) stays after it.
inline uint64_t UptimeToUnixMillis(uint64_t export_unix_millis, uint32_t sys_uptime,
                                   uint32_t at_uptime) {
  const int64_t age = static_cast<int32_t>(sys_uptime - at_uptime);
  const int64_t t = static_cast<int64_t>(export_unix_millis) - age;
  return t > 0 ? static_cast<uint64_t>(t) : 0;
}

}  // namespace firehose::decode::wire

#endif  // FIREHOSE_NODE_DECODE_NETFLOW_WIRE_H_
