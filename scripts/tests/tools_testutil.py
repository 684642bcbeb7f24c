"""Helpers shared by the tools' tests: paths, a fake build folder holding
fake_gtest.py as tests/fake_test, and running a tool as a child process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE.parent
REPO = SCRIPTS.parent
DATA = HERE / "data"
FAKE = HERE / "fake_gtest.py"

sys.path.insert(0, str(SCRIPTS))


def fake_build(root: Path) -> Path:
    """A build folder whose tests/ holds the fake binary as fake_test."""
    build = root / "build"
    (build / "tests").mkdir(parents=True)
    dst = build / "tests" / "fake_test"
    # This interpreter, not `env python3`: a version manager's shim can cost
    # seconds per start, and the tests start the fake binary hundreds of
    # times.
    body = FAKE.read_text().split("\n", 1)[1]
    dst.write_text(f"#!{sys.executable}\n{body}")
    dst.chmod(0o755)
    return build


def real_build() -> Path | None:
    """The real build folder CTest passes in RAFTLAB_BUILD_DIR, if any."""
    d = os.environ.get("RAFTLAB_BUILD_DIR")
    return Path(d) if d and (Path(d) / "tests").is_dir() else None


def run_tool(script: str, *args: str, timeout: float = 120,
             env: dict[str, str] | None = None,
             stdin: str | None = None) -> subprocess.CompletedProcess:
    """Runs scripts/<script> with args; output captured as text."""
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    return subprocess.run([sys.executable, str(SCRIPTS / script), *args],
                          capture_output=True, text=True, timeout=timeout,
                          env=full_env, input=stdin)


class TempDir:
    """A temporary folder for one test case (removed afterwards)."""

    def __init__(self):
        self.path = Path(tempfile.mkdtemp(prefix="raftlab-tools-test-"))

    def cleanup(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
