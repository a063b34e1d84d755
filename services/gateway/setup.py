"""Writing into a node's gateway database from outside a running gateway, with the gateway's own classes.

Users (``cascade create-admin``, the logins of ``cascade demo``) and API
tokens for tools that drive a whole node over HTTP (the demo, benchmarks,
tests). The node tooling (cascade/) calls these; it never writes gateway
documents itself. This module stays at the top of the package: it is what
the tooling outside the gateway imports.
"""

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from shared.clock import SystemClock
from shared.settings import GatewaySettings
from shared.storage import ensure_indexes

from .core.audit import AuditLog
from .core.node_unit import NodeUnit
from .core.tokens import TokenStore
from .core.users import Accounts, Policy


def _client(mongo_url: str) -> AsyncMongoClient:
    return AsyncMongoClient(mongo_url, tz_aware=True, serverSelectionTimeoutMS=10_000)


def _database(client: AsyncMongoClient, node_id: str) -> AsyncDatabase:
    """The node's gateway database, named as ``GatewaySettings.database`` names it (``<node>_gateway``)."""
    return client[f"{node_id}_{GatewaySettings.service}"]


async def create_user(
    mongo_url: str,
    node_id: str,
    *,
    admin_unit: str | None,
    username: str,
    unit_id: str,
    display_name: str,
    password: str,
    roles: list[str],
) -> dict:
    """A user made from the command line (no acting user), who need not change the password given.

    ``admin_unit`` is the node's configured ``org_unit_id``; without one, the
    first admin made this way names the node's unit (services/gateway/core/node_unit.py).
    """
    from .app import INDEXES  # here, so that a tool importing this module does not load the web app

    client = _client(mongo_url)
    try:
        db = _database(client, node_id)
        await ensure_indexes(db, INDEXES)
        clock = SystemClock()
        accounts = Accounts(db, clock=clock, audit=AuditLog(db, clock), policy=Policy(admin_unit=admin_unit))
        user, _ = await accounts.create(
            None,
            username=username,
            display_name=display_name,
            unit_id=unit_id,
            roles=roles,
            password=password,
            must_change_password=False,
        )
        return user
    finally:
        await client.close()


async def create_api_token(mongo_url: str, node_id: str, unit_id: str, *roles: str, name: str = "tool") -> str:
    """An API token for ``unit_id`` with ``roles``, written straight into the node's gateway database.

    An admin token made this way names the node's own unit when none is recorded yet, as ``create-admin``
    does (a configured ``org_unit_id`` still wins: services/gateway/core/node_unit.py).
    """
    client = _client(mongo_url)
    try:
        db = _database(client, node_id)
        _, raw = await TokenStore(db).create(
            name=name, unit_id=unit_id, roles=list(roles), created_by="cli", now=SystemClock().now()
        )
        if "admin" in roles:
            await NodeUnit(db, None).claim(unit_id, by="cli")
        return raw
    finally:
        await client.close()
