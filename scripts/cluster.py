#!/usr/bin/env python3
"""A local raftkv cluster: raftkv-server processes on 127.0.0.1, one per
node, each with its own data folder and log, driven from the command line.

    scripts/cluster.py start                  # 5 nodes on 127.0.0.1:7001..7005
    scripts/cluster.py --nodes 3 start        # 3 nodes
    scripts/cluster.py status                 # processes, terms, the leader
    scripts/cluster.py leader                 # the leader's node id
    scripts/cluster.py kill 2                 # SIGKILL node 2
    scripts/cluster.py restart 2              # start it again on its data
    scripts/cluster.py pause 0 / resume 0     # SIGSTOP / SIGCONT
    scripts/cluster.py partition 0,1/2,3,4    # two sides, cut off
    scripts/cluster.py heal                   # no partition
    scripts/cluster.py stop                   # stop every node

Options (before the command): --dir DIR (default ./cluster), --nodes N
(default 5), --base-port P (default 7001: node i listens on P+i),
--build-dir DIR (default build: the raftkv-server and raftkv binaries are in
DIR/deploy/), --maxraftstate BYTES (snapshot once Raft's state is that big;
default 4096, -1 never).

Nodes are numbered from 0, as raftkv-server's --id. DIR holds node-N/ (the
node's data: its Raft state and snapshot), node-N.log (its stdout and
stderr) and cluster.json, the state file: the nodes' addresses and pids, so
that every command works from a fresh process. `start` on a DIR that has a
cluster.json starts the same cluster again on its data (its --nodes and
ports win); `rm -rf DIR` after `stop` starts afresh.

A partition is made by each node's own filter (raftkv block): a node's calls
to the nodes on the other side fail. cluster.json remembers it, so a node
restarted or resumed during a partition gets its side's filter again.

Only loopback addresses are used. Exit status: 0 on success, 1 if the
command failed (the message says why and what to do), 2 on bad usage.

As a module (scripts/nemesis.py and scripts/kvbench.py use it):

    c = cluster.Cluster.create(Path("run/cluster"), nodes=5,
                               ports=[7001, ...], build_dir=Path("build"))
    c.start_all(); c.wait_ready()
    c.kill(2); c.restart(2); c.partition([[0, 1], [2, 3, 4]]); c.heal()
    c.leader(wait=10); c.stop()
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STATE_NAME = "cluster.json"
HOST = "127.0.0.1"
DEFAULT_MAXRAFTSTATE = 4096
# How long a started node may take to listen, and a stopped one to exit.
READY_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0
# A raftkv call's own bound: the transport fails a call after 3 s, and a
# status asks every node at once.
RAFTKV_TIMEOUT_S = 20.0


class ClusterError(Exception):
    """A command that cannot be carried out; the message says what to do."""


def _pid_state(pid: int) -> str | None:
    """The process's state letter from /proc (R, S, T, Z, ...), or None if
    there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may hold blanks.
    return stat[stat.rindex(")") + 2:].split()[0]


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        try:
            s.connect((HOST, port))
        except OSError:
            return False
    return True


def free_ports(n: int) -> list[int]:
    """n distinct ports that nothing listens on now (bound to port 0 by the
    kernel, so parallel runs get different ones)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _shown(path: str) -> str:
    """path relative to the current folder when it is under it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def _tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:]) or "    (empty)"


class Cluster:
    """A cluster as its state file describes it. Every method that changes
    something saves the state file at once."""

    def __init__(self, directory: Path, state: dict):
        self.dir = directory
        self.state = state
        # Children started by this process, so that they are reaped (a
        # killed child stays a zombie until its parent waits for it).
        self._children: dict[int, subprocess.Popen] = {}
        # The --dir flag for the commands that messages suggest.
        self.hint_dir = f" --dir {directory}"

    # -- the state file ----------------------------------------------------

    @classmethod
    def create(cls, directory: Path, nodes: int, ports: list[int],
               build_dir: Path, maxraftstate: int = DEFAULT_MAXRAFTSTATE,
               server_env: dict | None = None) -> "Cluster":
        """A new cluster description in `directory` (nothing started).
        server_env: extra environment variables for the servers, kept in
        the state file so that restarts get them too."""
        if len(ports) != nodes or len(set(ports)) != nodes:
            raise ClusterError(f"need {nodes} distinct ports, got {ports}")
        directory = directory.resolve()
        directory.mkdir(parents=True, exist_ok=True)
        state = {
            "version": 1,
            "build_dir": str(build_dir.resolve()),
            "maxraftstate": maxraftstate,
            "server_env": dict(server_env or {}),
            "partition": None,
            "nodes": [{
                "id": i,
                "address": f"{HOST}:{ports[i]}",
                "port": ports[i],
                "data": str(directory / f"node-{i}"),
                "log": str(directory / f"node-{i}.log"),
                "pid": None,
                "paused": False,
            } for i in range(nodes)],
        }
        c = cls(directory, state)
        c.save()
        return c

    @classmethod
    def load(cls, directory: Path) -> "Cluster":
        path = directory / STATE_NAME
        if not path.exists():
            shown = str(directory)
            if not directory.is_absolute() and not shown.startswith("."):
                shown = "./" + shown
            flag = "" if directory == Path("cluster") else f" --dir {shown}"
            raise ClusterError(f"no cluster in {shown}: run "
                               f"`scripts/cluster.py{flag} start` first")
        try:
            state = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ClusterError(f"{path} is not a cluster state file ({e}); "
                               "stop its servers by hand and remove it")
        c = cls(directory.resolve(), state)
        c.hint_dir = "" if directory == Path("cluster") else \
            f" --dir {directory}"
        return c

    def save(self) -> None:
        tmp = self.dir / (STATE_NAME + ".tmp")
        tmp.write_text(json.dumps(self.state, indent=1) + "\n")
        tmp.replace(self.dir / STATE_NAME)

    # -- facts ---------------------------------------------------------------

    @property
    def nodes(self) -> list[dict]:
        return self.state["nodes"]

    def addresses(self) -> list[str]:
        return [n["address"] for n in self.nodes]

    def binary(self, name: str) -> Path:
        path = Path(self.state["build_dir"]) / "deploy" / name
        if not path.exists():
            raise ClusterError(
                f"{path} not found: build it with `make build` (or `cmake "
                f"--build {self.state['build_dir']} --target {name}`)")
        return path

    def node(self, i: int) -> dict:
        if not 0 <= i < len(self.nodes):
            raise ClusterError(f"no node {i}: nodes are 0 to "
                               f"{len(self.nodes) - 1}")
        return self.nodes[i]

    def running(self, i: int) -> bool:
        """True if node i's process is alive (paused counts as alive)."""
        n = self.node(i)
        pid = n["pid"]
        if pid is None:
            return False
        child = self._children.get(pid)
        if child is not None:
            # Our own child: its pid cannot be reused before we reap it, and
            # /proc/PID/cmdline may still be the fork's (python) for a
            # moment after start.
            return child.poll() is None
        st = _pid_state(pid)
        if st is None or st in ("Z", "X"):
            return False
        # The pid may have been reused by another program since.
        cmd = _cmdline(pid)
        return bool(cmd) and cmd[0].endswith("raftkv-server") and \
            n["data"] in cmd

    def process_state(self, i: int) -> str:
        n = self.node(i)
        if not self.running(i):
            return "down" if n["pid"] is None else "exited"
        return "paused" if n["paused"] else "running"

    def _need_running(self, i: int) -> dict:
        n = self.node(i)
        if not self.running(i):
            raise ClusterError(
                f"node {i} is not running: `scripts/cluster.py"
                f"{self.hint_dir} restart {i}` starts it")
        return n

    # -- processes -----------------------------------------------------------

    def start_node(self, i: int) -> None:
        n = self.node(i)
        if self.running(i):
            raise ClusterError(f"node {i} is already running (pid {n['pid']})")
        if not _port_free(n["port"]):
            raise ClusterError(
                f"port {n['port']} of node {i} is in use by another program: "
                "stop it, or start the cluster with another --base-port")
        server = self.binary("raftkv-server")
        cmd = [str(server), "--id", str(i), "--peers",
               ",".join(self.addresses()), "--data", n["data"],
               "--maxraftstate", str(self.state["maxraftstate"])]
        env = dict(os.environ)
        env.update(self.state["server_env"])
        with open(n["log"], "ab") as log:
            log.write(f"=== {time.strftime('%H:%M:%S')} start: "
                      f"{' '.join(cmd)}\n".encode())
            log.flush()
            # A session of its own: a Ctrl-C in the terminal that started
            # the cluster does not reach the servers; `stop` does.
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    env=env, start_new_session=True)
        self._children[proc.pid] = proc
        n["pid"] = proc.pid
        n["paused"] = False
        self.save()

    def wait_ready(self, ids: list[int] | None = None,
                   timeout: float = READY_TIMEOUT_S) -> None:
        """Waits until every node in `ids` (default all) listens."""
        ids = list(range(len(self.nodes))) if ids is None else ids
        deadline = time.monotonic() + timeout
        waiting = set(ids)
        while waiting:
            for i in sorted(waiting):
                n = self.nodes[i]
                if not self.running(i):
                    child = self._children.get(n["pid"])
                    how = ""
                    if child is not None and child.poll() is not None:
                        rc = child.returncode
                        how = f" (killed by signal {-rc})" if rc < 0 \
                            else f" with status {rc}"
                    raise ClusterError(
                        f"node {i} exited at start{how}; the end of "
                        f"{n['log']}:\n" + _tail(Path(n["log"])))
                if _listening(n["port"]):
                    waiting.discard(i)
            if waiting and time.monotonic() > deadline:
                raise ClusterError(
                    f"nodes {sorted(waiting)} did not listen within "
                    f"{timeout:.0f} s; see their logs in {self.dir}")
            if waiting:
                time.sleep(0.05)
        for i in ids:
            self._apply_partition(i, force=False)

    def start_all(self) -> list[int]:
        """Starts every node that is not running; returns their ids."""
        started = []
        for i in range(len(self.nodes)):
            if not self.running(i):
                self.start_node(i)
                started.append(i)
        return started

    def _wait_exit(self, i: int, timeout: float) -> bool:
        n = self.nodes[i]
        child = self._children.get(n["pid"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=0.05)
            if not self.running(i):
                return True
            time.sleep(0.02)
        return not self.running(i)

    def _signal(self, i: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.nodes[i]["pid"], sig)

    def kill(self, i: int) -> None:
        """SIGKILL: a crash. The node's data stays for `restart`."""
        n = self._need_running(i)
        self._signal(i, signal.SIGKILL)
        self._wait_exit(i, STOP_TIMEOUT_S)
        self._children.pop(n["pid"], None)
        n["pid"], n["paused"] = None, False
        self.save()

    def restart(self, i: int) -> None:
        if self.running(i):
            raise ClusterError(f"node {i} is running (pid "
                               f"{self.nodes[i]['pid']}): kill it first")
        self.start_node(i)
        self.wait_ready([i])

    def pause(self, i: int) -> None:
        n = self._need_running(i)
        if n["paused"]:
            raise ClusterError(f"node {i} is already paused")
        self._signal(i, signal.SIGSTOP)
        n["paused"] = True
        self.save()

    def resume(self, i: int) -> None:
        n = self._need_running(i)
        if not n["paused"]:
            raise ClusterError(f"node {i} is not paused")
        self._signal(i, signal.SIGCONT)
        n["paused"] = False
        self.save()
        self._apply_partition(i)

    def stop(self) -> list[int]:
        """Stops every node the state file lists (SIGTERM, then SIGKILL
        after STOP_TIMEOUT_S); returns the ids stopped."""
        stopped = []
        for i, n in enumerate(self.nodes):
            if not self.running(i):
                n["pid"], n["paused"] = None, False
                continue
            if n["paused"]:
                # A stopped process would not act on TERM.
                self._signal(i, signal.SIGCONT)
            self._signal(i, signal.SIGTERM)
            stopped.append(i)
        for i in stopped:
            if not self._wait_exit(i, STOP_TIMEOUT_S):
                self._signal(i, signal.SIGKILL)
                self._wait_exit(i, STOP_TIMEOUT_S)
            n = self.nodes[i]
            self._children.pop(n["pid"], None)
            n["pid"], n["paused"] = None, False
        self.state["partition"] = None
        self.save()
        return stopped

    # -- through raftkv ------------------------------------------------------

    def raftkv(self, *args: str, timeout: float = RAFTKV_TIMEOUT_S
               ) -> subprocess.CompletedProcess:
        cmd = [str(self.binary("raftkv")), *args]
        try:
            return subprocess.run(cmd, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ClusterError(f"`{' '.join(cmd)}` did not end within "
                               f"{timeout:.0f} s")

    def _blocked_for(self, i: int) -> list[str]:
        groups = self.state["partition"]
        if not groups:
            return []
        side = next(g for g in groups if i in g)
        return [n["address"] for n in self.nodes if n["id"] not in side]

    def _apply_partition(self, i: int, force: bool = True) -> None:
        """Gives node i its side's filter (none if healed). A paused node
        cannot take it; it gets it on resume. force=False: only if there is
        a partition (a node that just started blocks nothing already)."""
        n = self.nodes[i]
        if n["paused"] or not self.running(i):
            return
        if not force and not self.state["partition"]:
            return
        blocked = self._blocked_for(i)
        args = (["block", ",".join(blocked)] if blocked else ["unblock"])
        r = self.raftkv("--server", n["address"], *args)
        if r.returncode != 0:
            raise ClusterError(f"node {i} did not take its filter: "
                               f"{r.stderr.strip()}")

    def partition(self, groups: list[list[int]]) -> None:
        ids = sorted(i for g in groups for i in g)
        if ids != list(range(len(self.nodes))) or any(not g for g in groups):
            raise ClusterError(
                "a partition lists every node exactly once, sides split by "
                f"'/', e.g. 0,1/2,3,4 (nodes are 0 to {len(self.nodes) - 1})")
        self.state["partition"] = groups
        self.save()
        for i in range(len(self.nodes)):
            self._apply_partition(i)

    def heal(self) -> None:
        self.state["partition"] = None
        self.save()
        for i in range(len(self.nodes)):
            self._apply_partition(i)

    def status_rows(self) -> list[dict]:
        """`raftkv status --tsv` of every node, plus the process state."""
        r = self.raftkv("--servers", ",".join(self.addresses()), "status",
                        "--tsv")
        rows = []
        lines = r.stdout.splitlines()
        for i, n in enumerate(self.nodes):
            f = lines[i].split("\t") if i < len(lines) else []
            up = len(f) == 8 and f[2] == "up"
            rows.append({
                "node": i, "address": n["address"],
                "process": self.process_state(i),
                "pid": n["pid"] if self.running(i) else None,
                "up": up,
                "term": int(f[3]) if up else None,
                "leader": up and f[4] == "yes",
                "raft_bytes": int(f[5]) if up else None,
                "snap_bytes": int(f[6]) if up else None,
                "blocked": [] if not up or f[7] == "-" else f[7].split(","),
            })
        return rows

    def leader(self, wait: float = 0.0) -> int | None:
        """The leader's node id (of the highest term, if a stale leader in a
        minority still thinks it leads), waiting up to `wait` s for one."""
        deadline = time.monotonic() + wait
        while True:
            leaders = [r for r in self.status_rows() if r["leader"]]
            if leaders:
                return max(leaders, key=lambda r: r["term"])["node"]
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.2)


def format_status(rows: list[dict]) -> str:
    def port_of(a: str) -> str:
        return a.rsplit(":", 1)[1]
    out = [f"{'node':<5}{'address':<17}{'process':<9}{'pid':>8} {'raft':<5}"
           f"{'term':>5} {'leader':<7}{'raft_bytes':>11}{'snap_bytes':>11}"
           "  blocked (ports)"]
    for r in rows:
        def dash(v):
            return "-" if v is None else str(v)
        out.append(
            f"{r['node']:<5}{r['address']:<17}{r['process']:<9}"
            f"{dash(r['pid']):>8} {('up' if r['up'] else 'down'):<5}"
            f"{dash(r['term']):>5} {('yes' if r['leader'] else '-'):<7}"
            f"{dash(r['raft_bytes']):>11}{dash(r['snap_bytes']):>11}  "
            + (",".join(port_of(a) for a in r["blocked"]) or "-"))
    return "\n".join(out)


def _parse_partition(text: str) -> list[list[int]]:
    try:
        groups = [[int(x) for x in side.split(",")]
                  for side in text.split("/")]
    except ValueError:
        raise ClusterError(f"'{text}' is not a partition: sides of node ids "
                           "split by '/', e.g. 0,1/2,3,4")
    if len(groups) < 2:
        raise ClusterError(f"'{text}' has one side: a partition has two or "
                           "more, split by '/', e.g. 0,1/2,3,4")
    return groups


@contextlib.contextmanager
def _locked(directory: Path):
    """One cluster.py command at a time per DIR."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "cluster.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="A local raftkv cluster on 127.0.0.1 (see the docstring "
                    "at the top of this file).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="commands: start | stop | status | leader | kill N | "
               "restart N | pause N | resume N | partition A,B/C,D,E | heal")
    p.add_argument("--dir", type=Path, default=Path("cluster"),
                   help="the cluster's folder (default ./cluster)")
    p.add_argument("--nodes", type=int, default=None,
                   help="number of nodes for start (default 5)")
    p.add_argument("--base-port", type=int, default=None,
                   help="node i listens on BASE+i (default 7001)")
    p.add_argument("--build-dir", type=Path, default=Path("build"),
                   help="where raftkv-server and raftkv were built "
                        "(default build)")
    p.add_argument("--maxraftstate", type=int, default=None,
                   help=f"snapshot threshold in bytes (default "
                        f"{DEFAULT_MAXRAFTSTATE}; -1 never)")
    p.add_argument("command", choices=["start", "stop", "status", "leader",
                                       "kill", "restart", "pause", "resume",
                                       "partition", "heal"])
    p.add_argument("arg", nargs="?", help="N (a node id) or A,B/C,D,E")
    a = p.parse_args(argv)
    needs_arg = {"kill", "restart", "pause", "resume", "partition"}
    if (a.command in needs_arg) != (a.arg is not None):
        p.error(f"{a.command} " + ("needs an argument" if a.command in
                                   needs_arg else "takes no argument"))
    try:
        if a.command != "start":
            Cluster.load(a.dir)  # a clear error before anything is created
        with _locked(a.dir):
            return _run(a)
    except ClusterError as e:
        print(f"cluster.py: {e}", file=sys.stderr)
        return 1


# The commands on one node: what they call and what they print.
NODE_COMMANDS = {
    "kill": (Cluster.kill,
             "killed node {i} (SIGKILL); `restart {i}` starts it on its data"),
    "restart": (Cluster.restart, "node {i}: started again, pid {pid}"),
    "pause": (Cluster.pause,
              "paused node {i} (SIGSTOP); `resume {i}` continues it"),
    "resume": (Cluster.resume, "resumed node {i} (SIGCONT)"),
}


def _node_arg(a) -> int:
    try:
        return int(a.arg)
    except ValueError:
        raise ClusterError(f"'{a.arg}' is not a node id (0, 1, ...)")


def _run(a) -> int:
    if a.command == "start":
        if (a.dir / STATE_NAME).exists():
            c = Cluster.load(a.dir)
            running = [i for i in range(len(c.nodes)) if c.running(i)]
            if running:
                raise ClusterError(
                    f"the cluster in {a.dir} is running (nodes {running}): "
                    "`status` shows it, `stop` stops it")
            for flag, given, stored in (
                    ("--nodes", a.nodes, len(c.nodes)),
                    ("--base-port", a.base_port, c.nodes[0]["port"]),
                    ("--maxraftstate", a.maxraftstate,
                     c.state["maxraftstate"])):
                if given not in (None, stored):
                    raise ClusterError(
                        f"{a.dir} holds a cluster with {flag} {stored}: start "
                        f"it without {flag}, or `rm -rf {a.dir}` for a new "
                        "one")
            print(f"starting the {len(c.nodes)}-node cluster in {a.dir} again "
                  "on its data")
        else:
            nodes = 5 if a.nodes is None else a.nodes
            base = 7001 if a.base_port is None else a.base_port
            if not 1 <= nodes <= 99:
                raise ClusterError("--nodes must be 1 to 99")
            if not 1024 <= base <= 65535 - nodes:
                raise ClusterError("--base-port must leave room for the nodes "
                                   "between 1024 and 65535")
            ms = DEFAULT_MAXRAFTSTATE if a.maxraftstate is None \
                else a.maxraftstate
            c = Cluster.create(a.dir, nodes, [base + i for i in range(nodes)],
                               a.build_dir, ms)
        c.binary("raftkv")  # fail now, not at the first status
        c.start_all()
        c.wait_ready()
        for n in c.nodes:
            print(f"node {n['id']}: {n['address']} pid {n['pid']}, "
                  f"data {_shown(n['data'])}, log {_shown(n['log'])}")
        return 0
    c = Cluster.load(a.dir)
    if a.command in NODE_COMMANDS:
        method, done = NODE_COMMANDS[a.command]
        i = _node_arg(a)
        method(c, i)
        print(done.format(i=i, pid=c.nodes[i]["pid"]))
    elif a.command == "stop":
        stopped = c.stop()
        print(f"stopped nodes {stopped}" if stopped else "no node was running")
    elif a.command == "status":
        print(format_status(c.status_rows()))
    elif a.command == "leader":
        leader = c.leader()
        if leader is None:
            raise ClusterError("no leader now (an election may be under way, "
                               "or fewer than a majority are up): try "
                               "`status`")
        print(leader)
    elif a.command == "partition":
        groups = _parse_partition(a.arg)
        c.partition(groups)
        print("partitioned: " + " | ".join(",".join(map(str, g))
                                           for g in groups))
    elif a.command == "heal":
        c.heal()
        print("healed: no node blocks another")
    return 0


if __name__ == "__main__":
    sys.exit(main())
