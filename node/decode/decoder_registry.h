// Maps a format name from the config ("statsd", ...) to a new Decoder, so the worker
// set-up code and config validation share one list of known formats.
#ifndef FIREHOSE_NODE_DECODE_DECODER_REGISTRY_H_
#define FIREHOSE_NODE_DECODE_DECODER_REGISTRY_H_

#include <memory>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "node/decode/decoder.h"

namespace firehose::decode {

// Names MakeDecoder accepts, in a stable order.
std::span<const std::string_view> KnownDecoderFormats();

// A fresh decoder for `format` (one per worker thread: counters have one writer), or
// InvalidArgument naming the unknown format and listing the known ones.
absl::StatusOr<std::unique_ptr<Decoder>> MakeDecoder(std::string_view format);

}  // namespace firehose::decode

#endif  // FIREHOSE_NODE_DECODE_DECODER_REGISTRY_H_
