// How ingestctl's control-plane commands (status, failover, drain) reach a node's
// controld: a Control stub on its unix socket, and per-call deadlines.
#ifndef FIREHOSE_CONTROLPLANE_INGESTCTL_CONTROL_CLIENT_H_
#define FIREHOSE_CONTROLPLANE_INGESTCTL_CONTROL_CLIENT_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "proto/firehose/v1/control.grpc.pb.h"

namespace firehose::ctl {

// `socket` is a path ("/run/firehose/controld.sock") or already "unix:PATH".
std::unique_ptr<firehose::v1::Control::Stub> ControlStub(const std::string& socket);

// Sets `context`'s deadline `timeout` from now.
void SetTimeout(grpc::ClientContext* context, absl::Duration timeout);

}  // namespace firehose::ctl

#endif  // FIREHOSE_CONTROLPLANE_INGESTCTL_CONTROL_CLIENT_H_
