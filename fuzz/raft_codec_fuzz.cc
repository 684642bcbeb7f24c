// Fuzz target: labrpc's codec decoding Raft's RPC arguments and replies
// (raft/rpc.h), the bytes a server accepts from the network. Input: one
// byte choosing the type, then the encoded bytes. Decoding must throw
// labrpc::DecodeError or succeed (run with -malloc_limit_mb to catch an
// allocation sized from a claimed length); a decoded value must encode,
// and decode again to a value with the same encoding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "labrpc/codec.h"
#include "raft/rpc.h"

namespace {

template <class T>
void Check(std::string_view bytes) {
  T v;
  try {
    labrpc::Decode(bytes, &v);
  } catch (const labrpc::DecodeError&) {
    return;
  }
  const labrpc::Bytes once = labrpc::Encode(v);
  const T again = labrpc::Decode<T>(once);  // must not throw
  FUZZ_CHECK(labrpc::Encode(again) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1),
                               size - 1);
  switch (data[0] % 6) {
    case 0:
      Check<raft::RequestVoteArgs>(bytes);
      break;
    case 1:
      Check<raft::RequestVoteReply>(bytes);
      break;
    case 2:
      Check<raft::AppendEntriesArgs>(bytes);
      break;
    case 3:
      Check<raft::AppendEntriesReply>(bytes);
      break;
    case 4:
      Check<raft::InstallSnapshotArgs>(bytes);
      break;
    case 5:
      Check<raft::InstallSnapshotReply>(bytes);
      break;
  }
  return 0;
}
