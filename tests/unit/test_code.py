"""The code itself: ruff's rules (pyflakes' among them: nothing unused, no name used before it exists) hold on
the whole tree. A fraction of a second; `make lint` (run by `make test`) also checks formatting and types."""

import subprocess
import sys

from cascade.processes import REPO_ROOT


def test_ruff_finds_nothing():
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
