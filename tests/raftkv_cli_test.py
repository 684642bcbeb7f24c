#!/usr/bin/env python3
"""Deploy.RaftkvCli: the raftkv binary's command line and errors, then
scripts/cluster.py driving a real 3-node raftkv-server cluster on loopback
(free ports, a temporary folder): put/append/get, the leader, killing it and
watching another take over, restart, a partition and its heal, pause and
resume, a stop and a start again on the same data, and the errors a learner
meets on the way.

    tests/raftkv_cli_test.py --build-dir build     # ~30 s
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import cluster as cl  # noqa: E402

BUILD = Path("build")


def raftkv(*args, timeout=30):
    start = time.monotonic()
    r = subprocess.run([str(BUILD / "deploy" / "raftkv"), *args],
                       capture_output=True, text=True, timeout=timeout)
    r.elapsed = time.monotonic() - start
    return r


class CommandLineTest(unittest.TestCase):

    def assertUsage(self, r, message):
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(message, r.stderr)
        self.assertIn("usage: raftkv", r.stderr)

    def test_bad_command_lines_exit_2_with_usage(self):
        self.assertUsage(raftkv(), "raftkv: no command given")
        self.assertUsage(raftkv("get", "k"),
                         "raftkv: get needs --servers HOST:PORT,...")
        self.assertUsage(raftkv("--servers", "127.0.0.1:1", "frob"),
                         "raftkv: unknown command 'frob'")
        self.assertUsage(raftkv("--colour", "x", "get", "k"),
                         "raftkv: unknown flag --colour")
        self.assertUsage(raftkv("--servers", "localhost", "get", "k"),
                         "raftkv: --servers: ")
        self.assertUsage(raftkv("--servers", "127.0.0.1:1", "get"),
                         "usage: raftkv ... get KEY")
        self.assertUsage(raftkv("--servers", "127.0.0.1:1", "bench", "--kind",
                                "scan"), "--kind must be put or get")
        self.assertUsage(raftkv("--servers", "127.0.0.1:1", "status",
                                "--clients", "3"),
                         "--clients is not a flag of 'status'")
        self.assertUsage(raftkv("--servers", "127.0.0.1:1", "workload",
                                "--record", "h.txt", "--tag", "a.b"),
                         "--tag must be")
        self.assertUsage(raftkv("--servers", "127.0.0.1:1,127.0.0.1:2",
                                "block", "127.0.0.1:3"),
                         "block acts on one server")
        r = raftkv("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("workload --clients C", r.stdout)

    def test_unreachable_cluster_fails_within_the_timeout(self):
        ports = cl.free_ports(2)
        servers = ",".join(f"127.0.0.1:{p}" for p in ports)
        r = raftkv("--servers", servers, "--timeout", "1", "get", "k")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.strip(), f"raftkv: no server of {servers} "
                         "answered within 1 s")
        self.assertGreaterEqual(r.elapsed, 1.0)
        self.assertLess(r.elapsed, 5.0)
        r = raftkv("--servers", servers, "status")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout.count(" down "), 2, r.stdout)
        self.assertIn("answered", r.stderr)
        r = raftkv("bench", "--target", "etcd", "--endpoints",
                   f"http://127.0.0.1:{ports[0]}", "--ops", "2", "--kind",
                   "put", "--op-timeout", "1")
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"etcd http://127.0.0.1:{ports[0]}/v3/kv/put: ",
                      r.stderr)


class ClusterTest(unittest.TestCase):
    """One cluster, one scenario in order (each step needs the last)."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="raftkv-cli-test-"))
        self.dir = self.tmp / "cluster"
        self.base = None
        self.addCleanup(self.cleanup)

    def cleanup(self):
        if (self.dir / cl.STATE_NAME).exists():
            cl.Cluster.load(self.dir).stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def cluster_py(self, *args, ok=True):
        cmd = [sys.executable, str(ROOT / "scripts" / "cluster.py"), "--dir",
               str(self.dir), "--build-dir", str(BUILD)]
        if self.base is not None:
            cmd += ["--base-port", str(self.base)]
        r = subprocess.run([*cmd, *args], capture_output=True, text=True,
                           timeout=60)
        if ok:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def kv(self, *args, timeout="10"):
        return raftkv("--servers", self.servers, "--timeout", timeout, *args)

    def wait_leader(self, other_than=None, within=10.0):
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            r = self.cluster_py("leader", ok=False)
            if r.returncode == 0 and int(r.stdout) != other_than:
                return int(r.stdout)
            time.sleep(0.2)
        self.fail(f"no leader other than {other_than} within {within} s")

    def rows(self):
        return cl.Cluster.load(self.dir).status_rows()

    def test_a_cluster_session(self):
        r = self.cluster_py("status", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"no cluster in {self.dir}: run", r.stderr)

        # Three consecutive free ports for --base-port.
        for _ in range(50):
            base = cl.free_ports(1)[0]
            if base < 65000 and all(cl._port_free(base + i) for i in range(3)):
                break
        self.base = base
        self.servers = ",".join(f"127.0.0.1:{base + i}" for i in range(3))
        self.cluster_py("--nodes", "3", "start")
        r = self.cluster_py("start", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("is running", r.stderr)
        leader = self.wait_leader()

        self.assertEqual(self.kv("put", "greeting", "hello").returncode, 0)
        self.assertEqual(self.kv("append", "greeting", ", world").returncode,
                         0)
        self.assertEqual(self.kv("get", "greeting").stdout, "hello, world\n")
        self.assertEqual(self.kv("get", "missing").stdout, "\n")

        # Kill the leader: another takes over, in a later term.
        term = max(r["term"] for r in self.rows())
        self.cluster_py("kill", str(leader))
        r = self.cluster_py("kill", str(leader), ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"node {leader} is not running", r.stderr)
        self.assertEqual(self.kv("append", "greeting", "!").returncode, 0)
        new_leader = self.wait_leader(other_than=leader)
        rows = self.rows()
        self.assertFalse(rows[leader]["up"])
        self.assertEqual(rows[leader]["process"], "down")
        self.assertGreater(rows[new_leader]["term"], term)
        status = self.cluster_py("status").stdout
        self.assertIn("down", status)

        # Restart it on its data: it catches up.
        self.cluster_py("restart", str(leader))
        self.assertEqual(self.kv("get", "greeting").stdout,
                         "hello, world!\n")
        self.assertTrue(self.rows()[leader]["up"])

        # Cut the leader off alone: the other two elect one and commit.
        leader = self.wait_leader()
        others = [i for i in range(3) if i != leader]
        self.cluster_py("partition",
                        f"{leader}/{others[0]},{others[1]}")
        rows = self.rows()
        self.assertEqual(len(rows[leader]["blocked"]), 2)
        self.assertEqual(rows[others[0]]["blocked"],
                         [f"127.0.0.1:{base + leader}"])
        self.assertEqual(self.kv("append", "greeting", "?").returncode, 0)
        self.assertIn(self.wait_leader(other_than=leader), others)
        r = self.cluster_py("partition", "0,1", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("has one side", r.stderr)
        self.cluster_py("heal")
        self.assertTrue(all(not r["blocked"] for r in self.rows()))

        # Pause a node: it does not answer until resumed.
        victim = others[0]
        self.cluster_py("pause", str(victim))
        rows = self.rows()
        self.assertEqual(rows[victim]["process"], "paused")
        self.assertFalse(rows[victim]["up"])
        self.cluster_py("resume", str(victim))
        self.assertTrue(self.rows()[victim]["up"])

        # Without a majority a write cannot commit: a clear error in time.
        leader = self.wait_leader()
        for i in range(3):
            if i != leader:
                self.cluster_py("kill", str(i))
        r = self.kv("put", "greeting", "lost?", timeout="2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("did not complete within 2 s", r.stderr)
        self.assertIn("answered, but none as a leader of a majority",
                      r.stderr)

        # Stop everything and start again on the same data.
        self.cluster_py("stop")
        self.assertTrue(all(not r["up"] for r in self.rows()))
        r = self.cluster_py("start")
        self.assertIn("again on its data", r.stdout)
        # The put that timed out was in the old leader's log: whether it
        # commits now depends on who wins the election. Its outcome was
        # unknown, not "failed".
        self.assertIn(self.kv("get", "greeting").stdout,
                      ("hello, world!?\n", "lost?\n"))
        self.cluster_py("stop")


def main():
    global BUILD
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build-dir", type=Path, default=Path("build"))
    a, rest = p.parse_known_args()
    BUILD = a.build_dir.resolve()
    for exe in ("raftkv", "raftkv-server"):
        if not (BUILD / "deploy" / exe).exists():
            print(f"{BUILD}/deploy/{exe} not found: build it first",
                  file=sys.stderr)
            return 2
    prog = unittest.main(argv=[sys.argv[0], "-v", *rest], exit=False)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
