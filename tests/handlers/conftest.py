"""The fast tier: the services' handlers on FastStream's in-memory broker and an in-memory database.

No server is started, so a test takes milliseconds; the integration tier (tests/integration) runs the same
flows on real servers. Every service of a node shares one broker here, so an event one publishes reaches
the others' consumers, and requests reach the service that answers them, as on a node.
"""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from faststream import TestApp
from faststream.nats import NatsBroker, TestNatsBroker

from shared.bus import BusCaller
from shared.clock import Clock
from shared.contracts.notices import Notices
from shared.contracts.notifications import Notifications
from shared.contracts.reports import Reports
from shared.contracts.submissions import Submissions
from shared.settings import SETTINGS_BY_SERVICE

from ..harness import create_service_app
from ..memory_store import MemoryDatabase

NODE = "fast"
SERVICES = ("notices", "submissions", "notifications", "reports")


@dataclass
class FastNode:
    broker: NatsBroker
    notices: Notices
    submissions: Submissions
    reports: Reports
    notifications: Notifications
    dbs: dict[str, MemoryDatabase]


@contextlib.asynccontextmanager
async def fast_node(
    tmp: Path, services=SERVICES, clock: Clock | None = None, overrides: dict[str, dict] | None = None
) -> AsyncIterator[FastNode]:
    broker = NatsBroker()
    dbs = {s: MemoryDatabase(f"{NODE}_{s}") for s in services}
    apps = []
    for s in services:
        settings = SETTINGS_BY_SERVICE[s](
            node_id=NODE,
            nats_url="nats://127.0.0.1:1",
            mongo_url="mongodb://127.0.0.1:1",
            data_dir=tmp / "files",
            log_level="WARNING",
            **(overrides or {}).get(s, {}),
        )
        apps.append(create_service_app(s, settings, clock, broker=broker, db=dbs[s]))
    async with TestNatsBroker(broker) as test_broker, contextlib.AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(TestApp(app))
        caller = BusCaller(test_broker, NODE)
        yield FastNode(test_broker, Notices(caller), Submissions(caller), Reports(caller), Notifications(caller), dbs)


@pytest.fixture
def tmp(tmp_path) -> Path:
    return tmp_path
