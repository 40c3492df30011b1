// The worker's side of the pair's service address, through a real ethdev: a net_ring
// port (rte_eth_from_rings) whose RX ring the test fills and whose TX ring it drains, so
// every frame the worker sends can be read back in order. A promotion announces the
// address once (gratuitous ARP / unsolicited Neighbor Advertisement) and makes the
// worker answer for it; a demotion makes it silent for the service address while it
// keeps answering for its own addresses. Needs EAL (no hugepages, no PCI): tag "dpdk".
#include "node/dataplane/rx_worker.h"

#include <arpa/inet.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "node/batch/batcher.h"
#include "node/dataplane/eal.h"
#include "node/dataplane/tsc_clock.h"
#include "tools/pcapgen/frame_builder.h"

namespace firehose::dataplane {
namespace {

using Frame = std::vector<uint8_t>;
using Ip6 = std::array<uint8_t, 16>;

constexpr std::array<uint8_t, 6> kNodeMac = {0x02, 0xfe, 0, 0, 0, 0x01};
constexpr pcapgen::MacAddress kPeerMac = {0x02, 0, 0, 0, 0, 0x09};
const Ip6 kPeer6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
const Ip6 kNode6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
const Ip6 kService6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x50};

// A Neighbor Solicitation for `target` from kPeer6, with its Source Link-Layer Address
// option and a valid checksum (computed with pcapgen's independent RFC 1071 sum).
Frame Solicitation(const Ip6& target) {
  Ip6 group = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  std::copy(target.begin() + 13, target.end(), group.begin() + 13);
  std::vector<uint8_t> icmp = {135, 0, 0, 0, 0, 0, 0, 0};
  icmp.insert(icmp.end(), target.begin(), target.end());
  icmp.insert(icmp.end(), {1, 1});
  icmp.insert(icmp.end(), kPeerMac.begin(), kPeerMac.end());
  uint32_t pseudo = static_cast<uint32_t>(icmp.size()) + 58;
  for (int i = 0; i < 16; i += 2) {
    pseudo += static_cast<uint32_t>(kPeer6[i] << 8 | kPeer6[i + 1]);
    pseudo += static_cast<uint32_t>(group[i] << 8 | group[i + 1]);
  }
  const uint16_t checksum = pcapgen::InternetChecksum(icmp, pseudo);
  icmp[2] = static_cast<uint8_t>(checksum >> 8);
  icmp[3] = static_cast<uint8_t>(checksum);
  Frame frame = {0x33, 0x33, group[12], group[13], group[14], group[15]};
  frame.insert(frame.end(), kPeerMac.begin(), kPeerMac.end());
  frame.insert(frame.end(),
               {0x86, 0xdd, 0x60, 0, 0, 0, 0, static_cast<uint8_t>(icmp.size()), 58, 255});
  frame.insert(frame.end(), kPeer6.begin(), kPeer6.end());
  frame.insert(frame.end(), group.begin(), group.end());
  frame.insert(frame.end(), icmp.begin(), icmp.end());
  return frame;
}

Frame ArpFor(const pcapgen::Ipv4Address& target) {
  return pcapgen::BuildArpRequest(kPeerMac, {192, 0, 2, 1}, target);
}

// One EAL and one ring-backed port for the whole suite (EAL starts once per process).
class RxWorkerServiceAddressTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    prefix_ = "fh-rxw-" + std::to_string(getpid());
    std::vector<std::string> args = {
        "rx_worker_test", "--no-huge",      "--no-shconf", "-m", "128",
        "--no-pci",       "--no-telemetry", "-l",          "0",  "--file-prefix=" + prefix_};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0);
    pool_ = rte_pktmbuf_pool_create("rxw_pool", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    ASSERT_NE(pool_, nullptr);
    rx_ = rte_ring_create("rxw_rx", 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    tx_ = rte_ring_create("rxw_tx", 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_NE(rx_, nullptr);
    ASSERT_NE(tx_, nullptr);
    const int port = rte_eth_from_rings("net_ring_rxw", &rx_, 1, &tx_, 1, 0);
    ASSERT_GE(port, 0);
    port_ = static_cast<uint16_t>(port);
    rte_eth_conf conf{};
    ASSERT_EQ(rte_eth_dev_configure(port_, 1, 1, &conf), 0);
    ASSERT_EQ(rte_eth_rx_queue_setup(port_, 0, 64, 0, nullptr, pool_), 0);
    ASSERT_EQ(rte_eth_tx_queue_setup(port_, 0, 64, 0, nullptr), 0);
    ASSERT_EQ(rte_eth_dev_start(port_), 0);
  }
  static void TearDownTestSuite() {
    rte_eth_dev_stop(port_);
    rte_eth_dev_close(port_);
    rte_ring_free(rx_);
    rte_ring_free(tx_);
    rte_mempool_free(pool_);
    CleanupEal();  // also removes /var/run/dpdk/<prefix>
  }

  void SetUp() override {
    batcher_ = std::make_unique<batch::Batcher>(0, batch::BatchLimits{}, 2, 1'000'000);
    worker_ = std::make_unique<RxWorker>(port_, 0, std::vector<DecoderRoute>{}, batcher_.get(),
                                         &clock_, pool_);
    net::HostIdentity identity;
    identity.mac = kNodeMac;
    ASSERT_TRUE(identity.AddAddress("192.0.2.10"));
    ASSERT_TRUE(identity.AddAddress("2001:db8::10"));
    worker_->EnableResponder(identity, 0);
    go_ = true;
    thread_ = std::thread([this] { worker_->Run(go_, stop_); });
  }
  void TearDown() override {
    stop_ = true;
    thread_.join();
    for (const Frame& left : Sent(0)) ADD_FAILURE() << "unread frame of " << left.size();
  }

  // Hands `frames` to the worker's RX queue, then waits until it has taken them all.
  void Receive(const std::vector<Frame>& frames) {
    const uint64_t before = worker_->counters().rx_packets.Get();
    for (const Frame& frame : frames) {
      rte_mbuf* mbuf = rte_pktmbuf_alloc(pool_);
      ASSERT_NE(mbuf, nullptr);
      std::memcpy(rte_pktmbuf_append(mbuf, static_cast<uint16_t>(frame.size())), frame.data(),
                  frame.size());
      ASSERT_EQ(rte_ring_enqueue(rx_, mbuf), 0);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (worker_->counters().rx_packets.Get() < before + frames.size()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the worker took no frames";
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  // Waits (up to 5 s) for `count` frames on the TX ring, then 50 ms more for strays, and
  // returns every frame there.
  std::vector<Frame> Sent(size_t count) {
    std::vector<Frame> frames;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (rte_ring_count(tx_) < count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    void* object;
    while (rte_ring_dequeue(tx_, &object) == 0) {
      rte_mbuf* mbuf = static_cast<rte_mbuf*>(object);
      const uint8_t* data = rte_pktmbuf_mtod(mbuf, const uint8_t*);
      frames.emplace_back(data, data + mbuf->data_len);
      rte_pktmbuf_free(mbuf);
    }
    return frames;
  }

  uint64_t Answered(net::Reply reply) const {
    return worker_->counters().answered[static_cast<int>(reply)].Get();
  }

  static inline std::string prefix_;
  static inline rte_mempool* pool_ = nullptr;
  static inline rte_ring* rx_ = nullptr;
  static inline rte_ring* tx_ = nullptr;
  static inline uint16_t port_ = 0;
  TscClock clock_;
  std::unique_ptr<batch::Batcher> batcher_;
  std::unique_ptr<RxWorker> worker_;
  std::atomic<bool> go_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(RxWorkerServiceAddressTest, Ipv6PromotionAnnouncesAndDemotionSilences) {
  // Standby: the service address is nobody's.
  Receive({Solicitation(kService6)});
  EXPECT_TRUE(Sent(0).empty());
  EXPECT_EQ(Answered(net::Reply::kNdp), 0u);

  // Promotion: one unsolicited advertisement, then solicitations for it are answered.
  worker_->SetServiceAddress(*net::ServiceAddress::Parse("2001:db8::50"));
  worker_->AnnounceServiceAddress();
  std::vector<Frame> sent = Sent(1);
  ASSERT_EQ(sent.size(), 1u);
  const Frame& na = sent[0];
  ASSERT_EQ(na.size(), net::kUnsolicitedNeighborAdvertisementLen);
  EXPECT_EQ(Frame(na.begin(), na.begin() + 6), (Frame{0x33, 0x33, 0, 0, 0, 1}));
  EXPECT_EQ(na[14 + 7], 255);
  EXPECT_EQ(na[14 + 40], 136);
  EXPECT_EQ(na[14 + 40 + 4], 0x20) << "unsolicited: Override only";
  EXPECT_TRUE(std::equal(kService6.begin(), kService6.end(), na.begin() + 14 + 40 + 8));
  EXPECT_TRUE(std::equal(kNodeMac.begin(), kNodeMac.end(), na.begin() + 14 + 40 + 26));
  EXPECT_EQ(worker_->counters().unsolicited_nas_sent.Get(), 1u);

  Receive({Solicitation(kService6)});
  sent = Sent(1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0][14 + 40 + 4], 0x60) << "an answer: Solicited + Override";
  EXPECT_TRUE(std::equal(kService6.begin(), kService6.end(), sent[0].begin() + 14 + 8));
  EXPECT_EQ(Answered(net::Reply::kNdp), 1u);

  // Demotion: silent for the service address, still answering for its own.
  worker_->SetServiceAddress(net::ServiceAddress{});
  Receive({Solicitation(kService6), Solicitation(kNode6)});
  sent = Sent(1);
  ASSERT_EQ(sent.size(), 1u) << "only the node's own address is answered";
  EXPECT_TRUE(std::equal(kNode6.begin(), kNode6.end(), sent[0].begin() + 14 + 8));
  EXPECT_EQ(Answered(net::Reply::kNdp), 2u);
  EXPECT_EQ(worker_->counters().parse_drops[static_cast<int>(net::ParseDrop::kNotUdp)].Get(),
            2u);  // the service solicitation while standby, and after demotion

  // An announcement request while demoted sends nothing.
  worker_->AnnounceServiceAddress();
  EXPECT_TRUE(Sent(0).empty());
  EXPECT_EQ(worker_->counters().unsolicited_nas_sent.Get(), 1u);
}

TEST_F(RxWorkerServiceAddressTest, Ipv4PromotionAnnouncesAndDemotionSilences) {
  worker_->SetServiceAddress(*net::ServiceAddress::Parse("192.0.2.50"));
  worker_->AnnounceServiceAddress();
  std::vector<Frame> sent = Sent(1);
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(sent[0].size(), net::kGratuitousArpLen);
  EXPECT_EQ(sent[0][0], 0xff) << "broadcast";
  EXPECT_EQ(Frame(sent[0].begin() + 28, sent[0].begin() + 32), (Frame{192, 0, 2, 50}));
  EXPECT_EQ(worker_->counters().gratuitous_arps_sent.Get(), 1u);
  EXPECT_EQ(worker_->counters().unsolicited_nas_sent.Get(), 0u);

  Receive({ArpFor({192, 0, 2, 50})});
  sent = Sent(1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0][21], 2) << "ARP reply";
  EXPECT_EQ(Frame(sent[0].begin() + 28, sent[0].begin() + 32), (Frame{192, 0, 2, 50}));

  worker_->SetServiceAddress(net::ServiceAddress{});
  Receive({ArpFor({192, 0, 2, 50}), ArpFor({192, 0, 2, 10})});
  sent = Sent(1);
  ASSERT_EQ(sent.size(), 1u) << "only the node's own address is answered";
  EXPECT_EQ(Frame(sent[0].begin() + 28, sent[0].begin() + 32), (Frame{192, 0, 2, 10}));
  EXPECT_EQ(Answered(net::Reply::kArp), 2u);
}

}  // namespace
}  // namespace firehose::dataplane
