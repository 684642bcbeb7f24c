// Tests for the raftkv CLI's pieces that need no cluster (suite RaftkvCli):
// the command line, the history file (read back with the kit's own reader),
// the bounded wait, the bench's quantiles, and the etcd client's base64 and
// JSON handling. The binary itself and a live cluster are tested by
// tests/raftkv_cli_test.py and scripts/nemesis.py.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "deploy/bounded_task.h"
#include "deploy/cli_flags.h"
#include "deploy/etcd_client.h"
#include "deploy/history_log.h"
#include "deploy/kv_bench.h"
#include "labrpc/runtime.h"
#include "linearizability/text_format.h"
#include "test_world.h"

namespace deploy {
namespace {

namespace lin = linearizability;
using raftlab_test::RunInWorld;

Flags Parse(std::vector<std::string> args) {
  std::vector<char*> argv = {const_cast<char*>("raftkv")};
  for (std::string& a : args) argv.push_back(a.data());
  return Flags(static_cast<int>(argv.size()), argv.data(),
               {"servers", "clients", "duration"}, {"tsv"});
}

std::string UsageErrorOf(std::vector<std::string> args) {
  try {
    Parse(std::move(args));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(RaftkvCli, FlagsAnywhereBothForms) {
  Flags f = Parse({"--servers=127.0.0.1:1,127.0.0.1:2", "get", "--tsv", "k",
                   "--clients", "4"});
  EXPECT_EQ(f.positional(), (std::vector<std::string>{"get", "k"}));
  EXPECT_EQ(*f.Get("servers"), "127.0.0.1:1,127.0.0.1:2");
  EXPECT_TRUE(f.Has("tsv"));
  EXPECT_EQ(f.GetInt("clients", 1, 1, 10), 4);
  EXPECT_EQ(f.GetInt("duration", 7, 1, 10), 7);  // default
  // After --, a value may start with a dash.
  EXPECT_EQ(Parse({"put", "k", "--", "-v"}).positional().back(), "-v");
}

TEST(RaftkvCli, FlagErrorsSayWhatIsWrong) {
  EXPECT_EQ(UsageErrorOf({"--colour", "x"}), "unknown flag --colour");
  EXPECT_EQ(UsageErrorOf({"get", "--servers"}), "--servers needs a value");
  EXPECT_EQ(UsageErrorOf({"--tsv=1"}), "--tsv takes no value");
  EXPECT_EQ(UsageErrorOf({"--clients", "1", "--clients", "2"}),
            "--clients given twice");
  EXPECT_NE(UsageErrorOf({"put", "k", "-v"}).find("after --"),
            std::string::npos);
  Flags f = Parse({"--clients", "x", "--duration", "-1"});
  EXPECT_THROW(f.GetInt("clients", 1, 1, 10), UsageError);
  try {
    f.GetSeconds("duration", 1);
    ADD_FAILURE() << "a negative duration was accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(),
                 "--duration needs a number of seconds > 0, not '-1'");
  }
  try {
    Parse({"--tsv"}).AllowOnly({"servers"}, "get");
    ADD_FAILURE() << "a flag of another command was accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--tsv is not a flag of 'get'");
  }
}

TEST(RaftkvCli, HostPortLists) {
  EXPECT_EQ(SplitHostPorts("127.0.0.1:7001,[::1]:7002", "--servers").size(),
            2u);
  EXPECT_THROW(SplitHostPorts("127.0.0.1:7001,,127.0.0.1:7002", "--servers"),
               UsageError);
  EXPECT_THROW(SplitHostPorts("127.0.0.1", "--servers"), UsageError);
  try {
    SplitHostPorts("127.0.0.1:1,127.0.0.1:1", "--servers");
    ADD_FAILURE() << "a repeated server was accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--servers lists 127.0.0.1:1 twice");
  }
  EXPECT_EQ(JoinList({"a", "b"}), "a,b");
  EXPECT_EQ(FormatSeconds(std::chrono::milliseconds(2500)), "2.5 s");
}

// What the workload writes is what lincheck reads: completed and pending
// operations, values that need quoting, an empty read.
TEST(RaftkvCli, HistoryLogReadsBackWithTheKitsReader) {
  const std::string path = ::testing::TempDir() + "raftkv_cli_history.txt";
  RunInWorld([&] {
    HistoryLog log(path);
    const int64_t t0 = HistoryLog::Clock();
    log.Completed(0, t0, t0 + 10, lin::KvOp::kAppend, "k0", "w.0.1;", "");
    log.Completed(1, t0 + 5, t0 + 20, lin::KvOp::kGet, "k0", "", "w.0.1;");
    log.Completed(1, t0 + 30, t0 + 40, lin::KvOp::kGet, "k 1", "", "");
    log.Unknown(2, t0 + 50, lin::KvOp::kPut, "k0", "a \"quoted\" value");
    log.Unknown(3, t0 + 60, lin::KvOp::kGet, "k0", "");
    EXPECT_GE(HistoryLog::Clock(), t0);
  });
  std::ifstream in(path);
  lin::KvHistory h = lin::ReadTextHistory(in, path);
  ASSERT_EQ(h.ops.size(), 5u);
  EXPECT_EQ(h.ops[0].input.value, "w.0.1;");
  EXPECT_FALSE(h.ops[0].pending);
  EXPECT_EQ(h.ops[0].ret - h.ops[0].call, 10);
  EXPECT_EQ(h.ops[1].output.value, "w.0.1;");
  EXPECT_EQ(h.ops[2].input.key, "k 1");
  EXPECT_EQ(h.ops[2].output.value, "");
  EXPECT_FALSE(h.ops[2].output.unknown);
  EXPECT_TRUE(h.ops[3].pending);
  EXPECT_EQ(h.ops[3].input.op, lin::KvOp::kPut);
  EXPECT_EQ(h.ops[3].input.value, "a \"quoted\" value");
  EXPECT_TRUE(h.ops[4].pending);
  EXPECT_TRUE(h.ops[4].output.unknown);
  std::remove(path.c_str());
}

TEST(RaftkvCli, HistoryLogRefusesAnUnwritablePath) {
  RunInWorld(
      [] { EXPECT_THROW(HistoryLog("/nonexistent-dir/h.txt"), CliError); });
}

TEST(RaftkvCli, RunWithTimeoutGivesUpButTheTaskGoesOn) {
  RunInWorld([] {
    auto finished = std::make_shared<bool>(false);
    EXPECT_FALSE(
        RunWithTimeout("slow", std::chrono::milliseconds(50), [finished] {
          labrpc::Sleep(std::chrono::milliseconds(300));
          *finished = true;
        }));
    EXPECT_FALSE(*finished);
    labrpc::Sleep(std::chrono::seconds(1));
    EXPECT_TRUE(*finished);  // still ran to its end after the wait gave up
    EXPECT_TRUE(RunWithTimeout("fast", std::chrono::seconds(5), [] {}));
    EXPECT_THROW(RunWithTimeout("throws", std::chrono::seconds(5),
                                [] { throw CliError("boom"); }),
                 CliError);
  });
}

TEST(RaftkvCli, QuantilesByNearestRank) {
  std::vector<int64_t> ns;
  for (int i = 1; i <= 100; i++) ns.push_back(i * 1'000'000);  // 1..100 ms
  EXPECT_DOUBLE_EQ(QuantileMs(ns, 0.50), 50);
  EXPECT_DOUBLE_EQ(QuantileMs(ns, 0.99), 99);
  EXPECT_DOUBLE_EQ(QuantileMs(ns, 1.0), 100);
  EXPECT_DOUBLE_EQ(QuantileMs({7'000'000}, 0.99), 7);
  EXPECT_DOUBLE_EQ(QuantileMs({}, 0.5), 0);
}

TEST(RaftkvCli, Base64AsRfc4648) {
  // RFC 4648 section 10.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), plain);
  }
  std::string all;
  for (int c = 0; c < 256; c++) all += static_cast<char>(c);
  EXPECT_EQ(Base64Decode(Base64Encode(all)), all);
  EXPECT_EQ(Base64Decode("Zg="), std::nullopt);       // not a multiple of 4
  EXPECT_EQ(Base64Decode("Z=g="), std::nullopt);      // data after padding
  EXPECT_EQ(Base64Decode("Zm9*"), std::nullopt);      // not base64
  EXPECT_EQ(Base64Decode("Zg==Zg=="), std::nullopt);  // padding mid-text
}

TEST(RaftkvCli, JsonFieldsOfTheGatewaysReplies) {
  const std::string range =
      R"({"header":{"cluster_id":"1","revision":"5"},"kvs":[{"key":"aw==",)"
      R"("create_revision":"2","value":"dg=="}],"count":"1"})";
  const size_t kvs = range.find("\"kvs\"");
  EXPECT_EQ(JsonStringField(range, "value", kvs), "dg==");
  EXPECT_EQ(JsonStringField(range, "revision"), "5");
  EXPECT_EQ(JsonStringField(range, "missing"), std::nullopt);
  // A name that appears as a value first is skipped.
  EXPECT_EQ(JsonStringField(R"({"a":"value","value" : "x\"y"})", "value"),
            "x\"y");
  EXPECT_EQ(JsonStringField(R"({"value":"unterminated)", "value"),
            std::nullopt);
}

TEST(RaftkvCli, HttpEndpoints) {
  EXPECT_EQ(ParseHttpEndpoint("http://127.0.0.1:2379"),
            (std::pair<std::string, int>{"127.0.0.1", 2379}));
  EXPECT_EQ(ParseHttpEndpoint("http://localhost:2379/").second, 2379);
  EXPECT_THROW(ParseHttpEndpoint("https://127.0.0.1:2379"), UsageError);
  EXPECT_THROW(ParseHttpEndpoint("http://127.0.0.1"), UsageError);
  EXPECT_THROW(ParseHttpEndpoint("http://127.0.0.1:99999"), UsageError);
}

}  // namespace
}  // namespace deploy
