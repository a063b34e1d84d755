"""``cascade create-admin``: a node's first admin, starting the node's store if it is down.

The user is written by the gateway's own code (services/gateway/setup.py).
"""

import asyncio
import contextlib
from collections.abc import Iterator

from services.gateway.setup import create_user

from .node import NodeConfig
from .processes import port_open, start_ferretdb


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


def create_admin(
    cfg: NodeConfig, mongo_url: str | None, *, username: str, unit_id: str, display_name: str, password: str
) -> dict:
    with node_store(cfg, mongo_url) as url:
        return asyncio.run(
            create_user(
                url,
                cfg.node_id,
                admin_unit=cfg.org_unit_id,
                username=username,
                unit_id=unit_id,
                display_name=display_name,
                password=password,
                roles=["admin"],
            )
        )
