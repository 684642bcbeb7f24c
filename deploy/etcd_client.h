// EtcdClient: a minimal etcd v3 client over the JSON gateway (HTTP/1.1 on
// the client port), so that `raftkv bench --target etcd` can drive etcd
// with the very load it drives raftkv with, without etcd's gRPC client.
//
//   deploy::EtcdClient etcd("http://127.0.0.1:2379", std::chrono::seconds(5));
//   etcd.Put("k", "v");               // POST /v3/kv/put
//   std::string v = etcd.Get("k");    // POST /v3/kv/range; "" if missing
//   // throws deploy::CliError("etcd http://127.0.0.1:2379: ...")
//
// The gateway takes and gives keys and values in base64 inside JSON:
//   {"key":"aw==","value":"dg=="}  ->  {"header":{...}}
//   {"key":"aw=="}                 ->  {"header":{...},"kvs":[{"key":"aw==",
//                                        ...,"value":"dg=="}],"count":"1"}
// A range is linearizable by default (etcd confirms its leadership with a
// quorum, no log entry): the read raftkv's Get is compared with.
//
// One keep-alive connection per client, made on first use, remade once if
// a call on a reused connection fails (etcd may close an idle one). Every
// step (connect, write, read) has `timeout`; Boost.Beast's tcp_stream
// closes the socket when it passes, so a call never blocks longer. Not
// thread-safe: one client per task.
#ifndef RAFTLAB_DEPLOY_ETCD_CLIENT_H_
#define RAFTLAB_DEPLOY_ETCD_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "deploy/kv_bench.h"
#include "labrpc/runtime.h"

namespace deploy {

class EtcdClient : public KvTarget {
 public:
  // endpoint: "http://host:port" (host numeric or localhost). Throws
  // UsageError if it is not of that form.
  EtcdClient(const std::string& endpoint, labrpc::Duration timeout);
  ~EtcdClient() override;
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  void Put(const std::string& key, const std::string& value) override;
  std::string Get(const std::string& key) override;

 private:
  struct Connection;
  // POSTs `json` to `path` and returns the response body of a 200 reply.
  std::string Post(const std::string& path, const std::string& json);

  const std::string endpoint_;
  std::string host_;
  int port_ = 0;
  const labrpc::Duration timeout_;
  std::unique_ptr<Connection> conn_;
};

// {host, port} of "http://host:port"; UsageError saying what is wrong.
std::pair<std::string, int> ParseHttpEndpoint(const std::string& endpoint);

// RFC 4648 base64 with padding.
std::string Base64Encode(std::string_view bytes);
// nullopt if `text` is not padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

// The string value of the first "name":"..." in `json` at or after `from`,
// escapes undone; nullopt if there is none. Enough for the gateway's
// replies, whose strings are base64, numbers and error messages.
std::optional<std::string> JsonStringField(std::string_view json,
                                           std::string_view name,
                                           size_t from = 0);

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_ETCD_CLIENT_H_
