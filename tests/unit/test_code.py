"""The code itself: no unused imports or variables, no names used before they exist (pyflakes)."""

import subprocess
import sys

from cascade.processes import REPO_ROOT


def test_pyflakes_finds_nothing_dead_or_undefined():
    proc = subprocess.run(
        [sys.executable, "-m", "pyflakes", "cascade", "services", "shared", "bench", "tests"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
