// A minimal etcd v3 JSON-gateway client; see etcd_client.h.
#include "deploy/etcd_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>

#include "deploy/cli_flags.h"

namespace deploy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr char kBase64Chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// "k" -> "\"k\"": the JSON string of a base64 text (which needs no escapes).
std::string Quoted(const std::string& base64) { return "\"" + base64 + "\""; }

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = static_cast<uint8_t>(bytes[i]) << 16 |
                       static_cast<uint8_t>(bytes[i + 1]) << 8 |
                       static_cast<uint8_t>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) {
      out += kBase64Chars[(n >> shift) & 63];
    }
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kBase64Chars[(n >> 18) & 63];
    out += kBase64Chars[(n >> 12) & 63];
    out += rest == 2 ? kBase64Chars[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; j++) {
      const char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        pad++;
        v[j] = 0;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[j] = Base64Value(c);
      if (v[j] < 0) return std::nullopt;
    }
    const uint32_t n = v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3];
    out += static_cast<char>(n >> 16);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

std::optional<std::string> JsonStringField(std::string_view json,
                                           std::string_view name, size_t from) {
  const std::string needle = "\"" + std::string(name) + "\"";
  for (size_t at = json.find(needle, from); at != std::string_view::npos;
       at = json.find(needle, at + 1)) {
    size_t i = at + needle.size();
    while (i < json.size() && (json[i] == ' ' || json[i] == '\n')) i++;
    if (i >= json.size() || json[i] != ':') continue;  // a value, not a name
    i++;
    while (i < json.size() && (json[i] == ' ' || json[i] == '\n')) i++;
    if (i >= json.size() || json[i] != '"') return std::nullopt;
    std::string out;
    for (i++; i < json.size() && json[i] != '"'; i++) {
      if (json[i] == '\\' && i + 1 < json.size()) {
        const char e = json[++i];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e;  // \" \\ \/ as is
      } else {
        out += json[i];
      }
    }
    if (i >= json.size()) return std::nullopt;  // unterminated
    return out;
  }
  return std::nullopt;
}

std::pair<std::string, int> ParseHttpEndpoint(const std::string& endpoint) {
  const std::string scheme = "http://";
  const std::string bad = "--endpoints: '" + endpoint + "' is not ";
  if (endpoint.rfind(scheme, 0) != 0) {
    throw UsageError(bad + "http://host:port (https is not supported)");
  }
  std::string rest = endpoint.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw UsageError(bad + "http://host:port (no port)");
  }
  const std::string port_text = rest.substr(colon + 1);
  char* end = nullptr;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port < 1 || port > 65535) {
    throw UsageError(bad + "http://host:port (port '" + port_text + "')");
  }
  return {rest.substr(0, colon), static_cast<int>(port)};
}

// The socket and its own io_context: each client task runs its own I/O to
// completion, so nothing is shared between tasks.
struct EtcdClient::Connection {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;

  // Runs the pending operation to its end (or its expiry).
  void RunIo() {
    io.restart();
    io.run();
  }
};

EtcdClient::EtcdClient(const std::string& endpoint, labrpc::Duration timeout)
    : endpoint_(endpoint), timeout_(timeout) {
  std::tie(host_, port_) = ParseHttpEndpoint(endpoint);
}

EtcdClient::~EtcdClient() = default;

std::string EtcdClient::Post(const std::string& path, const std::string& json) {
  const auto timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(timeout_);
  std::string failure;
  for (int attempt = 0; attempt < 2; attempt++) {
    const bool reused = conn_ != nullptr;
    beast::error_code ec;
    if (!conn_) {
      conn_ = std::make_unique<Connection>();
      tcp::resolver resolver(conn_->io);
      auto endpoints = resolver.resolve(host_, std::to_string(port_), ec);
      if (!ec) {
        conn_->stream.expires_after(timeout);
        conn_->stream.async_connect(
            endpoints,
            [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
        conn_->RunIo();
      }
    }
    if (!ec) {
      http::request<http::string_body> req{http::verb::post, path, 11};
      req.set(http::field::host, host_ + ":" + std::to_string(port_));
      req.set(http::field::content_type, "application/json");
      req.keep_alive(true);
      req.body() = json;
      req.prepare_payload();
      conn_->stream.expires_after(timeout);
      http::async_write(conn_->stream, req,
                        [&](beast::error_code e, size_t) { ec = e; });
      conn_->RunIo();
    }
    http::response<http::string_body> res;
    if (!ec) {
      conn_->stream.expires_after(timeout);
      http::async_read(conn_->stream, conn_->buffer, res,
                       [&](beast::error_code e, size_t) { ec = e; });
      conn_->RunIo();
    }
    if (!ec) {
      if (!res.keep_alive()) conn_.reset();
      if (res.result() != http::status::ok) {
        throw CliError("etcd " + endpoint_ + path + ": HTTP " +
                       std::to_string(res.result_int()) + ": " + res.body());
      }
      return res.body();
    }
    failure = ec == beast::error::timeout
                  ? "no answer within " + FormatSeconds(timeout_)
                  : ec.message();
    conn_.reset();
    // A fresh connection that failed will not do better a second time; a
    // reused one may just have been closed by etcd while idle.
    if (!reused) break;
  }
  throw CliError("etcd " + endpoint_ + path + ": " + failure);
}

void EtcdClient::Put(const std::string& key, const std::string& value) {
  const std::string body =
      Post("/v3/kv/put", "{\"key\":" + Quoted(Base64Encode(key)) +
                             ",\"value\":" + Quoted(Base64Encode(value)) + "}");
  if (body.find("\"header\"") == std::string::npos) {
    throw CliError("etcd " + endpoint_ + ": unexpected put reply: " + body);
  }
}

std::string EtcdClient::Get(const std::string& key) {
  const std::string body =
      Post("/v3/kv/range", "{\"key\":" + Quoted(Base64Encode(key)) + "}");
  if (body.find("\"header\"") == std::string::npos) {
    throw CliError("etcd " + endpoint_ + ": unexpected range reply: " + body);
  }
  const size_t kvs = body.find("\"kvs\"");
  if (kvs == std::string::npos) return "";  // no such key
  // An empty value is left out of the reply (protobuf's JSON form omits
  // default values), so a missing "value" is "".
  std::optional<std::string> value = JsonStringField(body, "value", kvs);
  if (!value) return "";
  std::optional<std::string> decoded = Base64Decode(*value);
  if (!decoded) {
    throw CliError("etcd " + endpoint_ +
                   ": a value that is not base64: " + *value);
  }
  return *decoded;
}

}  // namespace deploy
