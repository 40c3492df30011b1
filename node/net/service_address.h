// The pair's service address (IPv4 or IPv6) and the one-slot mailbox that hands it from
// the control thread to a worker lcore.
//
// The active node of a pair owns the service address: its workers answer ARP/NDP and
// ping for it and announce it on promotion; a standby answers nothing for it. The role
// changes on a control thread while the worker polls, and an IPv6 address is wider than
// any lock-free atomic, so the slot is a sequence lock: the writer bumps the sequence to
// odd, stores the words, bumps it to even; the worker reads the sequence (one load per
// poll), and only when it moved reads the words and checks the sequence again. The
// worker never waits: a write caught half-way is simply read at the next poll.
#ifndef FIREHOSE_NODE_NET_SERVICE_ADDRESS_H_
#define FIREHOSE_NODE_NET_SERVICE_ADDRESS_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "node/net/l2_responder.h"

namespace firehose::net {

struct ServiceAddress {
  enum class Family : uint8_t { kNone, kIpv4, kIpv6 };
  Family family = Family::kNone;
  uint32_t ipv4 = 0;  // network byte order, when family == kIpv4
  Ipv6Bytes ipv6{};   // as on the wire, when family == kIpv6

  // "" is no address; otherwise IPv4 or IPv6 text. nullopt when it is neither.
  static std::optional<ServiceAddress> Parse(std::string_view text);
  bool empty() const { return family == Family::kNone; }
  std::string ToString() const;
  friend bool operator==(const ServiceAddress&, const ServiceAddress&) = default;
};

class ServiceAddressSlot {
 public:
  // Control thread(s); concurrent writers are serialised.
  void Store(const ServiceAddress& address);

  enum class Read : uint8_t { kUnchanged, kChanged, kBusy };
  // Worker: compares the slot's sequence with `*seen`. kUnchanged: nothing new.
  // kChanged: `*out` is the new address and `*seen` moved. kBusy: a write is under way
  // (or raced this read); try again at the next poll. Lock-free, no syscall.
  Read Load(uint64_t* seen, ServiceAddress* out) const;

 private:
  std::mutex writer_;
  std::atomic<uint64_t> sequence_{0};  // odd while a write is under way
  // family | ipv4 << 32, then the IPv6 address as two 64-bit words.
  std::atomic<uint64_t> words_[3] = {0, 0, 0};
};

}  // namespace firehose::net

#endif  // FIREHOSE_NODE_NET_SERVICE_ADDRESS_H_
