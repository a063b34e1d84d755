"""``python -m cascade.healthcheck <service>``: exit 0 when the service answers, 1 otherwise.

Container healthchecks (docker-compose.yml) run this inside each service's
container, so it reads the same settings from the same environment as the
service itself. A backend service is healthy when it answers the request
``rpc.<node>.<service>.health`` (it is connected to NATS and its handlers are
subscribed); the gateway when its ``GET /healthz`` answers 200 (which in turn
asks every backend service).
"""

import asyncio
import sys
from typing import Any

import httpx
import nats
from pydantic import ValidationError

from shared import subjects
from shared.contracts.base import Contract
from shared.contracts.common import Reply
from shared.settings import SETTINGS_BY_SERVICE, GatewaySettings, ServiceSettings

TIMEOUT_S = 3.0


async def check_backend(settings: ServiceSettings, timeout: float = TIMEOUT_S) -> str | None:
    """None when healthy, else why not."""
    try:
        nc = await nats.connect(
            settings.nats_url, connect_timeout=timeout, max_reconnect_attempts=1, allow_reconnect=False
        )
    except Exception as exc:  # refused, DNS, timeout: all mean "not healthy"
        return f"cannot reach NATS at {settings.nats_url}: {exc!r}"
    try:
        msg = await nc.request(
            subjects.rpc(settings.node_id, settings.service, Contract.health.name), b"{}", timeout=timeout
        )
        reply: Reply[Any] = Reply.model_validate_json(msg.data)
        return None if reply.ok else f"unhealthy reply: {reply.error}"
    except Exception as exc:  # no responders, timeout, garbage
        return f"no health reply: {exc!r}"
    finally:
        await nc.close()


def check_gateway(settings: GatewaySettings, timeout: float = TIMEOUT_S) -> str | None:
    # The gateway may listen on 0.0.0.0 inside a container; ask it on loopback.
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host
    try:
        r = httpx.get(f"http://{host}:{settings.port}/healthz", timeout=timeout)
    except httpx.HTTPError as exc:
        return f"no answer on {host}:{settings.port}: {exc!r}"
    return None if r.status_code == 200 else f"/healthz answered {r.status_code}: {r.text[:300]}"


def check(service: str) -> str | None:
    settings = SETTINGS_BY_SERVICE[service]()  # same environment as the service
    if isinstance(settings, GatewaySettings):
        return check_gateway(settings)
    return asyncio.run(check_backend(settings))


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in SETTINGS_BY_SERVICE:
        print(f"usage: python -m cascade.healthcheck {{{','.join(SETTINGS_BY_SERVICE)}}}", file=sys.stderr)
        return 1  # Docker reserves exit code 2
    try:
        problem = check(argv[0])
    except ValidationError as exc:
        problem = f"settings: {exc}"
    if problem:
        print(f"{argv[0]}: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
