"""Tests of scripts/check_runtime_rule.py: each banned call is named with
file:line:col and its runtime replacement; comments, strings, #include lines,
members and allowed lines are not; the kit itself passes."""

import unittest

import tools_testutil as tu

import check_runtime_rule as rr

BAD = """\
#include <mutex>
#include <thread>

std::mutex mu;
std::condition_variable cv;
void F() {
  std::thread t([] {});
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto now = std::chrono::steady_clock::now();
  int r = rand() % 10;
  std::random_device rd;
  std::jthread j; usleep(10); time(nullptr);
}
"""

FINE = """\
// std::thread, std::mutex and rand() in a comment.
/* std::condition_variable cv; sleep_for(1s); */
#include <mutex>  // for std::lock_guard over a labrpc::Mutex
void G() {
  std::lock_guard<labrpc::Mutex> g(mu_);
  labrpc::MutexLock l(mu_);
  labrpc::Sleep(std::chrono::milliseconds(50 + labrpc::RandInt(300)));
  auto t = labrpc::Now();
  const char* s = "std::mutex in a string";
  auto raw = R"x(std::thread in a "raw" string)x";
  char q = '"';
  long big = 1'000'000;
  int a = obj.rand() + p->time() + operand(1);
  std::mutex debug_mu;  // runtime-rule: allow (a process-wide table)
}
"""


class CheckTextTest(unittest.TestCase):

    def test_each_banned_call_with_its_replacement(self):
        found = rr.check_text(BAD, "raft/raft.cc")
        want = [
            ("raft/raft.cc:4:1: std::mutex:", "labrpc::Mutex"),
            ("raft/raft.cc:5:1: std::condition_variable:", "labrpc::CondVar"),
            ("raft/raft.cc:7:3: std::thread:", "labrpc::Go"),
            ("raft/raft.cc:8:3: std::this_thread::sleep_for:",
             "labrpc::Sleep"),
            ("raft/raft.cc:9:27: steady_clock::now():", "labrpc::Now"),
            ("raft/raft.cc:10:11: rand():", "labrpc::RandInt"),
            ("raft/raft.cc:11:3: std::random_device:", "labrpc::RandInt"),
            ("raft/raft.cc:12:3: std::jthread:", "labrpc::Go"),
            ("raft/raft.cc:12:19: usleep():", "labrpc::Sleep"),
            ("raft/raft.cc:12:31: time(nullptr):", "labrpc::Now"),
        ]
        self.assertEqual(len(found), len(want), "\n".join(found))
        for line, (where, instead) in zip(found, want):
            self.assertTrue(line.startswith(where), line)
            self.assertIn("use " + instead, line)

    def test_comments_strings_includes_members_and_allowed_lines(self):
        self.assertEqual(rr.check_text(FINE, "raft/raft.cc"), [])

    def test_code_only_keeps_lines_and_columns(self):
        text = 'a // x\n"s" b /* y\n z */ c\n'
        out = rr.code_only(text)
        self.assertEqual(len(out), len(text))
        self.assertEqual(out.split("\n")[1].index("b"), 4)
        self.assertEqual(out.split("\n")[2].strip(), "c")


class CommandLineTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tu.TempDir()
        self.addCleanup(self.tmp.cleanup)
        root = self.root = self.tmp.path
        (root / "raft").mkdir()
        (root / "kvraft").mkdir()
        (root / "labrpc").mkdir()
        (root / "raft/raft.cc").write_text(FINE)
        (root / "labrpc/runtime_real.cc").write_text(BAD)  # not lab code

    def test_clean_tree_passes(self):
        r = tu.run_tool("check_runtime_rule.py", "--root", str(self.root))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout + r.stderr, "")

    def test_bad_file_fails_the_build_with_file_line(self):
        (self.root / "kvraft/server.cc").write_text(BAD)
        r = tu.run_tool("check_runtime_rule.py", "--root", str(self.root))
        self.assertEqual(r.returncode, 1)
        self.assertIn("kvraft/server.cc:7:3: std::thread: use labrpc::Go",
                      r.stderr)
        self.assertIn("10 use(s)", r.stderr)
        self.assertIn("runtime-rule: allow", r.stderr)
        self.assertNotIn("runtime_real.cc", r.stderr)  # labrpc is not lab code

    def test_no_lab_folders_is_a_usage_error(self):
        r = tu.run_tool("check_runtime_rule.py", "--root",
                        str(self.root / "labrpc"))
        self.assertEqual(r.returncode, 2)


class ThisRepositoryTest(unittest.TestCase):

    def test_the_kit_follows_the_rule(self):
        r = tu.run_tool("check_runtime_rule.py")
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
