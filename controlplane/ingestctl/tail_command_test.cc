// Tests for `ingestctl tail` against an in-process fake Ingest service: what goes to
// stdout and stderr, every way of stopping, and the exit codes.
#include "controlplane/ingestctl/tail_command.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"

namespace firehose::ctl {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using Writer = grpc::ServerWriter<v1::SubscribeResponse>;

// A batch of `count` counters named r<first>, r<first + 1>, ... from 10.0.0.5:40000.
v1::SubscribeResponse Batch(uint64_t seq, int count, int first) {
  v1::SubscribeResponse response;
  v1::Batch* batch = response.mutable_batch();
  batch->set_node_id("node-a");
  batch->set_epoch(1);
  batch->set_seq(seq);
  batch->set_first_receive_unix_nanos(1'700'000'000'000'000'000);
  batch->set_record_count(count);
  batch->add_strings("");
  v1::Endpoint* source = batch->add_sources();
  source->set_address(std::string("\x0a\x00\x00\x05", 4));
  source->set_port(40000);
  v1::StatsdColumns* s = batch->mutable_statsd();
  for (int i = 0; i < count; ++i) {
    batch->add_strings(absl::StrCat("r", first + i));
    s->add_name(static_cast<uint32_t>(batch->strings_size() - 1));
    s->add_value(1);
    s->add_type(v1::METRIC_TYPE_COUNTER);
    s->add_sample_rate(1);
    s->add_tag_count(0);
    s->add_source(0);
    s->add_receive_offset_nanos(static_cast<uint64_t>(i));
    s->add_flags(0);
    s->add_text(0);
  }
  return response;
}

v1::SubscribeResponse GapNotice(uint64_t first_seq, uint64_t last_seq, uint64_t records) {
  v1::SubscribeResponse response;
  v1::Gap* gap = response.mutable_notice()->mutable_gap();
  gap->set_reason(v1::Gap::REASON_SUBSCRIBER_QUEUE_FULL);
  gap->set_epoch(1);
  gap->set_first_seq(first_seq);
  gap->set_last_seq(last_seq);
  gap->set_batches(last_seq - first_seq + 1);
  gap->set_records(records);
  return response;
}

// Streams batches of 10 records until the client goes away.
grpc::Status Endless(grpc::ServerContext* context, Writer* writer, absl::Duration pause) {
  for (uint64_t seq = 1; !context->IsCancelled(); ++seq) {
    if (!writer->Write(Batch(seq, 10, static_cast<int>((seq - 1) * 10)))) {
      break;
    }
    absl::SleepFor(pause);
  }
  return grpc::Status::OK;
}

class FakeIngest final : public v1::Ingest::Service {
 public:
  using Script = std::function<grpc::Status(grpc::ServerContext*, Writer*)>;

  explicit FakeIngest(Script script) : script_(std::move(script)) {}

  grpc::Status Subscribe(grpc::ServerContext* context, const v1::SubscribeRequest* request,
                         Writer* writer) override {
    {
      absl::MutexLock lock(&mu_);
      client_name_ = request->client_name();
    }
    return script_(context, writer);
  }

  std::string ClientName() {
    absl::MutexLock lock(&mu_);
    return client_name_;
  }

 private:
  Script script_;
  absl::Mutex mu_;
  std::string client_name_ ABSL_GUARDED_BY(mu_);
};

struct TailResult {
  int exit_code;
  std::vector<std::string> out_lines;
  std::string err;
};

class TailTest : public ::testing::Test {
 protected:
  void Serve(FakeIngest::Script script) {
    service_ = std::make_unique<FakeIngest>(std::move(script));
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    address_ = absl::StrCat("127.0.0.1:", port);
  }

  void TearDown() override {
    if (server_) {
      server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
    }
  }

  TailOptions Options() {
    TailOptions options;
    options.address = address_;
    options.rate_interval = absl::Milliseconds(100);
    return options;
  }

  static TailResult Tail(const TailOptions& options,
                         const std::atomic<bool>* interrupted = nullptr) {
    std::ostringstream out;
    std::ostringstream err;
    TailResult result;
    result.exit_code = RunTail(options, TailIo{&out, &err, interrupted});
    std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
    result.out_lines = std::move(lines);
    result.err = err.str();
    return result;
  }

  std::unique_ptr<FakeIngest> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(TailTest, PrintsRecordsAndNoticesUntilTheNodeEndsTheStream) {
  Serve([](grpc::ServerContext*, Writer* writer) {
    writer->Write(Batch(1, 2, 0));
    writer->Write(GapNotice(2, 3, 5));
    writer->Write(Batch(4, 1, 2));
    v1::SubscribeResponse heartbeat;
    heartbeat.mutable_notice()->mutable_heartbeat()->set_last_published_seq(4);
    writer->Write(heartbeat);
    return grpc::Status::OK;
  });
  TailOptions options = Options();
  options.json = true;
  TailResult result = Tail(options);
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  ASSERT_THAT(result.out_lines, SizeIs(3));
  EXPECT_THAT(result.out_lines[0], HasSubstr("{\"node_id\":\"node-a\",\"epoch\":1,\"seq\":1,"));
  EXPECT_THAT(result.out_lines[0], HasSubstr("\"name\":\"r0\""));
  EXPECT_THAT(result.out_lines[1], HasSubstr("\"name\":\"r1\""));
  EXPECT_THAT(result.out_lines[2], HasSubstr("\"seq\":4,"));
  EXPECT_THAT(result.err,
              HasSubstr("gap: missed 5 records (2 batches) seq 2..3: subscriber queue full\n"));
  // The gap notice explains seq 2..3, so no second, unexplained gap is reported.
  EXPECT_THAT(result.err, Not(HasSubstr("never arrived")));
  EXPECT_THAT(result.err, HasSubstr("tail: 3 records in 2 batches"));
  EXPECT_THAT(result.err, HasSubstr("missed 5 records (2 batches); stream ended by the node"));
  EXPECT_EQ(service_->ClientName(), "ingestctl-tail");
}

TEST_F(TailTest, TextModePrintsReadableLinesAndSendsTheName) {
  Serve([](grpc::ServerContext*, Writer* writer) {
    writer->Write(Batch(7, 1, 0));
    return grpc::Status::OK;
  });
  TailOptions options = Options();
  options.client_name = "probe-1";
  TailResult result = Tail(options);
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  ASSERT_THAT(result.out_lines, SizeIs(1));
  EXPECT_EQ(result.out_lines[0], "2023-11-14T22:13:20.000000Z node-a #7 10.0.0.5:40000 r0:1|c");
  EXPECT_EQ(service_->ClientName(), "probe-1");
}

TEST_F(TailTest, StopsAfterMaxRecords) {
  Serve([](grpc::ServerContext* context, Writer* writer) {
    return Endless(context, writer, absl::Milliseconds(1));
  });
  TailOptions options = Options();
  options.max_records = 25;
  TailResult result = Tail(options);
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  ASSERT_THAT(result.out_lines, SizeIs(25));
  EXPECT_THAT(result.out_lines[24], HasSubstr(" r24:1|c"));
  EXPECT_THAT(result.err, HasSubstr("tail: 25 records in 3 batches"));
  EXPECT_THAT(result.err, HasSubstr("stopped: --max-records reached"));
}

TEST_F(TailTest, SamplePrintsEveryNthRecordButCountsAll) {
  Serve([](grpc::ServerContext* context, Writer* writer) {
    return Endless(context, writer, absl::Milliseconds(1));
  });
  TailOptions options = Options();
  options.sample = 10;
  options.max_records = 25;
  TailResult result = Tail(options);
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  ASSERT_THAT(result.out_lines, SizeIs(3));
  EXPECT_THAT(result.out_lines[0], HasSubstr(" r0:1|c"));
  EXPECT_THAT(result.out_lines[1], HasSubstr(" r10:1|c"));
  EXPECT_THAT(result.out_lines[2], HasSubstr(" r20:1|c"));
  EXPECT_THAT(result.err, HasSubstr("tail: 25 records in 3 batches"));
  EXPECT_THAT(result.err, HasSubstr("printed 3,"));
}

TEST_F(TailTest, StopsAfterDurationAndWritesRateLines) {
  Serve([](grpc::ServerContext* context, Writer* writer) {
    return Endless(context, writer, absl::Milliseconds(20));
  });
  TailOptions options = Options();
  options.duration = absl::Milliseconds(350);
  absl::Time start = absl::Now();
  TailResult result = Tail(options);
  absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_GE(elapsed, absl::Milliseconds(350));
  EXPECT_LT(elapsed, absl::Seconds(5));
  EXPECT_FALSE(result.out_lines.empty());
  EXPECT_THAT(result.err, AllOf(HasSubstr(" records/s, "), HasSubstr(" total, "),
                                HasSubstr(" batches/s, missed 0\n")));
  EXPECT_THAT(result.err, HasSubstr("stopped: --duration reached"));
}

TEST_F(TailTest, InterruptCancelsTheCallAndSummarizes) {
  Serve([](grpc::ServerContext* context, Writer* writer) {
    return Endless(context, writer, absl::Milliseconds(10));
  });
  std::atomic<bool> interrupted{false};
  std::thread ctrl_c([&] {
    absl::SleepFor(absl::Milliseconds(200));
    interrupted.store(true);
  });
  TailResult result = Tail(Options(), &interrupted);
  ctrl_c.join();
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_FALSE(result.out_lines.empty());
  EXPECT_THAT(result.err, HasSubstr("stopped: interrupted"));
}

TEST_F(TailTest, StreamErrorIsAFailure) {
  Serve([](grpc::ServerContext*, Writer* writer) {
    writer->Write(Batch(1, 1, 0));
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "token required");
  });
  TailResult result = Tail(Options());
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_THAT(result.out_lines, SizeIs(1));
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("ingestctl tail: stream from ", address_,
                                                 " failed: PERMISSION_DENIED: token required")));
}

TEST_F(TailTest, ReportsBatchesMissingWithoutANotice) {
  Serve([](grpc::ServerContext*, Writer* writer) {
    writer->Write(Batch(1, 1, 0));
    writer->Write(Batch(2, 1, 1));
    writer->Write(Batch(5, 1, 2));
    writer->Write(Batch(5, 1, 3));
    return grpc::Status::OK;
  });
  TailResult result = Tail(Options());
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  EXPECT_THAT(result.err, HasSubstr("gap: batches seq 3..4 never arrived and no notice said why"));
  // The client library never passes a batch on twice; tail says it saw one.
  EXPECT_THAT(result.err, HasSubstr("tail: 1 duplicate batch(es) received and skipped"));
  EXPECT_THAT(result.out_lines, SizeIs(3));
  EXPECT_THAT(result.err, HasSubstr("missed 0 records (2 batches)"));
}

TEST_F(TailTest, MalformedBatchIsSkippedAndReported) {
  Serve([](grpc::ServerContext*, Writer* writer) {
    v1::SubscribeResponse bad = Batch(1, 2, 0);
    bad.mutable_batch()->mutable_statsd()->add_value(3);
    writer->Write(bad);
    writer->Write(Batch(2, 1, 5));
    return grpc::Status::OK;
  });
  TailResult result = Tail(Options());
  EXPECT_EQ(result.exit_code, kExitOk) << result.err;
  ASSERT_THAT(result.out_lines, SizeIs(1));
  EXPECT_THAT(result.out_lines[0], HasSubstr(" r5:1|c"));
  EXPECT_THAT(result.err, HasSubstr("malformed batch from node-a epoch 1 seq 1, skipped: "
                                    "statsd.value has 3 entries for 2 records"));
  EXPECT_THAT(result.err, HasSubstr("1 malformed batches skipped"));
}

// A port on which nothing listens: bound, read back, and released.
int UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return -1;
  }
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

TEST_F(TailTest, CannotConnectIsAFailureNamingTheAddress) {
  int port = UnusedPort();
  ASSERT_GT(port, 0);
  TailOptions options;
  options.address = absl::StrCat("127.0.0.1:", port);
  options.connect_timeout = absl::Milliseconds(300);
  absl::Time start = absl::Now();
  TailResult result = Tail(options);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(result.exit_code, kExitFailure);
  EXPECT_THAT(result.out_lines, SizeIs(0));
  EXPECT_THAT(result.err, HasSubstr(absl::StrCat("ingestctl tail: cannot connect to 127.0.0.1:",
                                                 port, " within 300ms")));
}

TEST_F(TailTest, BadShardFromOrTokenFileAreUsageErrors) {
  for (auto [shard, from, token] :
       {std::tuple<std::string, std::string, std::string>{"3/3", "latest", ""},
        {"", "yesterday", ""},
        {"", "latest", "/nonexistent/token"}}) {
    TailOptions options;
    options.address = "127.0.0.1:1";
    options.shard = shard;
    options.from = from;
    options.token_file = token;
    TailResult result = Tail(options);
    EXPECT_EQ(result.exit_code, kExitUsage) << shard << from << token;
    EXPECT_THAT(result.err, HasSubstr("ingestctl tail: --")) << result.err;
  }
}

TEST_F(TailTest, EmptyAddressIsAUsageError) {
  TailResult result = Tail(TailOptions());
  EXPECT_EQ(result.exit_code, kExitUsage);
  EXPECT_THAT(result.err, HasSubstr("ADDRESS"));
}

TEST(TailCommandLineTest, ParsesOptionsAndSetsTheAction) {
  CLI::App app;
  CommandAction action;
  AddTailCommand(app, &action);
  app.parse(
      "tail 127.0.0.1:50051 --json --sample 5 --max-records 10 --duration 2.5 "
      "--name me --follow --prefix api. --prefix db. --source 10.0.0.0/8 --shard 1/3 "
      "--from 7:42 --tls-ca ca.pem --tls-cert c.pem --tls-key k.pem --tls-server-name n "
      "--token-file t");
  EXPECT_TRUE(static_cast<bool>(action));
}

TEST(TailCommandLineTest, RejectsBadOptions) {
  {
    CLI::App app;
    CommandAction action;
    AddTailCommand(app, &action);
    EXPECT_THROW(app.parse("tail 127.0.0.1:1 --sample 0"), CLI::ValidationError);
    EXPECT_FALSE(static_cast<bool>(action));
  }
  {
    CLI::App app;
    CommandAction action;
    AddTailCommand(app, &action);
    EXPECT_THROW(app.parse("tail --json"), CLI::RequiredError);
  }
  {
    CLI::App app;
    CommandAction action;
    AddTailCommand(app, &action);
    EXPECT_THROW(app.parse("tail 127.0.0.1:1 --duration -1"), CLI::ParseError);
  }
  {
    CLI::App app;
    CommandAction action;
    AddTailCommand(app, &action);
    EXPECT_THROW(app.parse("tail 127.0.0.1:1 --max-records -5"), CLI::ParseError);
  }
}

}  // namespace
}  // namespace firehose::ctl
