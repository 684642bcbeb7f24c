#!/usr/bin/env python3
"""The raftkv-server binary's start, stop and error paths.

    tests/raftkv_server_test.py build/deploy/raftkv-server
    tests/raftkv_server_test.py build/deploy/raftkv-server -k corrupt

Checks, each with a fresh temp directory and free loopback ports:
  - a one-server cluster starts, prints its start line, elects itself and
    stops with exit status 0 on SIGTERM and on SIGINT, its state on disk;
  - bad flags (unknown, missing, malformed, --id out of range, duplicate
    peers) exit 2 with one line on stderr saying what to fix;
  - a port in use exits 2 naming the address, the data file untouched;
  - a corrupt data file exits 2 naming the file and the fault, the file
    untouched (byte for byte) and no temp file left.

Exit status 0 if every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START_TIMEOUT = 10.0  # seconds for a server to print its start line
REFUSE_TIMEOUT = 10.0  # seconds for a server that must not start to exit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Checks:
    def __init__(self, binary: str, only: str | None):
        self.binary = binary
        self.only = only
        self.failures: list[str] = []
        self.ran = 0
        self.procs: list[subprocess.Popen] = []  # killed at the end

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """The server run to its end; killed (exit None) if it is still
        running after REFUSE_TIMEOUT: these runs must refuse to start."""
        try:
            return subprocess.run([self.binary, *args], capture_output=True,
                                  text=True, timeout=REFUSE_TIMEOUT)
        except subprocess.TimeoutExpired as e:  # run() has killed it
            err = e.stderr.decode() if isinstance(e.stderr, bytes) else ""
            return subprocess.CompletedProcess(
                e.cmd, None, "", err + f"(still running after "
                f"{REFUSE_TIMEOUT:g} s: killed)")

    def expect(self, name: str, ok: bool, detail: str) -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"))
        if not ok:
            self.failures.append(name)

    def expect_refused(self, name: str, args: list[str], message: str) -> None:
        """args exit 2 with one stderr line containing message."""
        if self.only and self.only not in name:
            return
        self.ran += 1
        p = self.run(*args)
        lines = p.stderr.strip().splitlines()
        self.expect(name, p.returncode == 2 and len(lines) == 1 and
                    message in lines[0] and lines[0].startswith("raftkv-server: "),
                    f"exit {p.returncode}, stderr {p.stderr!r}, expected one "
                    f"line with {message!r}")

    def start(self, args: list[str]) -> subprocess.Popen:
        """A server that has printed its start line (or exited)."""
        proc = subprocess.Popen([self.binary, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self.procs.append(proc)
        deadline = time.monotonic() + START_TIMEOUT
        out = b""
        while time.monotonic() < deadline and b"\n" not in out:
            ready, _, _ = select.select([proc.stdout], [], [], 0.1)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break  # it exited
                out += chunk
        proc.start_line = out.decode()  # type: ignore[attr-defined]
        return proc


def stop(proc: subprocess.Popen, sig: int) -> tuple[str, str]:
    """Sends sig, waits (killing it after 10 s); its stdout and stderr."""
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.start_line + out.decode(), err.decode()  # type: ignore


def await_state(data: Path) -> None:
    """Waits (10 s at most) for a server to have saved its first state."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and not (data / "raft-state").exists():
        time.sleep(0.05)
    time.sleep(0.5)  # its leadership log polls every 50 ms


def check_start_and_stop(c: Checks, tmp: Path) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        name = f"start, elect, stop on {signal.Signals(sig).name}"
        if c.only and c.only not in name:
            continue
        c.ran += 1
        addr = f"127.0.0.1:{free_port()}"
        data = tmp / f"solo-{sig}"
        proc = c.start(["--id", "0", "--peers", addr, "--data", str(data)])
        await_state(data)  # a one-server cluster elects itself at once
        start_line, err = stop(proc, sig)
        want = (f"raftkv-server 0: serving {addr}, peers (none), "
                f"data {data}")
        c.expect(name, proc.returncode == 0 and want in start_line and
                 "raftkv-server 0: leader for term 1" in err and
                 (data / "raft-state").is_file(),
                 f"exit {proc.returncode}, stdout {start_line!r}, "
                 f"stderr {err!r}")


def check_bad_flags(c: Checks, tmp: Path) -> None:
    d = str(tmp / "unused")
    p3 = "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003"
    cases = [
        ("unknown flag", ["--id", "0", "--peers", p3, "--data", d, "--bogus"],
         "unknown flag --bogus"),
        ("no flags", [], "missing --id N"),
        ("missing --peers", ["--id", "0", "--data", d], "missing --peers"),
        ("missing --data", ["--id", "0", "--peers", p3], "missing --data DIR"),
        ("--id not a number", ["--id", "x", "--peers", p3, "--data", d],
         "--id x: not a server index"),
        ("--id out of range", ["--id", "3", "--peers", p3, "--data", d],
         "--id 3 is out of range: --peers lists 3 server(s), ids 0..2"),
        ("duplicate peers",
         ["--id", "0", "--peers", "127.0.0.1:7001,127.0.0.1:7001", "--data",
          d], "--peers lists 127.0.0.1:7001 twice"),
        ("peer without port", ["--id", "0", "--peers", "127.0.0.1", "--data",
                               d], "'127.0.0.1' is not host:port"),
        ("flag without value", ["--id", "0", "--peers", p3, "--data"],
         "--data needs a value"),
        ("bad --maxraftstate",
         ["--id", "0", "--peers", p3, "--data", d, "--maxraftstate", "big"],
         "--maxraftstate big: not a byte count"),
    ]
    for name, args, message in cases:
        c.expect_refused(f"bad flags: {name}", args, message)
    if not c.only or "bad flags" in c.only:
        c.ran += 1
        c.expect("bad flags: nothing created", not Path(d).exists(),
                 f"{d} was created")


def make_state(c: Checks, data: Path) -> None:
    """A data directory holding a real server's state."""
    addr = f"127.0.0.1:{free_port()}"
    proc = c.start(["--id", "0", "--peers", addr, "--data", str(data)])
    await_state(data)
    stop(proc, signal.SIGTERM)


def check_port_in_use(c: Checks, tmp: Path) -> None:
    name = "port in use"
    if c.only and c.only not in name:
        return
    c.ran += 1
    data = tmp / "port"
    make_state(c, data)
    before = digest(data / "raft-state")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        addr = f"127.0.0.1:{holder.getsockname()[1]}"
        p = c.run("--id", "0", "--peers", addr, "--data", str(data))
    want = f"raftkv-server: cannot listen on {addr}: address already in use"
    c.expect(name, p.returncode == 2 and p.stderr.strip() == want and
             digest(data / "raft-state") == before,
             f"exit {p.returncode}, stderr {p.stderr!r}, expected {want!r}, "
             f"file changed: {digest(data / 'raft-state') != before}")


def check_corrupt_state(c: Checks, tmp: Path) -> None:
    name = "corrupt data file"
    if c.only and c.only not in name:
        return
    c.ran += 1
    data = tmp / "corrupt"
    make_state(c, data)
    state = data / "raft-state"
    b = bytearray(state.read_bytes())
    b[len(b) // 2] ^= 0x55  # in the blobs: the file checksum catches it
    state.write_bytes(bytes(b))
    before = digest(state)
    p = c.run("--id", "0", "--peers", f"127.0.0.1:{free_port()}", "--data",
              str(data))
    lines = p.stderr.strip().splitlines()
    c.expect(name, p.returncode == 2 and len(lines) == 1 and
             lines[0].startswith(f"raftkv-server: {state}: checksum mismatch")
             and "not starting" in lines[0] and digest(state) == before and
             not (data / "raft-state.tmp").exists(),
             f"exit {p.returncode}, stderr {p.stderr!r}, file changed: "
             f"{digest(state) != before}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary", help="path to raftkv-server")
    ap.add_argument("-k", metavar="TEXT", help="only checks whose name "
                    "contains TEXT")
    args = ap.parse_args(argv)
    if not os.access(args.binary, os.X_OK):
        print(f"raftkv_server_test: {args.binary} is not an executable "
              "(build the raftkv-server target)", file=sys.stderr)
        return 1
    c = Checks(args.binary, args.k)
    with tempfile.TemporaryDirectory(prefix="raftkv-server-test-") as t:
        tmp = Path(t)
        try:
            check_start_and_stop(c, tmp)
            check_bad_flags(c, tmp)
            check_port_in_use(c, tmp)
            check_corrupt_state(c, tmp)
        finally:  # also on an error or Ctrl-C: no server outlives the test
            for proc in c.procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    if c.ran == 0:
        print("raftkv_server_test: no check matches -k", file=sys.stderr)
        return 1
    print(f"{c.ran - len(c.failures)} of {c.ran} checks passed")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
