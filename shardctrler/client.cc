// The shard controller's clerk (Go's shardctrler/client.go); see client.h.
#include "shardctrler/client.h"

#include <chrono>
#include <stdexcept>
#include <utility>

#include "labrpc/runtime.h"
#include "labrpc/trace.h"

namespace shardctrler {

namespace {

std::string FormatGids(const std::vector<int>& gids) {
  std::string s = "[";
  for (size_t i = 0; i < gids.size(); i++) {
    if (i > 0) s += ", ";
    s += std::to_string(gids[i]);
  }
  return s + "]";
}

// SOLUTION BEGIN
// How long a clerk pauses after every server in turn has failed it, e.g.
// while an election is under way (the original sleeps 100 ms per round).
constexpr labrpc::Duration kRoundPause = std::chrono::milliseconds(100);
// SOLUTION END

}  // namespace

int64_t RandomClientId() {
  return static_cast<int64_t>(labrpc::RandUint64() >> 2);
}

Clerk::Clerk(std::vector<std::shared_ptr<labrpc::ClientEnd>> servers)
    : servers_(std::move(servers)) {
  // SOLUTION BEGIN
  client_id_ = RandomClientId();
  // SOLUTION END
  //@ // You'll have to add code here (4A).
}

// SOLUTION BEGIN
void Clerk::NextServer() {
  leader_ = (leader_ + 1) % static_cast<int>(servers_.size());
  if (++failures_ % static_cast<int>(servers_.size()) == 0) {
    labrpc::Sleep(kRoundPause);
  }
}

template <class Args, class Reply>
Reply Clerk::Call(const std::string& method, Args args) {
  args.client_id = client_id_;
  args.seq = ++seq_;
  for (;;) {
    Reply reply;
    const bool ok = servers_[leader_]->Call(method, args, &reply);
    if (ok && !reply.wrong_leader &&
        (reply.err == Err::kOK || reply.err == Err::kErrInvalidArgument)) {
      failures_ = 0;
      return reply;
    }
    LAB_TRACE("client", -1, "ctrler C%lld %s seq %lld: %s from end %d",
              static_cast<long long>(client_id_ % 10000), method.c_str(),
              static_cast<long long>(args.seq),
              ok ? ErrName(reply.err) : "no reply", leader_);
    NextServer();
  }
}
// SOLUTION END

Config Clerk::Query(int num) {
  // SOLUTION BEGIN
  QueryArgs args;
  args.num = num;
  return Call<QueryArgs, QueryReply>("ShardCtrler.Query", args).config;
  // SOLUTION END
  //@ // Your code here (4A).
  //@ (void)num;
  //@ return Config{};
}

void Clerk::Join(const std::map<int, std::vector<std::string>>& servers) {
  Err err = Err::kOK;
  // SOLUTION BEGIN
  JoinArgs args;
  args.servers = servers;
  err = Call<JoinArgs, JoinReply>("ShardCtrler.Join", args).err;
  // SOLUTION END
  //@ // Your code here (4A).
  if (err == Err::kErrInvalidArgument) {
    std::vector<int> gids;
    for (const auto& [gid, names] : servers) gids.push_back(gid);
    const bool has_zero = servers.count(0) > 0;
    throw std::invalid_argument(
        "shardctrler: Join of gids " + FormatGids(gids) + " rejected: " +
        (has_zero ? "gid 0 means no group and cannot join"
                  : "a gid is already in the configuration"));
  }
}

void Clerk::Leave(const std::vector<int>& gids) {
  Err err = Err::kOK;
  // SOLUTION BEGIN
  LeaveArgs args;
  args.gids = gids;
  err = Call<LeaveArgs, LeaveReply>("ShardCtrler.Leave", args).err;
  // SOLUTION END
  //@ // Your code here (4A).
  if (err == Err::kErrInvalidArgument) {
    throw std::invalid_argument("shardctrler: Leave of gids " +
                                FormatGids(gids) +
                                " rejected: a gid is not in the configuration");
  }
}

void Clerk::Move(int shard, int gid) {
  Err err = Err::kOK;
  // SOLUTION BEGIN
  MoveArgs args;
  args.shard = shard;
  args.gid = gid;
  err = Call<MoveArgs, MoveReply>("ShardCtrler.Move", args).err;
  // SOLUTION END
  //@ // Your code here (4A).
  if (err == Err::kErrInvalidArgument) {
    if (shard < 0 || shard >= kNShards) {
      throw std::invalid_argument(
          "shardctrler: Move of shard " + std::to_string(shard) +
          " rejected: shards are 0.." + std::to_string(kNShards - 1));
    }
    throw std::invalid_argument(
        "shardctrler: Move of shard " + std::to_string(shard) + " to gid " +
        std::to_string(gid) + " rejected: the gid is not in the configuration");
  }
}

}  // namespace shardctrler
