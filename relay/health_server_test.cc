// The health-only server against real gRPC clients: it answers grpc.health.v1.Health
// with the statuses it was given, and refuses everything else — Subscribe and server
// reflection — as UNIMPLEMENTED, while a Subscribe server started in the same process
// (which turns reflection on process-wide) still offers reflection.
#include "relay/health_server.h"

#include <chrono>
#include <memory>
#include <string>

#include "controlplane/controld/grpc_health_v1.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/client_unary_call.h"
#include "gtest/gtest.h"
#include "node/export/grpc_server.h"
#include "proto/firehose/v1/ingest.grpc.pb.h"

namespace firehose::relay {
namespace {

using grpc::health::v1::HealthCheckResponse;

std::shared_ptr<grpc::Channel> Plaintext(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> WithDeadline() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  return context;
}

// Check(service): the status, or UNKNOWN when the call itself failed.
HealthCheckResponse::ServingStatus Check(const std::string& address, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(Plaintext(address));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  auto context = WithDeadline();
  if (!stub->Check(context.get(), request, &response).ok()) return HealthCheckResponse::UNKNOWN;
  return response.status();
}

grpc::StatusCode SubscribeCode(const std::string& address) {
  auto stub = v1::Ingest::NewStub(Plaintext(address));
  auto context = WithDeadline();
  v1::SubscribeRequest request;
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
      stub->Subscribe(context.get(), request);
  v1::SubscribeResponse response;
  while (reader->Read(&response)) {
  }
  return reader->Finish().error_code();
}

// One ServerReflectionRequest{list_services: ""} to the reflection service's (streaming)
// method: a server with reflection answers it, one without refuses the method.
grpc::StatusCode ReflectionCode(const std::string& address) {
  auto context = WithDeadline();
  grpc::Slice list_services("\x3a\x00", 2);  // field 7, length-delimited, empty
  grpc::ByteBuffer request(&list_services, 1);
  grpc::ByteBuffer response;
  return grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
             Plaintext(address).get(),
             grpc::internal::RpcMethod(
                 "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                 grpc::internal::RpcMethod::NORMAL_RPC),
             context.get(), request, &response)
      .error_code();
}

TEST(HealthServerTest, ServesTheHealthStatusesItIsGiven) {
  absl::StatusOr<exporter::StartedServer> health = StartHealthServer("127.0.0.1:0");
  ASSERT_TRUE(health.ok()) << health.status();
  const std::string address = health->address;
  EXPECT_NE(address, "127.0.0.1:0");
  grpc::HealthCheckServiceInterface* service = health->server->GetHealthCheckService();
  ASSERT_NE(service, nullptr);
  // Nothing said yet: not serving, so a probe never passes before the owner decides.
  EXPECT_EQ(Check(address, ""), HealthCheckResponse::NOT_SERVING);

  service->SetServingStatus("", true);
  service->SetServingStatus("firehose.v1.Ingest", false);
  EXPECT_EQ(Check(address, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check(address, "firehose.v1.Ingest"), HealthCheckResponse::NOT_SERVING);
  service->SetServingStatus("firehose.v1.Ingest", true);
  EXPECT_EQ(Check(address, "firehose.v1.Ingest"), HealthCheckResponse::SERVING);
  health->server->Shutdown(std::chrono::system_clock::now());
}

TEST(HealthServerTest, RefusesSubscribeAndReflection) {
  // A real Subscribe server first: it turns server reflection on for the whole process.
  exporter::GrpcServerOptions options;
  options.listen = "127.0.0.1:0";
  v1::Ingest::Service unimplemented;  // the server needs a service; which one does not matter
  absl::StatusOr<exporter::StartedServer> main = exporter::StartGrpcServer(options, &unimplemented);
  ASSERT_TRUE(main.ok()) << main.status();
  absl::StatusOr<exporter::StartedServer> health = StartHealthServer("127.0.0.1:0");
  ASSERT_TRUE(health.ok()) << health.status();

  EXPECT_EQ(ReflectionCode(main->address), grpc::StatusCode::OK) << "control: reflection is on";
  EXPECT_EQ(ReflectionCode(health->address), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(SubscribeCode(health->address), grpc::StatusCode::UNIMPLEMENTED);
  health->server->Shutdown(std::chrono::system_clock::now());
  main->server->Shutdown(std::chrono::system_clock::now());
}

TEST(HealthServerTest, ABusyAddressIsAnErrorNamingTheField) {
  absl::StatusOr<exporter::StartedServer> first = StartHealthServer("127.0.0.1:0");
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<exporter::StartedServer> second = StartHealthServer(first->address);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("(health.listen)"), std::string::npos)
      << second.status();
  first->server->Shutdown(std::chrono::system_clock::now());
}

}  // namespace
}  // namespace firehose::relay
