// Tests the service address's parsing and that the worker's side of the slot sees each
// stored address whole: never a mix of two writes, never a change it did not get told of.
#include "node/net/service_address.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace firehose::net {
namespace {

TEST(ServiceAddressTest, ParsesBothFamiliesAndEmpty) {
  std::optional<ServiceAddress> v4 = ServiceAddress::Parse("192.0.2.50");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->family, ServiceAddress::Family::kIpv4);
  EXPECT_EQ(v4->ToString(), "192.0.2.50");
  std::optional<ServiceAddress> v6 = ServiceAddress::Parse("2001:db8::50");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->family, ServiceAddress::Family::kIpv6);
  EXPECT_EQ(v6->ipv6[0], 0x20);
  EXPECT_EQ(v6->ipv6[15], 0x50);
  EXPECT_EQ(v6->ToString(), "2001:db8::50");
  std::optional<ServiceAddress> none = ServiceAddress::Parse("");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(ServiceAddress::Parse("192.0.2.300").has_value());
  EXPECT_FALSE(ServiceAddress::Parse("service.example").has_value());
}

TEST(ServiceAddressSlotTest, ReportsEachChangeOnce) {
  ServiceAddressSlot slot;
  uint64_t seen = 0;
  ServiceAddress out;
  EXPECT_EQ(slot.Load(&seen, &out), ServiceAddressSlot::Read::kUnchanged);
  slot.Store(*ServiceAddress::Parse("2001:db8::50"));
  ASSERT_EQ(slot.Load(&seen, &out), ServiceAddressSlot::Read::kChanged);
  EXPECT_EQ(out, *ServiceAddress::Parse("2001:db8::50"));
  EXPECT_EQ(slot.Load(&seen, &out), ServiceAddressSlot::Read::kUnchanged);
  slot.Store(ServiceAddress{});  // demotion
  ASSERT_EQ(slot.Load(&seen, &out), ServiceAddressSlot::Read::kChanged);
  EXPECT_TRUE(out.empty());
}

TEST(ServiceAddressSlotTest, WorkerNeverSeesATornAddress) {
  // Two addresses that differ in every word; a torn read would mix them.
  const ServiceAddress a = *ServiceAddress::Parse("192.0.2.50");
  const ServiceAddress b = *ServiceAddress::Parse("2001:db8:1:2:3:4:5:6");
  ServiceAddressSlot slot;
  std::atomic<bool> done{false};
  constexpr int kWrites = 200000;
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) slot.Store(i % 2 == 0 ? a : b);
    done.store(true, std::memory_order_release);
  });
  uint64_t seen = 0;
  int changes = 0, busy = 0;
  ServiceAddress last;
  auto read = [&] {
    ServiceAddress out;
    switch (slot.Load(&seen, &out)) {
      case ServiceAddressSlot::Read::kChanged:
        ++changes;
        ASSERT_TRUE(out == a || out == b) << out.ToString();
        last = out;
        break;
      case ServiceAddressSlot::Read::kBusy:
        ++busy;
        break;
      case ServiceAddressSlot::Read::kUnchanged:
        break;
    }
  };
  while (!done.load(std::memory_order_acquire)) read();
  writer.join();
  read();  // the final, quiet read must see the last write
  EXPECT_GT(changes, 0);
  EXPECT_EQ(last, (kWrites - 1) % 2 == 0 ? a : b);
  ServiceAddress out;
  EXPECT_EQ(slot.Load(&seen, &out), ServiceAddressSlot::Read::kUnchanged);
  RecordProperty("busy_reads", busy);
}

}  // namespace
}  // namespace firehose::net
