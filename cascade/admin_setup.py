"""Writing into a node's gateway database from outside the gateway.

``cascade create-admin`` (starting the node's store if it is down), and API
tokens for tools that drive a whole node over HTTP (benchmarks, tests).
"""

import asyncio
import contextlib
from collections.abc import Iterator

from pymongo import AsyncMongoClient

from .clock import SystemClock
from .node import NodeConfig
from .processes import port_open, start_ferretdb
from .storage import ensure_indexes


@contextlib.contextmanager
def node_store(cfg: NodeConfig, mongo_url: str | None) -> Iterator[str]:
    """The URL of the node's store; the node's FerretDB is started for the duration when it is not running."""
    if mongo_url:
        yield mongo_url
        return
    if port_open(cfg.host, cfg.ports.ferretdb):
        yield cfg.ferretdb_url  # the node is up (`cascade up`): use its store
        return
    proc = start_ferretdb(cfg.host, cfg.ports.ferretdb, cfg.path("ferretdb"), cfg.path("logs", "ferretdb.log"))
    try:
        yield cfg.ferretdb_url
    finally:
        proc.stop()


def create_admin(cfg: NodeConfig, mongo_url: str | None, *, username: str, unit_id: str, display_name: str,
                 password: str) -> dict:
    with node_store(cfg, mongo_url) as url:
        return asyncio.run(_create(url, cfg.node_id, cfg.org_unit_id, username=username, unit_id=unit_id,
                                   display_name=display_name, password=password))


async def _create(url: str, node_id: str, admin_unit: str | None, **fields: str) -> dict:
    from services.gateway.app import INDEXES
    from services.gateway.audit import AuditLog
    from services.gateway.users import Accounts, Policy

    client = AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=10_000)
    try:
        db = client[f"{node_id}_gateway"]
        await ensure_indexes(db, INDEXES)
        clock = SystemClock()
        accounts = Accounts(db, clock=clock, audit=AuditLog(db, clock), policy=Policy(admin_unit=admin_unit))
        user, _ = await accounts.create(None, roles=["admin"], must_change_password=False, **fields)
        return user
    finally:
        await client.close()


async def create_api_token(mongo_url: str, node_id: str, unit_id: str, *roles: str, name: str = "tool") -> str:
    """An API token for ``unit_id`` with ``roles``, written straight into the node's gateway database.

    An admin token made this way names the node's own unit when none is recorded yet, as ``create-admin``
    does (a configured ``org_unit_id`` still wins: services/gateway/node_unit.py).
    """
    from services.gateway.node_unit import NodeUnit
    from services.gateway.tokens import TokenStore

    client = AsyncMongoClient(mongo_url, tz_aware=True, serverSelectionTimeoutMS=10_000)
    try:
        db = client[f"{node_id}_gateway"]
        _, raw = await TokenStore(db).create(
            name=name, unit_id=unit_id, roles=list(roles), created_by="cli", now=SystemClock().now()
        )
        if "admin" in roles:
            await NodeUnit(db, None).claim(unit_id, by="cli")
        return raw
    finally:
        await client.close()
