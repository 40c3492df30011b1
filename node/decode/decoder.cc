// Out-of-line anchor for Decoder's vtable, so it is emitted once rather than in every
// translation unit that includes decoder.h.
#include "node/decode/decoder.h"

namespace firehose::decode {

Decoder::~Decoder() = default;

}  // namespace firehose::decode
