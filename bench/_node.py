"""What benchmarks share: a real node on free loopback ports, CPU accounting, figures."""

import contextlib
import os
import platform
import secrets
import shutil
import statistics
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from cascade.node import NodeConfig, Ports
from cascade.processes import REPO_ROOT, Proc, ferretdb_binary, free_port
from cascade.runtime import NodeRuntime
from shared.settings import RuntimeSettings

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def running_node() -> Iterator[NodeRuntime]:
    """A whole node exactly as ``cascade up`` runs it: nats-server, FerretDB (or the MongoDB
    that MONGO_URL names), every service and the gateway as their own processes, in a
    temporary data dir removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="cascade-bench-"))
    cfg = NodeConfig(
        node_id="bench" + secrets.token_hex(3),  # its own databases, even on a shared MongoDB
        name="基准测试节点",
        data_dir=root,
        log_level="WARNING",
        ports=Ports(
            nats=free_port(), nats_http=free_port(), leafnodes=free_port(), ferretdb=free_port(), gateway=free_port()
        ),
    )
    rt = NodeRuntime(cfg, mongo_url=RuntimeSettings().mongo_url)
    try:
        rt.start()
        yield rt
    finally:
        rt.stop()
        if rt.mongo_url:
            drop_databases(rt.mongo_url, cfg.node_id)
        shutil.rmtree(root, ignore_errors=True)


def drop_databases(url: str, node_id: str) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(url)
    try:
        for name in client.list_database_names():
            if name.startswith(f"{node_id}_"):
                client.drop_database(name)
    finally:
        client.close()


def store(rt: NodeRuntime) -> str:
    """Which store the node runs: the MongoDB of MONGO_URL, or which FerretDB build (CASCADE_FERRETDB_BIN picks one)."""
    if rt.mongo_url:
        return "MongoDB (MONGO_URL)"
    return f"FerretDB v1.24.2 / SQLite ({os.path.relpath(ferretdb_binary(), REPO_ROOT)})"


def processes(rt: NodeRuntime) -> dict[str, Proc]:
    return {**rt.infra, **rt.services}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


class CpuMeter:
    """CPU seconds each process spent between ``start()`` and ``stop()``."""

    def __init__(self, procs: dict[str, int]) -> None:
        self.procs = procs
        self.before: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def start(self) -> None:
        self.before = {name: cpu_seconds(pid) for name, pid in self.procs.items()}

    def stop(self) -> dict[str, float]:
        self.used = {name: cpu_seconds(pid) - self.before[name] for name, pid in self.procs.items()}
        return self.used


def cpu_parts(cpu: Mapping[str, float], digits: int = 1) -> str:
    """CPU seconds per process, most first, leaving out what rounds to nothing: ``ferretdb 7.4, notices 2.3``."""
    least = 0.5 * 10**-digits
    return ", ".join(f"{k} {v:.{digits}f}" for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]) if v >= least)


def disk_usage(root: Path, largest: int = 3) -> tuple[int, list[tuple[int, str]]]:
    """Bytes on disk under ``root`` as ``du`` counts them (allocated blocks), and the largest files (bytes, path
    relative to ``root``): on FerretDB a database is a SQLite file with its WAL beside it."""
    files = []
    for path in root.rglob("*"):
        try:
            st = path.lstat()
        except FileNotFoundError:  # a WAL or a temporary file went away meanwhile
            continue
        if path.is_file():
            files.append((st.st_blocks * 512, str(path.relative_to(root))))
    files.sort(reverse=True)
    return sum(size for size, _ in files), files[:largest]


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · "
        f"load average {load} · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
