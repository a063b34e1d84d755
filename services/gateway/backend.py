"""The gateway's handle on the node's services: request/reply over NATS, through each service's typed client.

``backend.notices.issue(cmd)`` sends the request its contract declares (shared/contracts) and returns the
reply model, or raises the service's ``DomainError``.
"""

import logging
from typing import Any

from faststream.nats import NatsBroker
from pydantic import BaseModel

from shared import subjects
from shared.bus import request
from shared.contracts.notices import Notices
from shared.contracts.reports import Reports
from shared.contracts.submissions import Submissions
from shared.errors import Unavailable
from shared.settings import GatewaySettings

HEALTH_TIMEOUT_S = 2.0
BACKEND_SERVICES = ("notices", "submissions", "notifications", "reports")


class Backend:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.node = settings.node_id
        self.broker = NatsBroker(
            settings.nats_url,
            logger=logging.getLogger("faststream.gateway"),
            log_level=logging.DEBUG,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
        )
        self.notices = Notices(self)
        self.submissions = Submissions(self)
        self.reports = Reports(self)

    async def start(self) -> None:
        await self.broker.connect()

    async def stop(self) -> None:
        await self.broker.stop()

    async def call(self, service: str, action: Any, payload: BaseModel | dict | None = None,
                   timeout: float | None = None) -> Any:
        name = action if isinstance(action, str) else action.name
        return await request(
            self.broker,
            subjects.rpc(self.node, service, name),
            payload if payload is not None else {},
            timeout=timeout or self.settings.request_timeout,
        )

    async def health(self) -> dict[str, str]:
        out = {}
        for service in BACKEND_SERVICES:
            try:
                await self.call(service, "health", timeout=HEALTH_TIMEOUT_S)
                out[service] = "ok"
            except Unavailable as exc:
                out[service] = exc.code
        return out
