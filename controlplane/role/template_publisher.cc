// Handing the active's templates to controld; see template_publisher.h.
#include "controlplane/role/template_publisher.h"

#include <utility>

#include "grpcpp/grpcpp.h"
#include "proto/firehose/v1/control.grpc.pb.h"
#include "spdlog/spdlog.h"

namespace firehose::role {

TemplatePublisher::TemplatePublisher(std::string socket, std::string node_id, Hooks hooks,
                                     absl::Duration interval)
    : socket_(std::move(socket)),
      node_id_(std::move(node_id)),
      hooks_(std::move(hooks)),
      interval_(interval) {}

TemplatePublisher::~TemplatePublisher() { Stop(); }

void TemplatePublisher::Start() { thread_ = std::thread([this] { Run(); }); }

void TemplatePublisher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void TemplatePublisher::Run() {
  auto stub = firehose::v1::Control::NewStub(
      grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials()));
  bool was_active = false;
  uint64_t published_changes = 0;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_)) return;
    }
    const bool active = hooks_.active();
    const bool promoted = active && !was_active;
    was_active = active;
    const uint64_t changes = hooks_.changes();
    // Nothing learned yet means nothing to share; an empty store would only erase
    // what an earlier active stored.
    if (!active || changes == 0 || (!promoted && changes == published_changes)) continue;
    absl::StatusOr<std::string> templates = hooks_.export_templates();
    if (!templates.ok()) {
      spdlog::warn("templates not shared: {}", std::string(templates.status().message()));
      continue;
    }
    firehose::v1::PublishTemplatesRequest request;
    request.set_node_id(node_id_);
    request.set_templates(*std::move(templates));
    firehose::v1::PublishTemplatesResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    const grpc::Status status = stub->PublishTemplates(&context, request, &response);
    if (!status.ok()) {
      spdlog::warn("templates not shared: controld: {}", status.error_message());
      was_active = false;  // retry as if just promoted
      continue;
    }
    if (response.stored()) {
      published_changes = changes;
      spdlog::info("templates shared through etcd ({} bytes, revision {})",
                   request.templates().size(), response.revision());
    }
  }
}

}  // namespace firehose::role
