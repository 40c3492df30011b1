// Parse-and-reset arena for subscribe responses; see the header.
#include "client/response_arena.h"

namespace firehose::client {

google::protobuf::ArenaOptions ResponseArena::Options(char* first_block, size_t size) {
  google::protobuf::ArenaOptions options;
  options.initial_block = first_block;
  options.initial_block_size = size;
  // Beyond the first block (a batch larger than the default limits), grow in large
  // blocks rather than protobuf's default 8 KiB ones.
  options.start_block_size = size_t{64} << 10;
  options.max_block_size = size_t{1} << 20;
  return options;
}

ResponseArena::ResponseArena(size_t first_block_bytes)
    : first_block_(new char[first_block_bytes]),
      arena_(Options(first_block_.get(), first_block_bytes)) {}

v1::SubscribeResponse* ResponseArena::Next() {
  arena_.Reset();
  return google::protobuf::Arena::CreateMessage<v1::SubscribeResponse>(&arena_);
}

}  // namespace firehose::client
