// A BlockBuffer as a gRPC message without copying it: one grpc::Slice per block, which
// together keep the buffer's owner (the published batch) alive until gRPC releases the
// last of them, so the blocks go back to their pool only when the ring and every stream
// are done with them.
#ifndef FIREHOSE_NODE_EXPORT_BLOCK_BUFFER_SLICES_H_
#define FIREHOSE_NODE_EXPORT_BLOCK_BUFFER_SLICES_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "node/export/block_buffer.h"

namespace firehose::exporter {

// `bytes` must belong to (live as long as) `owner`.
template <typename Owner>
grpc::ByteBuffer SlicesOf(const BlockBuffer& bytes, const std::shared_ptr<Owner>& owner) {
  if (bytes.block_count() == 0) {
    const grpc::Slice empty;  // a valid, empty message
    return grpc::ByteBuffer(&empty, 1);
  }
  // One reference for all the slices (one allocation per message, not per block): gRPC
  // may release them separately, frame by frame, and the last one drops it.
  struct Holder {
    std::shared_ptr<Owner> owner;
    std::atomic<size_t> slices;
  };
  auto* holder = new Holder{owner, bytes.block_count()};
  const auto release = [](void* p) {
    auto* h = static_cast<Holder*>(p);
    if (h->slices.fetch_sub(1, std::memory_order_acq_rel) == 1) delete h;
  };
  absl::InlinedVector<grpc::Slice, 64> slices;
  for (size_t i = 0; i < bytes.block_count(); ++i) {
    const std::string_view block = bytes.block(i);
    slices.emplace_back(const_cast<char*>(block.data()), block.size(), +release, holder);
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

}  // namespace firehose::exporter

#endif  // FIREHOSE_NODE_EXPORT_BLOCK_BUFFER_SLICES_H_
