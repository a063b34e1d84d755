"""The benchmarks keep working as the code changes: a tiny run of each, checking output, never speed."""

import subprocess
import sys

from cascade.processes import REPO_ROOT


def test_bench_lists_its_benchmarks():
    out = subprocess.run(
        [sys.executable, "-m", "bench", "--list"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "issue_throughput" in out
    assert not any(name.startswith("_") for name in out)


def test_issue_throughput_runs_end_to_end_on_a_tiny_load():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "issue_throughput",
            "--notices",
            "6",
            "--warmup",
            "2",
            "--single",
            "2",
            "--rounds",
            "1",
            "--concurrency",
            "3",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in (
        "end to end:",
        "accepted by HTTP:",
        "raw baseline",
        "ratio slice / raw:",
        "HTTP floor",
        "slice / floor:",
    ):
        assert line in proc.stdout, proc.stdout
    assert "CPU seconds during the median HTTP floor run" in proc.stdout, proc.stdout


def test_unknown_benchmark_is_refused():
    proc = subprocess.run([sys.executable, "-m", "bench", "nope"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "issue_throughput" in proc.stderr


def test_store_ops_runs_on_tiny_collections():
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "store_ops", "--sizes", "5,10", "--repeat", "2"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for op in ("insert_one (baseline)", "update_one {_id} $set", "find_one {number_key}"):
        assert op in proc.stdout, proc.stdout


def test_submission_throughput_runs_end_to_end_on_a_tiny_load():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "submission_throughput",
            "--units",
            "6",
            "--warmup",
            "2",
            "--rounds",
            "1",
            "--concurrency",
            "3",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in (
        "submissions:",
        "acceptances:",
        "slice end to end:",
        "raw baseline:",
        "ratio slice / raw:",
        "CPU seconds, slice",
    ):
        assert line in proc.stdout, proc.stdout


def test_sending_runs_end_to_end_on_a_tiny_load():
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "sending", "--recipients", "8", "--notices", "1", "--rounds", "1"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in ("8 e-mails per notice", "e-mails/s", "raw baseline (smtplib", "ratio slice / raw:", "CPU seconds"):
        assert line in proc.stdout, proc.stdout


def test_year_runs_end_to_end_on_a_tiny_load():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "year",
            "--notices",
            "2",
            "--units",
            "12",
            "--mark",
            "1",
            "--repeat",
            "2",
            "--issue-reps",
            "1",
            "--clients",
            "3",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in (
        "directory: 12 units",
        "notice 2: 201 after",
        "=== at 1 notice(s) answered",
        "=== at 2 notice(s) answered",
        "收文 page",
        "GET /api/inbox",
        "汇总表 CSV export",
        "采用",
        "issue a notice → every inbox written",
        "store holds:",
        "=== load phase",
        "签收 + 报送 + 采用 of one notice by every unit",
        "5xx, timeouts and failed connections:",
        "data dir",
        "CPU seconds",
        "=== summary at 1 and 2 notices answered",
        "flagged against issue 10",
    ):
        assert line in proc.stdout, proc.stdout


def test_documents_runs_on_a_tiny_ask():
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "documents", "--submissions", "12", "--gaps", "2", "--rounds", "1"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in ("table.xlsx  Cascade", "table.docx  Cascade", "report.docx Cascade", "floor: openpyxl ws.append"):
        assert line in proc.stdout, proc.stdout
