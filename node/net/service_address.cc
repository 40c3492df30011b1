// Parsing of the service address and the sequence-lock slot; see the header.
#include "node/net/service_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace firehose::net {

std::optional<ServiceAddress> ServiceAddress::Parse(std::string_view text) {
  ServiceAddress address;
  if (text.empty()) return address;
  const std::string copy(text);  // inet_pton needs a terminated string
  if (inet_pton(AF_INET, copy.c_str(), &address.ipv4) == 1) {
    address.family = Family::kIpv4;
    return address;
  }
  if (inet_pton(AF_INET6, copy.c_str(), address.ipv6.data()) == 1) {
    address.family = Family::kIpv6;
    return address;
  }
  return std::nullopt;
}

std::string ServiceAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = "";
  if (family == Family::kIpv4) inet_ntop(AF_INET, &ipv4, text, sizeof(text));
  if (family == Family::kIpv6) inet_ntop(AF_INET6, ipv6.data(), text, sizeof(text));
  return text;
}

void ServiceAddressSlot::Store(const ServiceAddress& address) {
  uint64_t high, low;
  std::memcpy(&high, address.ipv6.data(), 8);
  std::memcpy(&low, address.ipv6.data() + 8, 8);
  std::lock_guard<std::mutex> lock(writer_);
  const uint64_t sequence = sequence_.load(std::memory_order_relaxed);
  sequence_.store(sequence + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);  // odd before the words
  words_[0].store(static_cast<uint64_t>(address.family) | uint64_t{address.ipv4} << 32,
                  std::memory_order_relaxed);
  words_[1].store(high, std::memory_order_relaxed);
  words_[2].store(low, std::memory_order_relaxed);
  sequence_.store(sequence + 2, std::memory_order_release);  // the words before even
}

ServiceAddressSlot::Read ServiceAddressSlot::Load(uint64_t* seen, ServiceAddress* out) const {
  const uint64_t before = sequence_.load(std::memory_order_acquire);
  if (before == *seen) return Read::kUnchanged;
  if (before & 1) return Read::kBusy;
  const uint64_t first = words_[0].load(std::memory_order_relaxed);
  const uint64_t high = words_[1].load(std::memory_order_relaxed);
  const uint64_t low = words_[2].load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);  // the words before the re-check
  if (sequence_.load(std::memory_order_relaxed) != before) return Read::kBusy;
  out->family = static_cast<ServiceAddress::Family>(first & 0xff);
  out->ipv4 = static_cast<uint32_t>(first >> 32);
  std::memcpy(out->ipv6.data(), &high, 8);
  std::memcpy(out->ipv6.data() + 8, &low, 8);
  *seen = before;
  return Read::kChanged;
}

}  // namespace firehose::net
