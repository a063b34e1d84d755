"""`cascade demo`: three nodes on this machine, as a person (and CI) runs it."""

import fcntl
import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from cascade.processes import REPO_ROOT


@pytest.fixture(autouse=True)
def one_demo_at_a_time(tmp_path_factory):
    """The demo prefers fixed ports and takes free ones only for those already open: two demos starting at
    once (two test workers) would both pick the same preferred ports, so the tests here hold a machine-wide lock."""
    lock = tmp_path_factory.getbasetemp().parent / "cascade-demo.lock"
    with open(lock, "w") as f:  # closing the file releases the lock
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def demo(*args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URL", "CASCADE_MONGO_URL")}  # own stores
    return subprocess.Popen(
        [sys.executable, "-m", "cascade.cli", "demo", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def leftovers(root) -> list[str]:
    out = subprocess.run(["pgrep", "-fa", str(root)], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "pgrep" not in line]


def test_demo_check_runs_the_flow_down_and_up_and_cleans_up(tmp_path):
    proc = demo("--check", "--dir", str(tmp_path / "demo"))
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    for step in (
        "国家级发文",
        "省级转发",
        "深圳市科学技术协会收文中已有转发的通知",
        "深圳市科学技术协会的签收已回到广东省科学技术协会",
        "广东省科学技术协会的签收已回到中国科学技术协会",
        "深圳市科学技术协会的报送已到广东省科学技术协会",
        "广东省科学技术协会的采用已回到深圳市科学技术协会",
        "广东省科学技术协会的汇总报告已到中国科学技术协会",
        "演示检查通过",
    ):
        assert step in out, out
    assert "✗" not in out
    assert leftovers(tmp_path / "demo") == []


def test_demo_keeps_three_nodes_running_until_interrupted(tmp_path):
    root = tmp_path / "demo"
    proc = demo("--dir", str(root))
    lines = []
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "按 Ctrl-C 停止" in line:
                break
        text = "".join(lines)
        urls = re.findall(r"：(http://127\.0\.0\.1:\d+)/\s+用户 demo 密码 (\S+)", text)
        assert len(urls) == 3, text
        city_url, _city_password = urls[2]
        with httpx.Client(base_url=city_url, timeout=10) as http:
            assert http.get("/healthz").json()["status"] == "ok"
            assert "登录" in http.get("/login").text
        assert (root / "demo-users.txt").read_text(encoding="utf-8").count("密码") == 3
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    assert proc.returncode == 0
    assert leftovers(root) == []
