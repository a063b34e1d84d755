"""The gateway's handle on the node's services: request/reply over NATS, through each service's typed client.

``backend.notices.issue(cmd)`` sends the request its contract declares (shared/contracts) and returns the
reply model, or raises the service's ``DomainError``.
"""

import logging
from typing import Any

from faststream.nats import NatsBroker
from pydantic import BaseModel

from shared import subjects
from shared.bus import request_body
from shared.contracts.base import Action, Nothing
from shared.contracts.notices import Notices
from shared.contracts.notifications import Notifications
from shared.contracts.reports import Reports
from shared.contracts.submissions import Submissions
from shared.errors import Unavailable
from shared.settings import GatewaySettings

HEALTH_TIMEOUT_S = 2.0


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
        self.notifications = Notifications(self)

    async def start(self) -> None:
        await self.broker.connect()

    async def stop(self) -> None:
        await self.broker.stop()

    async def call(
        self, service: str, action: Action[Any, Any], payload: BaseModel, timeout: float | None = None
    ) -> bytes:
        """What the typed clients send through (contracts/base.py ``Caller``)."""
        return await request_body(
            self.broker,
            subjects.rpc(self.node, service, action.name),
            payload,
            timeout=timeout or self.settings.request_timeout,
        )

    async def health(self) -> dict[str, str]:
        out = {}
        for client in (self.notices, self.submissions, self.notifications, self.reports):
            try:
                # A short wait: /healthz must answer even when a service does not.
                await type(client)(self, timeout=HEALTH_TIMEOUT_S).health(Nothing())
                out[client.service] = "ok"
            except Unavailable as exc:
                out[client.service] = exc.code
        return out
