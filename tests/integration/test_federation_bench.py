"""bench/federation.py keeps working as the code changes: a tiny run, checking output, never speed."""

import subprocess
import sys

from cascade.processes import REPO_ROOT


def test_federation_bench_runs_both_parts_on_a_tiny_load():
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "federation", "--samples", "2", "--events", "100"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in (
        "cascade issue → city inbox",
        "raw JetStream, 2 hops",
        "cascade (durable link",
        "raw JetStream (plain sourcing",
    ):
        assert line in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
