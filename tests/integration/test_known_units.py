"""Units of other levels, kept from the notices received (services/notices/handlers/known_units.py), on the store
the suite runs: the newest notice's names win, and an older or repeated notice is no error.

The default store answers an upsert whose filter misses an existing ``_id`` without ``nModified``; written as
one ``bulk_write``, PyMongo raised a ``KeyError`` for it rather than a ``BulkWriteError``, so a notice arriving
after a newer one from the same issuer (or a second copy of one) failed every time until it was dead-lettered.
"""

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
from pymongo import AsyncMongoClient

from services.notices.handlers.deps import Deps
from services.notices.handlers.known_units import known_unit, remember
from shared.schemas import NoticeSnapshot, UnitKind, UnitRef

AT = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def deps(servers):
    client: AsyncMongoClient = AsyncMongoClient(servers.mongo_url, tz_aware=True)
    name = f"known_{uuid.uuid4().hex[:8]}"
    yield cast(Deps, SimpleNamespace(repo=SimpleNamespace(svc=SimpleNamespace(db=client[name])), node="city"))
    await client.drop_database(name)
    await client.close()


def received(name: str, at: datetime) -> NoticeSnapshot:
    """A notice from the province: only what ``remember`` reads."""
    issuer = UnitRef(unit_id="gd-kx", name=name, kind=UnitKind.kexie, node_id="prov")
    fields: dict[str, Any] = {"notice_id": f"n-{at:%H%M%S}", "issued_at": at, "issuers": [issuer], "route_units": []}
    return NoticeSnapshot.model_construct(**fields)


async def test_the_newest_notice_names_a_unit_and_older_or_repeated_ones_change_nothing(deps):
    await remember(received("广东省科协", AT), deps)
    await remember(received("广东省科学技术协会", AT + timedelta(hours=1)), deps)
    await remember(received("广东省科协（旧）", AT), deps)  # arrived late
    await remember(received("广东省科学技术协会（重复）", AT + timedelta(hours=1)), deps)  # same time: not newer
    assert await known_unit("gd-kx", deps) == {
        "_id": "gd-kx",
        "name": "广东省科学技术协会",
        "kind": "科协",
        "node_id": "prov",
        "contacts": [],
        "external": True,
    }
