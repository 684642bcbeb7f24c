"""The scratch copy of the tree that scripts/mutants.py mutates, and its
build: a content-exact copy that keeps its own build folder between runs,
so that every rebuild is incremental (and, with ccache, mostly cache hits).

Standard library only. Files are rewritten only when their content differs,
and always with a fresh mtime, so the build system sees every change, also
a file put back to an older content.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

MARKER = ".raftlab-mutants"  # marks a folder as a scratch copy
# Not copied into the scratch tree (top-level names), and never deleted
# from it.
SKIP_TOP = re.compile(r"^(build.*|handout.*|\.git)$")
SKIP_ANY = {"__pycache__"}


def sync_tree(src: Path, dst: Path) -> list[str]:
    """Makes dst/ a copy of src/ (minus build folders and .git), writing
    only files whose content differs, with a fresh mtime so that the build
    sees them. Leaves dst/build alone. Returns the paths written."""
    src, dst = src.resolve(), dst.resolve()
    if dst == src or src in dst.parents or dst in src.parents:
        raise ValueError(f"the scratch folder {dst} must be outside {src}")
    if dst.exists() and any(dst.iterdir()) and not (dst / MARKER).exists():
        raise ValueError(f"{dst} is not empty and not a scratch copy made by "
                         f"this script (no {MARKER}): choose another folder")
    dst.mkdir(parents=True, exist_ok=True)
    (dst / MARKER).write_text("scratch copy made by scripts/mutants.py; "
                              "safe to delete\n")
    written: list[str] = []
    keep: set[Path] = set()
    for root, dirs, files in os.walk(src):
        rel_root = Path(root).relative_to(src)
        dirs[:] = [d for d in dirs if d not in SKIP_ANY and
                   not (rel_root == Path(".") and SKIP_TOP.match(d))]
        for d in dirs:
            keep.add(rel_root / d)
        for f in files:
            rel = rel_root / f
            if rel_root == Path(".") and SKIP_TOP.match(f):
                continue
            keep.add(rel)
            data = (src / rel).read_bytes()
            out = dst / rel
            if out.is_file() and out.read_bytes() == data:
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            shutil.copymode(src / rel, out)
            written.append(str(rel))
    for root, dirs, files in os.walk(dst):
        rel_root = Path(root).relative_to(dst)
        top = rel_root == Path(".")
        for name in list(dirs):
            if top and SKIP_TOP.match(name):
                dirs.remove(name)
            elif rel_root / name not in keep:
                dirs.remove(name)
                shutil.rmtree(dst / rel_root / name)
        for name in files:
            if rel_root / name not in keep and not (
                    top and (SKIP_TOP.match(name) or name == MARKER)):
                (dst / rel_root / name).unlink()
    return written


class Builder:
    """Configures and builds the scratch tree with CMake and Ninja, or with
    --build-cmd (for the tools' tests: `<cmd> <targets...>`, run in the
    scratch folder). Builds hold --build-lock, if given, so that several
    builders on one machine take turns."""

    def __init__(self, tree: Path, jobs: int, lock: str | None,
                 cmd: str | None):
        self.tree = tree
        self.build_dir = tree / "build"
        self.jobs = jobs
        self.lock = lock
        self.cmd = cmd
        self.waited = 0.0  # seconds spent waiting for the lock, in total

    def _run(self, cmd: list[str]) -> tuple[bool, str]:
        lock_fd = None
        if self.lock:
            lock_fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o666)
            start = time.monotonic()
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            self.waited += time.monotonic() - start
        try:
            p = subprocess.run(cmd, cwd=self.tree, capture_output=True,
                               text=True, check=False)
        finally:
            if lock_fd is not None:
                os.close(lock_fd)
        return p.returncode == 0, p.stdout + p.stderr

    def configure(self) -> tuple[bool, str]:
        if self.cmd or (self.build_dir / "CMakeCache.txt").exists():
            return True, ""
        return self._run(["cmake", "-S", ".", "-B", "build", "-G", "Ninja",
                          "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                          "-DRAFTLAB_WERROR=OFF"])

    def initial_targets(self) -> list[str]:
        """What to build before the first mutant: the `stages` target (every
        binary that holds a stage's suites) if the build defines it, else
        every test executable (tests/*_test). Empty with --build-cmd."""
        if self.cmd:
            return []
        # A changed CMakeLists.txt adds or drops targets: regenerate first.
        self._run(["ninja", "-C", "build", "build.ninja"])
        p = subprocess.run(["ninja", "-C", str(self.build_dir), "-t",
                            "targets", "all"], capture_output=True, text=True,
                           check=False)
        if re.search(r"^stages: ", p.stdout, re.M):
            return ["stages"]
        return sorted(set(re.findall(r"^tests/(\w+_test): CXX_EXECUTABLE",
                                     p.stdout, re.M)))

    def build(self, targets: list[str]) -> tuple[bool, str]:
        if self.cmd:
            return self._run(["sh", "-c", f'{self.cmd} "$@"', "build",
                              *targets])
        cmd = ["cmake", "--build", "build", "-j", str(self.jobs)]
        for t in targets:
            cmd += ["--target", t]
        return self._run(cmd)


def build_errors(output: str, limit: int = 6) -> list[str]:
    """The first error lines of a build (with the lines that explain a
    CMake error), or the output's tail."""
    lines = output.splitlines()
    picked = []
    for i, line in enumerate(lines):
        if re.search(r"\berror\b", line, re.I):
            picked.append(line.strip())
            if line.startswith("CMake Error"):
                picked += [l.strip() for l in lines[i + 1:i + 4] if l.strip()]
    return (picked or [l for l in lines if l.strip()][-limit:])[:limit]
