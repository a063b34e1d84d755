"""A service's log file: what an expected retry writes (one plain line), not a traceback, nor colour codes.

The service starts before its nats-server is up, then nats-server restarts under it: both are retried until
they succeed, as on every node start and every restart of nats-server.
"""

import asyncio
import re
from pathlib import Path

from faststream.nats import NatsBroker

from cascade.processes import Proc, free_port, nats_server_binary, start_service, wait_port
from shared import subjects
from shared.bus import request
from shared.errors import Unavailable

HOST = "127.0.0.1"


async def healthy(nats_url: str, node_id: str, service: str, timeout: float = 60.0) -> None:
    broker = NatsBroker(nats_url)
    await broker.connect()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                await request(broker, subjects.rpc(node_id, service, "health"), {}, timeout=1.0)
                return
            except (Unavailable, TimeoutError):
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.2)
    finally:
        await broker.stop()


def nats_server(port: int, tmp_path: Path) -> Proc:
    args = [nats_server_binary(), "-js", "-a", HOST, "-p", str(port), "-sd", str(tmp_path / "nats")]
    proc = Proc("nats-server", args, tmp_path / "nats-server.log")
    wait_port(HOST, port, proc=proc)
    return proc


async def test_a_service_before_its_nats_server_and_through_a_restart_logs_plain_lines_only(node, tmp_path):
    port = free_port()
    url = f"nats://{HOST}:{port}"
    log = tmp_path / "notices.log"
    env = {**node.env("notices"), "CASCADE_NATS_URL": url, "CASCADE_LOG_LEVEL": "INFO"}
    service = start_service("notices", env, log)
    nats = None
    try:
        await asyncio.sleep(1.0)  # nats-server comes up a second later
        nats = nats_server(port, tmp_path)
        await healthy(url, node.node_id, "notices")
        nats.stop()  # and restarts under the running service
        await asyncio.sleep(1.0)
        nats.start()
        wait_port(HOST, port, proc=nats)
        await healthy(url, node.node_id, "notices")
        await asyncio.sleep(3.0)  # the consumers' pull loops fetch again (and time out) meanwhile
        assert service.alive, service.tail()
    finally:
        service.stop()
        if nats is not None:
            nats.stop()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text
    assert "\x1b[" not in text, text
    assert not re.search(r" (ERROR|CRITICAL) ", text), text
