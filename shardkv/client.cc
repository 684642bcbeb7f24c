// The sharded KV clerk (Go's shardkv/client.go); see client.h.
#include "shardkv/client.h"

#include <chrono>
#include <utility>

#include "labrpc/runtime.h"
#include "labrpc/trace.h"

namespace shardkv {

namespace {
// How long the clerk pauses before asking the controller for a new
// configuration (the original's 100 ms).
constexpr labrpc::Duration kRefreshPause = std::chrono::milliseconds(100);
}  // namespace

Clerk::Clerk(std::vector<std::shared_ptr<labrpc::ClientEnd>> ctrlers,
             MakeEndFn make_end)
    : sm_(std::move(ctrlers)), make_end_(std::move(make_end)) {
  // SOLUTION BEGIN
  client_id_ = shardctrler::RandomClientId();
  // SOLUTION END
  //@ // You'll have to add code here (4B).
}

// SOLUTION BEGIN
std::shared_ptr<labrpc::ClientEnd> Clerk::EndFor(
    const std::string& server_name) {
  auto it = ends_.find(server_name);
  if (it != ends_.end()) return it->second;
  std::shared_ptr<labrpc::ClientEnd> end = make_end_(server_name);
  ends_[server_name] = end;
  return end;
}

template <class Args, class Reply>
Reply Clerk::Send(const std::string& method, const std::string& key,
                  const Args& args) {
  const int shard = Key2Shard(key);
  for (;;) {
    const int gid = config_.shards[shard];
    auto group = config_.groups.find(gid);
    if (group != config_.groups.end() && !group->second.empty()) {
      const std::vector<std::string>& servers = group->second;
      size_t& leader = leader_[gid];
      for (size_t tried = 0; tried < servers.size(); tried++) {
        const size_t si = (leader + tried) % servers.size();
        Reply reply;
        const bool ok = EndFor(servers[si])->Call(method, args, &reply);
        if (ok && (reply.err == Err::kOK || reply.err == Err::kErrNoKey)) {
          leader = si;
          return reply;
        }
        LAB_TRACE("client", -1, "C%lld %s %s seq %lld: %s from %s",
                  static_cast<long long>(client_id_ % 10000), method.c_str(),
                  key.c_str(), static_cast<long long>(args.seq),
                  ok ? ErrName(reply.err) : "no reply", servers[si].c_str());
        if (ok && reply.err == Err::kErrWrongGroup) break;
      }
    }
    // No server of the group could serve it: ask for the latest
    // configuration, which may name another group.
    labrpc::Sleep(kRefreshPause);
    config_ = sm_.Query(-1);
  }
}
// SOLUTION END

std::string Clerk::Get(const std::string& key) {
  // SOLUTION BEGIN
  GetArgs args;
  args.key = key;
  args.client_id = client_id_;
  args.seq = ++seq_;
  GetReply reply = Send<GetArgs, GetReply>("ShardKV.Get", key, args);
  return reply.err == Err::kOK ? reply.value : "";
  // SOLUTION END
  //@ // The skeleton's loop: find the group, try its servers, refresh the
  //@ // configuration. You will have to add duplicate detection.
  //@ for (;;) {
  //@   const int gid = config_.shards[Key2Shard(key)];
  //@   auto group = config_.groups.find(gid);
  //@   if (group != config_.groups.end()) {
  //@     // try each server for the shard.
  //@     for (const std::string& name : group->second) {
  //@       GetArgs args;
  //@       args.key = key;
  //@       GetReply reply;
  //@       bool ok = make_end_(name)->Call("ShardKV.Get", args, &reply);
  //@       if (ok && (reply.err == Err::kOK || reply.err == Err::kErrNoKey)) {
  //@         return reply.value;
  //@       }
  //@       if (ok && reply.err == Err::kErrWrongGroup) break;
  //@       // ... not ok, or ErrWrongLeader
  //@     }
  //@   }
  //@   labrpc::Sleep(kRefreshPause);
  //@   // ask controller for the latest configuration.
  //@   config_ = sm_.Query(-1);
  //@ }
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
  Send<PutAppendArgs, PutAppendReply>("ShardKV.PutAppend", key, args);
  // SOLUTION END
  //@ // As Get. You will have to add duplicate detection.
  //@ for (;;) {
  //@   const int gid = config_.shards[Key2Shard(key)];
  //@   auto group = config_.groups.find(gid);
  //@   if (group != config_.groups.end()) {
  //@     for (const std::string& name : group->second) {
  //@       PutAppendArgs args;
  //@       args.key = key;
  //@       args.value = value;
  //@       args.op = op;
  //@       PutAppendReply reply;
  //@       bool ok = make_end_(name)->Call("ShardKV.PutAppend", args, &reply);
  //@       if (ok && reply.err == Err::kOK) return;
  //@       if (ok && reply.err == Err::kErrWrongGroup) break;
  //@       // ... not ok, or ErrWrongLeader
  //@     }
  //@   }
  //@   labrpc::Sleep(kRefreshPause);
  //@   // ask controller for the latest configuration.
  //@   config_ = sm_.Query(-1);
  //@ }
}

void Clerk::Put(const std::string& key, const std::string& value) {
  PutAppend(key, value, "Put");
}

void Clerk::Append(const std::string& key, const std::string& value) {
  PutAppend(key, value, "Append");
}

}  // namespace shardkv
