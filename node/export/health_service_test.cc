// HealthService on a real server with a real client: Check and Watch answer what the
// owner sets, through Server::GetHealthCheckService() as with gRPC's default service,
// and the server has none of the callback API's polling threads.
#include "node/export/health_service.h"

#include <dirent.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace firehose::exporter {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// A server with a HealthService and nothing else.
struct HealthServer {
  HealthServer() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    AddHealthService(builder);
    server = builder.BuildAndStart();
    stub = Health::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }
  ~HealthServer() { server->Shutdown(std::chrono::system_clock::now()); }

  // The status Check gives, or -1 with the error code in `code`.
  int Check(const std::string& service, grpc::StatusCode* code = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    const grpc::Status status = stub->Check(&context, request, &response);
    if (code != nullptr) *code = status.error_code();
    return status.ok() ? response.status() : -1;
  }

  int port = 0;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<Health::Stub> stub;
};

TEST(HealthServiceTest, CheckAnswersWhatTheOwnerSets) {
  HealthServer h;
  grpc::HealthCheckServiceInterface* health = h.server->GetHealthCheckService();
  ASSERT_NE(health, nullptr);
  EXPECT_EQ(h.Check(""), HealthCheckResponse::SERVING);  // as gRPC's default
  grpc::StatusCode code;
  EXPECT_EQ(h.Check("firehose.v1.Ingest", &code), -1);
  EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND);

  health->SetServingStatus("firehose.v1.Ingest", true);
  EXPECT_EQ(h.Check("firehose.v1.Ingest"), HealthCheckResponse::SERVING);
  health->SetServingStatus(false);  // every service
  EXPECT_EQ(h.Check(""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(h.Check("firehose.v1.Ingest"), HealthCheckResponse::NOT_SERVING);
  health->SetServingStatus(true);
  EXPECT_EQ(h.Check("firehose.v1.Ingest"), HealthCheckResponse::SERVING);
  health->Shutdown();  // NOT_SERVING for good
  health->SetServingStatus(true);
  EXPECT_EQ(h.Check(""), HealthCheckResponse::NOT_SERVING);
}

TEST(HealthServiceTest, WatchSendsTheStatusThenEachChange) {
  HealthServer h;
  grpc::HealthCheckServiceInterface* health = h.server->GetHealthCheckService();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  HealthCheckRequest request;
  request.set_service("svc");
  auto reader = h.stub->Watch(&context, request);
  HealthCheckResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVICE_UNKNOWN);
  health->SetServingStatus("svc", true);
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  health->SetServingStatus("other", false);  // no change for "svc": nothing sent
  health->SetServingStatus("svc", false);
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  health->Shutdown();  // ends the stream
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_TRUE(reader->Finish().ok());
}

TEST(HealthServiceTest, AWatchingClientThatLeavesFreesItsHandler) {
  HealthServer h;
  {
    grpc::ClientContext context;
    HealthCheckRequest request;
    auto reader = h.stub->Watch(&context, request);
    HealthCheckResponse response;
    ASSERT_TRUE(reader->Read(&response));
    context.TryCancel();
  }
  // The handler notices within its poll; the server then shuts down at once.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto start = std::chrono::steady_clock::now();
  h.server->Shutdown();  // no deadline: it waits for every handler
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// The reason for this service: gRPC's default health service (callback API) gives the
// server "nexting_thread" pollers; this one leaves the process without any.
TEST(HealthServiceTest, TheServerStartsNoCallbackPollers) {
  HealthServer h;
  EXPECT_EQ(h.Check(""), HealthCheckResponse::SERVING);
  int nexting = 0;
  DIR* tasks = opendir("/proc/self/task");
  ASSERT_NE(tasks, nullptr);
  while (dirent* entry = readdir(tasks)) {
    std::ifstream comm(absl::StrCat("/proc/self/task/", entry->d_name, "/comm"));
    std::string name;
    if (std::getline(comm, name) && name == "nexting_thread") ++nexting;
  }
  closedir(tasks);
  EXPECT_EQ(nexting, 0);
}

}  // namespace
}  // namespace firehose::exporter
