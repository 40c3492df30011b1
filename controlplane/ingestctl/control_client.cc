// Control stubs on unix sockets; see control_client.h.
#include "controlplane/ingestctl/control_client.h"

#include "absl/strings/match.h"

namespace firehose::ctl {

std::unique_ptr<firehose::v1::Control::Stub> ControlStub(const std::string& socket) {
  const std::string target = absl::StartsWith(socket, "unix:") ? socket : "unix:" + socket;
  return firehose::v1::Control::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
}

void SetTimeout(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

}  // namespace firehose::ctl
