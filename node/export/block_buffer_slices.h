// A BlockBuffer as a gRPC message without copying it: one grpc::Slice per block, each
// keeping the buffer's owner (the published batch) alive until gRPC releases it, so the
// blocks go back to their pool only when the ring and every stream are done with them.
#ifndef FIREHOSE_NODE_EXPORT_BLOCK_BUFFER_SLICES_H_
#define FIREHOSE_NODE_EXPORT_BLOCK_BUFFER_SLICES_H_

#include <memory>

#include "absl/container/inlined_vector.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "node/export/block_buffer.h"

namespace firehose::exporter {

// `bytes` must belong to (live as long as) `owner`.
template <typename Owner>
grpc::ByteBuffer SlicesOf(const BlockBuffer& bytes, const std::shared_ptr<Owner>& owner) {
  absl::InlinedVector<grpc::Slice, 12> slices;
  for (size_t i = 0; i < bytes.block_count(); ++i) {
    const std::string_view block = bytes.block(i);
    // One reference per slice: gRPC may release them separately (frame by frame).
    auto* keep = new std::shared_ptr<Owner>(owner);
    slices.emplace_back(
        const_cast<char*>(block.data()), block.size(),
        [](void* p) { delete static_cast<std::shared_ptr<Owner>*>(p); }, keep);
  }
  if (slices.empty()) slices.emplace_back();  // a valid, empty message
  return grpc::ByteBuffer(slices.data(), slices.size());
}

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_BLOCK_BUFFER_SLICES_H_
