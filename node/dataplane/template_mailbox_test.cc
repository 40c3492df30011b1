// TemplateMailbox with a real worker-like thread polling it: templates exported from
// one decoder are imported into another through the mailbox, after which that decoder
// decodes data records it never saw a template for.
#include "node/dataplane/template_mailbox.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "node/decode/flow_packet_builder.h"
#include "node/decode/netflow_decoder.h"

namespace firehose::dataplane {
namespace {

using decode::NetflowDecoder;
using decode::NetflowError;
using decode::testing::FlowPacketBuilder;

class CountingSink : public decode::RecordSink {
 public:
  void AddStatsd(const decode::StatsdRecord&, const PacketMeta&) override {}
  void AddFlow(const decode::FlowRecord&, const PacketMeta&) override { ++flows; }
  int flows = 0;
};

PacketMeta Exporter() {
  PacketMeta meta;
  const uint8_t addr[4] = {192, 0, 2, 9};
  std::memcpy(meta.source_address, addr, 4);
  meta.source_address_len = 4;
  return meta;
}

// Template 256: source and destination IPv4, packets, bytes (16 bytes per record).
std::string TemplatePacket() {
  return FlowPacketBuilder::V9(1000, 1700000000, 1, 5)
      .BeginSet(0)
      .Template(256, {{8, 4}, {12, 4}, {2, 4}, {1, 4}})
      .EndSet()
      .Finish();
}

std::string DataPacket() {
  return FlowPacketBuilder::V9(1000, 1700000000, 2, 5)
      .BeginSet(256)
      .Ipv4(10, 0, 0, 1).Ipv4(10, 0, 0, 2).U32(3).U32(300)
      .EndSet()
      .Finish();
}

// Polls like a worker until stopped.
class PollingThread {
 public:
  explicit PollingThread(TemplateMailbox* mailbox)
      : thread_([this, mailbox] {
          while (!stop_.load()) {
            mailbox->Poll();
            std::this_thread::sleep_for(std::chrono::microseconds(200));
          }
        }) {}
  ~PollingThread() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(TemplateMailboxTest, ExportFromOneWorkerImportIntoAnother) {
  NetflowDecoder active, standby;
  CountingSink sink;
  active.Decode(TemplatePacket(), Exporter(), sink);
  ASSERT_EQ(active.templates_learned(), 1u);

  TemplateMailbox active_box, standby_box;
  active_box.Attach(&active);
  standby_box.Attach(&standby);
  {
    PollingThread worker(&active_box);
    std::optional<std::vector<std::string>> exported = active_box.Export(absl::Seconds(5));
    ASSERT_TRUE(exported.has_value());
    ASSERT_EQ(exported->size(), 1u);
    PollingThread standby_worker(&standby_box);
    standby_box.PostImport(exported->front());
    for (int i = 0; i < 5000 && standby_box.imports() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  EXPECT_EQ(standby_box.imports(), 1u);
  EXPECT_EQ(standby_box.import_errors(), 0u);
  standby.Decode(DataPacket(), Exporter(), sink);
  EXPECT_EQ(sink.flows, 1);
  EXPECT_EQ(standby.errors(NetflowError::kTemplateMissing), 0u);
}

TEST(TemplateMailboxTest, BadBytesAreCountedAndAWorkerThatDoesNotPollTimesOut) {
  NetflowDecoder decoder;
  TemplateMailbox box;
  box.Attach(&decoder);
  EXPECT_FALSE(box.Export(absl::Milliseconds(20)).has_value());  // nobody polls
  box.PostImport("not templates");
  box.Poll();
  EXPECT_EQ(box.import_errors(), 1u);
  EXPECT_EQ(box.imports(), 0u);
  // The stale export answer left by the late poll above does not confuse the next ask.
  PollingThread worker(&box);
  EXPECT_TRUE(box.Export(absl::Seconds(5)).has_value());
}

}  // namespace
}  // namespace firehose::dataplane
