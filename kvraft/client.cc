// The KV clerk (Go's kvraft/client.go); see client.h.
#include "kvraft/client.h"

#include <chrono>
#include <utility>

#include "labrpc/runtime.h"
#include "labrpc/trace.h"

namespace kvraft {

// SOLUTION BEGIN
namespace {
// How long a clerk pauses after every server in turn has failed it, e.g.
// while an election is under way.
constexpr labrpc::Duration kRoundPause = std::chrono::milliseconds(20);
}  // namespace
// SOLUTION END

int64_t RandomClientId() {
  return static_cast<int64_t>(labrpc::RandUint64() >> 2);
}

Clerk::Clerk(std::vector<std::shared_ptr<labrpc::ClientEnd>> servers)
    : servers_(std::move(servers)) {
  // SOLUTION BEGIN
  client_id_ = RandomClientId();
  // Start at a random server so that clerks spread their first attempts.
  leader_ =
      static_cast<int>(labrpc::RandInt(static_cast<int64_t>(servers_.size())));
  // SOLUTION END
  //@ // You'll have to add code here (3A).
}

// SOLUTION BEGIN
void Clerk::NextServer() {
  leader_ = (leader_ + 1) % static_cast<int>(servers_.size());
  if (++failures_ % static_cast<int>(servers_.size()) == 0) {
    labrpc::Sleep(kRoundPause);
  }
}
// SOLUTION END

std::string Clerk::Get(const std::string& key) {
  // SOLUTION BEGIN
  GetArgs args;
  args.key = key;
  args.client_id = client_id_;
  args.seq = ++seq_;
  for (;;) {
    GetReply reply;
    bool ok = servers_[leader_]->Call("KVServer.Get", args, &reply);
    if (ok && (reply.err == Err::kOK || reply.err == Err::kErrNoKey)) {
      failures_ = 0;
      return reply.err == Err::kOK ? reply.value : "";
    }
    LAB_TRACE("client", -1, "C%lld Get %s seq %lld: %s from end %d",
              static_cast<long long>(client_id_ % 10000), key.c_str(),
              static_cast<long long>(args.seq),
              ok ? ErrName(reply.err) : "no reply", leader_);
    NextServer();
  }
  // SOLUTION END
  //@ // You will have to modify this function (3A).
  //@ (void)key;
  //@ return "";
}

void Clerk::PutAppend(const std::string& key, const std::string& value,
                      const std::string& op) {
  // SOLUTION BEGIN
  PutAppendArgs args;
  args.key = key;
  args.value = value;
  args.op = op;
  args.client_id = client_id_;
  args.seq = ++seq_;
  for (;;) {
    PutAppendReply reply;
    bool ok = servers_[leader_]->Call("KVServer.PutAppend", args, &reply);
    if (ok && reply.err == Err::kOK) {
      failures_ = 0;
      return;
    }
    LAB_TRACE("client", -1, "C%lld %s %s seq %lld: %s from end %d",
              static_cast<long long>(client_id_ % 10000), op.c_str(),
              key.c_str(), static_cast<long long>(args.seq),
              ok ? ErrName(reply.err) : "no reply", leader_);
    NextServer();
  }
  // SOLUTION END
  //@ // You will have to modify this function (3A).
  //@ (void)key;
  //@ (void)value;
  //@ (void)op;
}

void Clerk::Put(const std::string& key, const std::string& value) {
  PutAppend(key, value, "Put");
}

void Clerk::Append(const std::string& key, const std::string& value) {
  PutAppend(key, value, "Append");
}

}  // namespace kvraft
