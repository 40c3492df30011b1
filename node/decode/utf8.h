// UTF-8 validation for the decoders that put text into a batch. Batch strings are proto3
// `string` fields, and a subscriber's protobuf parser rejects a whole batch that holds
// one string that is not well-formed UTF-8; so a line with such bytes is counted under
// its own reason (bad_encoding) instead of poisoning the batch it would land in.
#ifndef FIREHOSE_NODE_DECODE_UTF8_H_
#define FIREHOSE_NODE_DECODE_UTF8_H_

#include <cstdint>
#include <cstring>
#include <string_view>

namespace firehose::decode {

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF). ASCII, what metrics almost always are, is checked 8 bytes a
// step.
inline bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  while (p < end) {
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, sizeof(word));
      if (word & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p == end) return true;
    const unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int continuation;
    if (c >= 0xC2 && c <= 0xDF) {
      continuation = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      continuation = 2;
    } else if (c >= 0xF0 && c <= 0xF4) {
      continuation = 3;
    } else {
      return false;  // continuation byte first, C0/C1 overlong, or beyond U+10FFFF
    }
    if (end - p < continuation + 1) return false;
    const unsigned second = p[1];
    if ((second & 0xC0) != 0x80) return false;
    if ((c == 0xE0 && second < 0xA0) || (c == 0xED && second > 0x9F) ||
        (c == 0xF0 && second < 0x90) || (c == 0xF4 && second > 0x8F)) {
      return false;  // overlong, surrogate, or beyond U+10FFFF
    }
    for (int k = 2; k <= continuation; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
    }
    p += continuation + 1;
  }
  return true;
}

}  // namespace firehose::decode

#endif  // FIREHOSE_NODE_DECODE_UTF8_H_
