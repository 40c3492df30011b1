// A real etcd server for tests: one member on 127.0.0.1 with ports picked free, its
// data directory under $TEST_TMPDIR, its log in a file beside it, killed when the
// object goes away. Debian's etcd-server provides /usr/bin/etcd.
#ifndef FIREHOSE_TESTS_CONTROLPLANE_ETCD_SERVER_H_
#define FIREHOSE_TESTS_CONTROLPLANE_ETCD_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/support/subprocess.h"

namespace firehose::testing {

class EtcdServer {
 public:
  // Starts etcd named `name` and waits until it answers gRPC.
  static absl::StatusOr<std::unique_ptr<EtcdServer>> Start(const std::string& name);

  // "127.0.0.1:PORT", the client endpoint as a gRPC target.
  const std::string& target() const { return target_; }
  // SIGSTOP / SIGCONT: etcd stops answering without closing connections, the way a
  // network partition looks to a client.
  void Freeze();
  void Thaw();

 private:
  EtcdServer(Subprocess process, std::string target)
      : process_(std::move(process)), target_(std::move(target)) {}

  Subprocess process_;
  std::string target_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int PickFreePort();

}  // namespace firehose::testing

#endif  // FIREHOSE_TESTS_CONTROLPLANE_ETCD_SERVER_H_
