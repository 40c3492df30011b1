// The table of wire formats ingestd can decode. Adding a format means adding a
// decoder class and one entry here.
//
// "netflow" takes NetFlow v5, v9 and IPFIX on one port (told apart per packet by the
// version field); "influx" is line protocol with nanosecond timestamps, "influx_us",
// "influx_ms" and "influx_s" the same with coarser timestamp precision.
#include "node/decode/decoder_registry.h"

#include <array>
#include <string>

#include "absl/status/status.h"
#include "node/decode/influx_decoder.h"
#include "node/decode/netflow_decoder.h"
#include "node/decode/statsd_decoder.h"

namespace firehose::decode {
namespace {

constexpr std::array<std::string_view, 6> kFormats = {
    "statsd", "netflow", "influx", "influx_us", "influx_ms", "influx_s"};

}  // namespace

std::span<const std::string_view> KnownDecoderFormats() { return kFormats; }

absl::StatusOr<std::unique_ptr<Decoder>> MakeDecoder(std::string_view format) {
  if (format == "statsd") return std::make_unique<StatsdDecoder>();
  if (format == "netflow") return std::make_unique<NetflowDecoder>();
  if (format == "influx") return std::make_unique<InfluxDecoder>(InfluxPrecision::kNanoseconds);
  if (format == "influx_us") {
    return std::make_unique<InfluxDecoder>(InfluxPrecision::kMicroseconds);
  }
  if (format == "influx_ms") {
    return std::make_unique<InfluxDecoder>(InfluxPrecision::kMilliseconds);
  }
  if (format == "influx_s") return std::make_unique<InfluxDecoder>(InfluxPrecision::kSeconds);
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
