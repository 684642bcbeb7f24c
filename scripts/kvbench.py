#!/usr/bin/env python3
"""The KV benchmark: raftkv against etcd, the same load on both, on
loopback.

    scripts/kvbench.py                       # make kvbench
    scripts/kvbench.py --ops 2000 --clients 1,16 --kinds put,get
    scripts/kvbench.py --no-etcd             # raftkv only

It starts a 3-node raftkv cluster (scripts/cluster.py, free ports, a
temporary folder under the build folder, so on the same disk as a real
deployment's data) and runs `raftkv bench` for each client count and kind;
then it installs Debian's etcd-server package if etcd is missing (apt-get,
through sudo when not root), starts a 3-member etcd cluster on loopback in
its own temporary folder (distinct ports), runs the same load through etcd's
JSON gateway (`raftkv bench --target etcd`), and stops it.

It prints one table (system, clients, kind, ops/s, p50 and p99 latency in
ms) and writes it as TSV and as markdown, next to each other (--out; by
default kvbench.tsv and kvbench.md in the build folder). What the
numbers compare: both systems fsync before they acknowledge a write;
raftkv's Get goes through the Raft log (so it also waits for an fsync on a
majority), etcd's linearizable range does not (ReadIndex: a heartbeat
round, no log entry). Run it on a quiet machine: both share its cores with
the load generator.

Exit status: 0 done, 1 a bench failed, 2 setup error (binaries missing,
etcd not installable).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster as cl  # noqa: E402

BENCH_TIMEOUT_S = 600


class SetupError(Exception):
    pass


def run_bench(raftkv: Path, target_args: list[str], clients: int, ops: int,
              kind: str, value_bytes: int) -> dict:
    cmd = [str(raftkv), *target_args, "bench", "--clients", str(clients),
           "--ops", str(ops), "--kind", kind, "--value-bytes",
           str(value_bytes)]
    r = subprocess.run(cmd, capture_output=True, text=True,
                       timeout=BENCH_TIMEOUT_S)
    if r.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed: {r.stderr.strip()}")
    header, row = r.stdout.strip().splitlines()[-2:]
    fields = dict(zip(header.split(), row.split()))
    return {"system": fields["system"], "clients": clients, "kind": kind,
            "ops": int(fields["ops"]), "ops_s": float(fields["ops/s"]),
            "p50": float(fields["p50_ms"]), "p99": float(fields["p99_ms"]),
            "max": float(fields["max_ms"])}


# -- etcd --------------------------------------------------------------------

def find_etcd() -> str | None:
    return shutil.which("etcd") or (
        "/usr/bin/etcd" if Path("/usr/bin/etcd").exists() else None)


def install_etcd() -> str:
    """Installs Debian's etcd-server (the bench only, not install-deps)."""
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    if sudo and not shutil.which("sudo"):
        raise SetupError("etcd is not installed and there is no sudo: "
                         "install the etcd-server package as root")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("kvbench: etcd not found; installing Debian's etcd-server package")
    for step in (["apt-get", "update", "-q"],
                 ["apt-get", "install", "-y", "-q", "etcd-server"]):
        r = subprocess.run([*sudo, *step], env=env, capture_output=True,
                           text=True, timeout=900)
        if r.returncode != 0:
            raise SetupError(f"`{' '.join(step)}` failed:\n{r.stderr[-2000:]}")
    etcd = find_etcd()
    if etcd is None:
        raise SetupError("etcd-server installed, but no etcd binary found")
    return etcd


class EtcdCluster:
    """Three etcd members on loopback, each with its own data folder."""

    def __init__(self, etcd: str, directory: Path):
        self.etcd = etcd
        self.dir = directory
        ports = cl.free_ports(6)
        self.client_ports, self.peer_ports = ports[:3], ports[3:]
        self.procs: list[subprocess.Popen] = []

    def endpoints(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.client_ports]

    def start(self) -> None:
        initial = ",".join(f"e{i}=http://127.0.0.1:{p}"
                           for i, p in enumerate(self.peer_ports))
        token = f"kvbench-{os.getpid()}"
        for i in range(3):
            c = f"http://127.0.0.1:{self.client_ports[i]}"
            peer = f"http://127.0.0.1:{self.peer_ports[i]}"
            cmd = [self.etcd, "--name", f"e{i}",
                   "--data-dir", str(self.dir / f"e{i}"),
                   "--listen-client-urls", c, "--advertise-client-urls", c,
                   "--listen-peer-urls", peer,
                   "--initial-advertise-peer-urls", peer,
                   "--initial-cluster", initial,
                   "--initial-cluster-token", token,
                   "--initial-cluster-state", "new"]
            log = open(self.dir / f"e{i}.log", "wb")
            self.procs.append(subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True))
            log.close()
        deadline = time.monotonic() + 30
        for i, e in enumerate(self.endpoints()):
            while True:
                if self.procs[i].poll() is not None:
                    raise SetupError(f"etcd member e{i} exited; see "
                                     f"{self.dir / f'e{i}.log'}")
                try:
                    with urllib.request.urlopen(e + "/health",
                                                timeout=1) as r:
                        if json.loads(r.read()).get("health") == "true":
                            break
                except (OSError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise SetupError(f"etcd member e{i} not healthy within "
                                     f"30 s; see {self.dir / f'e{i}.log'}")
                time.sleep(0.2)

    def version(self) -> str:
        r = subprocess.run([self.etcd, "--version"], capture_output=True,
                           text=True)
        return r.stdout.splitlines()[0] if r.stdout else "etcd"

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []


# -- the table ---------------------------------------------------------------

COLUMNS = [("system", "system"), ("clients", "clients"), ("kind", "kind"),
           ("ops_s", "ops/s"), ("p50", "p50 ms"), ("p99", "p99 ms")]


def cell(row: dict, key: str) -> str:
    v = row[key]
    if key == "ops_s":
        return f"{v:.0f}"
    if key in ("p50", "p99"):
        return f"{v:.2f}"
    return str(v)


def format_table(rows: list[dict]) -> str:
    widths = [max(len(h), *(len(cell(r, k)) for r in rows))
              for k, h in COLUMNS]
    lines = ["  ".join(h.rjust(w) if i >= 3 else h.ljust(w)
                       for i, ((_, h), w) in enumerate(zip(COLUMNS, widths)))]
    for r in rows:
        lines.append("  ".join(
            cell(r, k).rjust(w) if i >= 3 else cell(r, k).ljust(w)
            for i, ((k, _), w) in enumerate(zip(COLUMNS, widths))))
    return "\n".join(lines)


def write_outputs(rows: list[dict], out: Path, note: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tsv = ["\t".join(h for _, h in COLUMNS)]
    tsv += ["\t".join(cell(r, k) for k, _ in COLUMNS) for r in rows]
    out.with_suffix(".tsv").write_text("\n".join(tsv) + "\n")
    md = ["| " + " | ".join(h for _, h in COLUMNS) + " |",
          "|" + "|".join("---" if i < 3 else "---:"
                         for i in range(len(COLUMNS))) + "|"]
    md += ["| " + " | ".join(cell(r, k) for k, _ in COLUMNS) + " |"
           for r in rows]
    out.with_suffix(".md").write_text("\n".join(md) + "\n\n" + note + "\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="raftkv against etcd under the same load (see the "
                    "docstring at the top of this file).")
    p.add_argument("--build-dir", type=Path, default=Path("build"))
    p.add_argument("--clients", default="1,16",
                   help="client counts, comma-separated (default 1,16)")
    p.add_argument("--kinds", default="put,get",
                   help="operation kinds (default put,get)")
    p.add_argument("--ops", type=int, default=2000,
                   help="operations per run, in all (default 2000)")
    p.add_argument("--value-bytes", type=int, default=64)
    p.add_argument("--maxraftstate", type=int, default=cl.DEFAULT_MAXRAFTSTATE,
                   help="raftkv's snapshot threshold (default "
                        f"{cl.DEFAULT_MAXRAFTSTATE})")
    p.add_argument("--no-etcd", action="store_true",
                   help="bench raftkv only")
    p.add_argument("--out", type=Path, default=None,
                   help="write the table to OUT plus .tsv and .md (default: "
                        "kvbench in the build folder)")
    a = p.parse_args(argv)
    try:
        clients = [int(c) for c in a.clients.split(",")]
    except ValueError:
        p.error("--clients is a comma-separated list of numbers")
    kinds = a.kinds.split(",")
    if any(k not in ("put", "get") for k in kinds):
        p.error("--kinds lists put and/or get")
    if any(c < 1 for c in clients) or a.ops < max(clients):
        p.error("--clients must be >= 1 and --ops at least the most clients")
    raftkv = a.build_dir / "deploy" / "raftkv"
    out = a.out if a.out is not None else a.build_dir / "kvbench"
    rows: list[dict] = []
    work = Path(tempfile.mkdtemp(prefix="kvbench-", dir=a.build_dir))
    c = etcd_cluster = None
    try:
        c = cl.Cluster.create(work / "raftkv", 3, cl.free_ports(3),
                              a.build_dir, a.maxraftstate)
        c.binary("raftkv")
        c.start_all()
        c.wait_ready()
        if c.leader(wait=15) is None:
            raise SetupError("the raftkv cluster elected no leader in 15 s")
        servers = ["--servers", ",".join(c.addresses())]
        for kind in kinds:
            for n in clients:
                row = run_bench(raftkv, servers, n, a.ops, kind,
                                a.value_bytes)
                rows.append(row)
                print(format_table([row]).splitlines()[-1], flush=True)
        c.stop()
        c = None
        note = (f"3 nodes each on 127.0.0.1, {a.ops} operations per row, "
                f"{a.value_bytes}-byte values; raftkv maxraftstate "
                f"{a.maxraftstate}.")
        if not a.no_etcd:
            etcd = find_etcd() or install_etcd()
            (work / "etcd").mkdir()
            etcd_cluster = EtcdCluster(etcd, work / "etcd")
            etcd_cluster.start()
            note += f" {etcd_cluster.version()}, default settings."
            endpoints = ["--target", "etcd", "--endpoints",
                         ",".join(etcd_cluster.endpoints())]
            for kind in kinds:
                for n in clients:
                    row = run_bench(raftkv, endpoints, n, a.ops, kind,
                                    a.value_bytes)
                    rows.append(row)
                    print(format_table([row]).splitlines()[-1], flush=True)
    except (SetupError, cl.ClusterError) as e:
        print(f"kvbench: {e}", file=sys.stderr)
        return 2
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print(f"kvbench: {e}", file=sys.stderr)
        return 1
    finally:
        if c is not None:
            c.stop()
        if etcd_cluster is not None:
            etcd_cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(format_table(rows))
    write_outputs(rows, out, note)
    print(f"\n{note}\nkvbench: wrote {out.with_suffix('.tsv')} and "
          f"{out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
