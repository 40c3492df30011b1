// The table of wire formats ingestd can decode. Adding a format means adding a
// decoder class and one entry here.
#include "node/decode/decoder_registry.h"

#include <array>
#include <string>

#include "absl/status/status.h"
#include "node/decode/statsd_decoder.h"

namespace firehose::decode {
namespace {

constexpr std::array<std::string_view, 1> kFormats = {"statsd"};

}  // namespace

std::span<const std::string_view> KnownDecoderFormats() { return kFormats; }

absl::StatusOr<std::unique_ptr<Decoder>> MakeDecoder(std::string_view format) {
  if (format == "statsd") return std::make_unique<StatsdDecoder>();
  // Debian's abseil has its own string_view type, so build the message with
  // std::string rather than StrCat/StrJoin over std::string_view.
  std::string message = "unknown decoder format \"";
  message.append(format);
  message += "\"; known formats: ";
  for (size_t i = 0; i < kFormats.size(); ++i) {
    if (i > 0) message += ", ";
    message.append(kFormats[i]);
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace firehose::decode
