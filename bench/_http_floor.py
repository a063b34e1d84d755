"""The HTTP floor: what the benchmark's own POSTs cost on this machine when the server does nothing with them.

An ASGI app served by uvicorn as the gateway is served (its own process, uvloop and httptools when installed),
answering ``POST /api/notices`` with a 201 after parsing the JSON body, and nothing else: no validation, no
store, no bus. The same httpx client, payloads and concurrency as the slice, so its rate is the most any
design of the slice could reach through HTTP here, whatever the services behind the gateway did.

    python -m uvicorn bench._http_floor:app --port P
"""

import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from cascade.processes import free_port

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    notice = json.loads(body) if body else {}
    reply = json.dumps({"notice_id": "floor", "title": notice.get("title", "")}).encode()
    await send({"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": reply})


@contextmanager
def floor_server() -> Iterator[tuple[str, int]]:
    """Start the floor app on a free loopback port; yields (its URL, its pid)."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bench._http_floor:app", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen([*command, "--log-level", "warning"], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.post(f"{url}/api/notices", json={}, timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the HTTP floor server did not start") from None
                time.sleep(0.05)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)
