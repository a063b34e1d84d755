"""The fan-out benchmark keeps working as the code changes: a tiny run, checking its output, never its speed."""

import subprocess
import sys

from cascade.processes import REPO_ROOT


def test_issue_fanout_runs_end_to_end_on_a_tiny_load():
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "issue_fanout", "--recipients", "12", "--notices", "1", "--rounds", "1"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in (
        "12 recipients per notice",
        "median end to end:",
        "inbox (notices)",
        "status (reports)",
        "raw baseline",
        "ratio slice / raw:",
        "events/s (",
        "raw baseline:",
        "a directory lookup",
        "收文 (GET",
    ):
        assert line in proc.stdout, proc.stdout
    [events] = [line for line in proc.stdout.splitlines() if line.strip().startswith("slice:")]
    assert events.count("events/s") == 2  # the slice's and the raw baseline's, side by side
