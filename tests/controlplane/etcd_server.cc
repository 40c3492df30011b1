// Real etcd for tests; see etcd_server.h.
#include "tests/controlplane/etcd_server.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace firehose::testing {

int PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

absl::StatusOr<std::unique_ptr<EtcdServer>> EtcdServer::Start(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/etcd-", name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const int client_port = PickFreePort();
  const int peer_port = PickFreePort();
  const std::string client = absl::StrCat("http://127.0.0.1:", client_port);
  const std::string peer = absl::StrCat("http://127.0.0.1:", peer_port);
  // Output to a file: etcd logs a lot, and a full stdout pipe would stall it.
  const std::string command = absl::StrCat(
      "exec etcd --name ", name, " --data-dir ", dir, "/data --listen-client-urls ", client,
      " --advertise-client-urls ", client, " --listen-peer-urls ", peer,
      " --initial-advertise-peer-urls ", peer, " --initial-cluster ", name, "=", peer,
      " --logger zap --log-outputs stderr > ", dir, "/etcd.log 2>&1");
  absl::StatusOr<Subprocess> process = Subprocess::Start({"/bin/sh", "-c", command});
  if (!process.ok()) return process.status();
  std::unique_ptr<EtcdServer> server(
      new EtcdServer(*std::move(process), absl::StrCat("127.0.0.1:", client_port)));

  auto stub = etcdserverpb::Maintenance::NewStub(
      grpc::CreateChannel(server->target_, grpc::InsecureChannelCredentials()));
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Milliseconds(500)));
    etcdserverpb::StatusResponse status;
    if (stub->Status(&context, etcdserverpb::StatusRequest(), &status).ok() &&
        status.leader() != 0) {
      return server;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("etcd did not start; see ", dir, "/etcd.log"));
}

void EtcdServer::Freeze() { process_.Signal(SIGSTOP); }
void EtcdServer::Thaw() { process_.Signal(SIGCONT); }

}  // namespace firehose::testing
