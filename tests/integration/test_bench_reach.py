"""bench reach keeps working: a tiny run (a node of processes, 20 units, a robot taking 3 per 2 s), checking that
it reports every channel, finds no limit exceeded and exits 0; never its speed."""

import subprocess
import sys

from cascade.processes import REPO_ROOT


def test_reach_runs_end_to_end_on_a_tiny_load():
    args = ["--units", "20", "--reminders", "5", "--chat-limit", "3", "--window", "2", "--timeout", "120"]
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "reach", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "25 e-mails, 25 SMS, 6 chat messages" in out, out
    assert "robot: took 6, refused 0" in out and "limits exceeded: none" in out, out
    for line in ("all sent after", "raw floor", "ratio raw / slice:", "CPU seconds"):
        assert line in out, out
