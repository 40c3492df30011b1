// Tests the kernel socket backend's worker on loopback: datagrams decode into the
// batcher, sources are recorded, and datagrams the kernel drops for a full receive
// buffer are counted exactly, so received = delivered + named drops still holds.
#include "node/dataplane/socket_worker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "node/decode/decoder_registry.h"

namespace firehose::dataplane {
namespace {

class Sender {
 public:
  explicit Sender(uint16_t port) : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
    to_.sin_family = AF_INET;
    to_.sin_port = htons(port);
    to_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  ~Sender() { close(fd_); }
  void Send(const std::string& payload) {
    ASSERT_EQ(sendto(fd_, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to_),
                     sizeof(to_)),
              static_cast<ssize_t>(payload.size()));
  }

 private:
  int fd_;
  sockaddr_in to_{};
};

struct Fixture {
  explicit Fixture(int rcvbuf, int64_t idle_wait_nanos = 1'000'000,
                   int64_t coalesce_nanos = SocketWorkerOptions().coalesce_nanos,
                   int64_t max_delay_nanos = 1'000'000)
      : batcher(0, batch::BatchLimits{1024, 1 << 20}, 8, max_delay_nanos) {
    decoder = *decode::MakeDecoder("statsd");
    SocketWorkerOptions options;
    options.bind_address = "127.0.0.1";
    options.rcvbuf_bytes = rcvbuf;
    options.recv_batch = 16;
    options.idle_wait_nanos = idle_wait_nanos;
    options.coalesce_nanos = coalesce_nanos;
    auto opened = SocketWorker::Open(0, {{0, decoder.get()}}, &batcher, options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    worker = *std::move(opened);
    port = worker->bound_ports().at(0);
  }
  void Start() {
    go = true;
    thread = std::thread([this] { worker->Run(go, stop); });
  }
  void StopAndJoin() {
    stop = true;
    thread.join();
  }
  bool WaitForPackets(uint64_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (worker->counters().rx_packets.Get() < n) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }
  // The next batch the worker hands off, or nullptr if none comes within `limit`.
  batch::BatchBuilder* TakeFullWithin(std::chrono::seconds limit) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    batch::BatchBuilder* full = batcher.TakeFull();
    while (full == nullptr && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      full = batcher.TakeFull();
    }
    return full;
  }
  uint64_t Drops(WorkerDrop reason) const {
    return worker->counters().worker_drops[static_cast<int>(reason)].Get();
  }

  std::unique_ptr<decode::Decoder> decoder;
  batch::Batcher batcher;
  std::unique_ptr<SocketWorker> worker;
  uint16_t port = 0;
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::thread thread;
};

TEST(SocketWorkerTest, DecodesDatagramsIntoTheBatcher) {
  Fixture f(1 << 20);
  f.Start();
  Sender sender(f.port);
  sender.Send("a.b:1|c\nc.d:2.5|g|#x:y");
  sender.Send("bad line");
  ASSERT_TRUE(f.WaitForPackets(2));
  f.StopAndJoin();
  const QueueCounters& c = f.worker->counters();
  EXPECT_EQ(c.rx_packets.Get(), 2u);
  EXPECT_EQ(c.delivered.Get(), 2u);
  EXPECT_EQ(f.decoder->records(), 2u);
  EXPECT_EQ(f.decoder->total_errors(), 1u);
  batch::BatchBuilder* batch = f.batcher.TakeFull();  // flushed on stop
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->record_count(), 2u);
  EXPECT_GT(batch->first_receive_unix_nanos(), 0);
  EXPECT_GT(f.worker->cpu_seconds(), 0.0);
}

// A lone datagram's batch must leave when its 1 ms delay is up, not when the next
// datagram or the idle timeout (here far longer than the test may take) wakes the worker.
TEST(SocketWorkerTest, PartialBatchLeavesOnItsDeadlineWithoutFurtherDatagrams) {
  constexpr int64_t kIdleWait = 120'000'000'000;  // 2 minutes
  Fixture f(1 << 20, kIdleWait);
  f.Start();
  Sender sender(f.port);
  // Let the worker go idle first, so that only the deadline can end its sleep.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  sender.Send("a.b:1|c");
  batch::BatchBuilder* batch = f.TakeFullWithin(std::chrono::seconds(10));
  // The worker sleeps up to kIdleWait again; a datagram after the stop flag wakes it.
  f.stop = true;
  sender.Send("c.d:1|c");
  f.thread.join();
  ASSERT_NE(batch, nullptr) << "the partial batch was not flushed on its deadline";
  EXPECT_EQ(batch->record_count(), 1u);
  EXPECT_EQ(f.batcher.counters().flushes_on_delay.Get(), 1u);
  f.batcher.Release(batch);
}

// Datagrams queued before the worker starts are what a busy socket looks like: the first
// receive brings several (fewer than recv_batch, 16 here) and drains the socket, so the
// worker waits for more to gather instead of going straight back to the kernel. The
// batch delay is long so that a slow thread start cannot make the batch due (a due batch
// ends the wait before it starts).
TEST(SocketWorkerTest, WaitsForDatagramsToGatherAfterABusyReceive) {
  constexpr int64_t kMaxDelay = 60'000'000'000;
  for (const int64_t coalesce : {int64_t{50'000}, int64_t{0}}) {
    Fixture f(1 << 20, 1'000'000, coalesce, kMaxDelay);
    Sender sender(f.port);
    constexpr int kDatagrams = 8;
    static_assert(kDatagrams >= kCoalesceMinDatagrams);
    for (int i = 0; i < kDatagrams; ++i) sender.Send("gathered:1|c");
    f.Start();
    ASSERT_TRUE(f.WaitForPackets(kDatagrams));
    f.StopAndJoin();
    const QueueCounters& c = f.worker->counters();
    EXPECT_EQ(c.delivered.Get(), static_cast<uint64_t>(kDatagrams));
    if (coalesce > 0) {
      EXPECT_GE(c.coalesce_waits.Get(), 1u);
    } else {
      EXPECT_EQ(c.coalesce_waits.Get(), 0u) << "coalesce_nanos 0 must never wait";
    }
  }
}

// The wait for datagrams to gather ends at the partial batch's flush deadline: with a
// 60 s wait and a 2 s delay the batch still leaves after about 2 s.
TEST(SocketWorkerTest, GatheringNeverHoldsAPartialBatchPastItsDeadline) {
  constexpr int64_t kCoalesce = 60'000'000'000;
  constexpr int64_t kMaxDelay = 2'000'000'000;
  Fixture f(1 << 20, 1'000'000, kCoalesce, kMaxDelay);
  Sender sender(f.port);
  for (int i = 0; i < 8; ++i) sender.Send("deadline:1|c");
  f.Start();
  batch::BatchBuilder* batch = f.TakeFullWithin(std::chrono::seconds(20));
  f.StopAndJoin();
  ASSERT_NE(batch, nullptr) << "the wait to gather datagrams outlived the flush deadline";
  EXPECT_EQ(batch->record_count(), 8u);
  EXPECT_EQ(f.batcher.counters().flushes_on_delay.Get(), 1u);
  EXPECT_EQ(f.worker->counters().coalesce_waits.Get(), 1u);
  f.batcher.Release(batch);
}

// When the receive has just flushed a batch there is no deadline to end the wait, but
// the datagrams arriving during it are the next batch's: the wait must not hold them
// past one batch delay either. Eight datagrams queued 50 ms before the worker starts
// are past their 20 ms delay when it reads them, so that receive flushes them and then
// waits with an empty batch; a datagram sent meanwhile must be read within the 20 ms,
// not after the 15 s kernel.coalesce_us allows.
TEST(SocketWorkerTest, GatheringWithNoPartialBatchLastsAtMostOneBatchDelay) {
  constexpr int64_t kCoalesce = 15'000'000'000;
  constexpr int64_t kMaxDelay = 20'000'000;
  Fixture f(1 << 20, 1'000'000, kCoalesce, kMaxDelay);
  Sender sender(f.port);
  for (int i = 0; i < 8; ++i) sender.Send("flushed:1|c");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  f.Start();
  batch::BatchBuilder* first = f.TakeFullWithin(std::chrono::seconds(10));
  ASSERT_NE(first, nullptr) << "the queued datagrams' batch was not flushed";
  EXPECT_EQ(first->record_count(), 8u);
  f.batcher.Release(first);
  sender.Send("late:1|c");
  // Five seconds is far above 20 ms and far below 15 s on any host.
  const auto sent = std::chrono::steady_clock::now();
  while (f.worker->counters().rx_packets.Get() < 9 &&
         std::chrono::steady_clock::now() - sent < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const uint64_t received = f.worker->counters().rx_packets.Get();
  f.StopAndJoin();
  EXPECT_EQ(received, 9u) << "the wait after a flush outlived the batch delay";
  EXPECT_GE(f.worker->counters().coalesce_waits.Get(), 1u);
}

TEST(SocketWorkerTest, KernelReceiveBufferDropsAreCountedExactly) {
  Fixture f(65536);  // small on purpose: the burst below overflows it
  Sender sender(f.port);
  const std::string payload = "x:1|c|#" + std::string(900, 't');
  constexpr int kBurst = 3000;
  for (int i = 0; i < kBurst; ++i) sender.Send(payload);
  f.Start();
  // SO_RXQ_OVFL reports the drop total on datagrams queued after the drops, so send one
  // more once the worker has drained what the buffer held. (That datagram lands in a
  // recvmmsg header that earlier ones, timestamp only, shrank: the count is lost unless
  // the worker puts each header's control length back after reading it.)
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  uint64_t last = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const uint64_t now = f.worker->counters().rx_packets.Get();
    if (now > 0 && now == last) break;
    last = now;
  }
  sender.Send(payload);
  ASSERT_TRUE(f.WaitForPackets(kBurst + 1));
  f.StopAndJoin();
  const QueueCounters& c = f.worker->counters();
  EXPECT_EQ(c.rx_packets.Get(), static_cast<uint64_t>(kBurst + 1));
  EXPECT_GT(f.Drops(WorkerDrop::kKernelReceiveBuffer), 0u);
  EXPECT_EQ(c.rx_packets.Get(), c.delivered.Get() + f.Drops(WorkerDrop::kKernelReceiveBuffer) +
                                    f.Drops(WorkerDrop::kTruncatedDatagram));
}

// The receive-queue gauge's source: datagrams the worker has not read yet show up as
// queued bytes (with the kernel's overhead, so at least their payload), and the queue
// reads empty again once the worker has drained it.
TEST(SocketWorkerTest, ReceiveQueueShowsWhatWaitsInTheKernel) {
  Fixture f(1 << 20);
  std::vector<SocketWorker::ReceiveQueue> queues = f.worker->receive_queues();
  ASSERT_EQ(queues.size(), 1u);
  EXPECT_EQ(queues[0].udp_port, f.port);
  EXPECT_EQ(queues[0].queued_bytes, 0u);
  EXPECT_GT(queues[0].limit_bytes, 0u);  // rcvbuf_bytes, doubled by the kernel, or rmem_max

  Sender sender(f.port);
  const std::string payload = "queued.metric:1|c|#" + std::string(200, 'q');
  constexpr int kDatagrams = 10;
  for (int i = 0; i < kDatagrams; ++i) sender.Send(payload);
  queues = f.worker->receive_queues();
  EXPECT_GE(queues[0].queued_bytes, kDatagrams * payload.size());
  EXPECT_LT(queues[0].queued_bytes, queues[0].limit_bytes);

  f.Start();
  ASSERT_TRUE(f.WaitForPackets(kDatagrams));
  EXPECT_EQ(f.worker->receive_queues()[0].queued_bytes, 0u);
  f.StopAndJoin();
  EXPECT_EQ(f.worker->counters().delivered.Get(), static_cast<uint64_t>(kDatagrams));
}

TEST(SocketWorkerTest, BadBindAddressNamesTheField) {
  batch::Batcher batcher(0, batch::BatchLimits{16, 1 << 16}, 2, 1000);
  auto decoder = *decode::MakeDecoder("statsd");
  SocketWorkerOptions options;
  options.bind_address = "not-an-address";
  auto opened = SocketWorker::Open(0, {{0, decoder.get()}}, &batcher, options);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(std::string(opened.status().message()).find("kernel.bind_address"), std::string::npos);
}

}  // namespace
}  // namespace firehose::dataplane
