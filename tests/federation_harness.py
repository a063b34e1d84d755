"""Linked nodes on this machine, for the federation tests and benchmarks.

Each node runs its own nats-server (its own JetStream domain) from the config
``cascade up`` renders, linked to its parent as a leafnode with credentials
made by ``federation.link_child``, its streams and link consumers set up by
``federation.configure`` — the production code paths. The nodes share the
session's FerretDB (databases are per node id, so they stay apart). A
``LinkProxy`` can sit between a child and its parent to cut the link the way
a network does.
"""

import asyncio
import contextlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
from pymongo import AsyncMongoClient

from cascade import federation
from cascade.nats_conf import nats_config
from cascade.node import NodeConfig, Ports
from cascade.processes import Proc, free_port, start_nats
from shared import subjects

from .harness import BACKEND, Servers, TestNode


class LinkProxy:
    """A TCP relay in front of a parent's leafnode port; ``cut()`` drops the link, ``restore()`` heals it."""

    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.target_port = target_port
        self.port = free_port(host)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    async def cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()  # no new connections
        for w in list(self._writers):
            w.transport.abort()  # and the open ones drop, as on a pulled cable
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    async def restore(self) -> None:
        if self._server is None:
            await self.start()


@dataclass
class FedNode(TestNode):
    """A node of a linked topology: its own nats-server, names on the shared store."""

    cfg: NodeConfig = field(kw_only=True)
    nats: Proc | None = None
    proxy: LinkProxy | None = None

    @property
    def id(self) -> str:
        return self.node_id

    def settings(self, service: str, **overrides):
        return super().settings(service, **{"linked_nodes": self.cfg.neighbours, **overrides})

    def env(self, service: str) -> dict[str, str]:
        return {**super().env(service), "CASCADE_LINKED_NODES": json.dumps(self.cfg.neighbours)}

    # ---- nats-server

    def start_nats(self) -> None:
        self.cfg.root.mkdir(parents=True, exist_ok=True)
        conf = self.cfg.path("nats.conf")
        conf.write_text(nats_config(self.cfg), encoding="utf-8")
        log = self.cfg.path("logs", "nats-server.log")
        if self.nats is None:
            self.nats = start_nats(conf, self.cfg.host, self.cfg.ports.nats, log)
        else:
            self.nats.start()
            from cascade.processes import wait_port

            wait_port(self.cfg.host, self.cfg.ports.nats, proc=self.nats)

    def check_own_server(self, timeout: float = 10.0) -> None:
        """The server answering on our ports is ours (named after the node), not a process that took a port
        between ``free_port()`` and our bind (other test runs share the machine)."""
        import time

        assert self.nats is not None, "start_nats() first"
        deadline = time.monotonic() + timeout
        while True:
            if not self.nats.alive:
                raise PortTaken(f"{self.id}: nats-server exited (a port was taken?):\n{self.nats.tail()}")
            try:
                varz = httpx.get(f"http://{self.cfg.host}:{self.cfg.ports.nats_http}/varz", timeout=2).json()
                if varz.get("server_name") == self.id:
                    return
                raise PortTaken(f"{self.id}: another server ({varz.get('server_name')}) answers on its ports")
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise PortTaken(f"{self.id}: no monitoring answer on port {self.cfg.ports.nats_http}")
            time.sleep(0.1)

    def stop_nats(self, *, kill: bool = False) -> None:
        if self.nats is not None:
            self.nats.kill() if kill else self.nats.stop()

    def nats_log(self) -> str:
        return self.cfg.path("logs", "nats-server.log").read_text(errors="replace")

    async def configure(self) -> None:
        nc = await nats.connect(self.cfg.nats_url)
        try:
            await federation.configure(nc.jetstream(), self.cfg)
        finally:
            await nc.close()

    async def stream_messages(self, stream: str) -> int:
        nc = await nats.connect(self.cfg.nats_url)
        try:
            return (await nc.jetstream().stream_info(stream)).state.messages
        finally:
            await nc.close()

    async def subjects_in(self, stream: str) -> dict[str, int]:
        nc = await nats.connect(self.cfg.nats_url)
        try:
            return (await nc.jetstream().stream_info(stream, subjects_filter=">")).state.subjects or {}
        finally:
            await nc.close()

    async def leaf_links(self) -> int:
        async with httpx.AsyncClient() as http:
            r = await http.get(f"http://{self.cfg.host}:{self.cfg.ports.nats_http}/leafz")
            return len(r.json().get("leafs") or [])

    async def cleanup(self) -> None:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.servers.mongo_url)
        try:
            for service in (*BACKEND, "gateway"):
                await client.drop_database(f"{self.node_id}_{service}")
        finally:
            await client.close()


class PortTaken(RuntimeError):
    pass


def _ports() -> Ports:
    taken: set[int] = set()
    while len(taken) < 5:
        taken.add(free_port())
    p = sorted(taken)
    return Ports(nats=p[0], nats_http=p[1], leafnodes=p[2], ferretdb=p[3], gateway=p[4])


async def build(
    servers: Servers, workdir: Path, shape: dict[str, str | None], *, proxied: bool = False, attempts: int = 3
) -> dict[str, FedNode]:
    """Nodes named by ``shape`` (name → parent name or None, parents first), started, linked and configured.

    With ``proxied`` every child reaches its parent through a ``LinkProxy``.
    A port taken by another process before a server bound it: built again on new ports.
    """
    for attempt in range(attempts):
        try:
            return await _build(servers, workdir / f"try{attempt}" if attempt else workdir, shape, proxied=proxied)
        except PortTaken:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


async def _build(servers: Servers, workdir: Path, shape: dict[str, str | None], *, proxied: bool) -> dict[str, FedNode]:
    suffix = secrets.token_hex(2)
    cfgs: dict[str, NodeConfig] = {}
    proxies: dict[str, LinkProxy] = {}
    for name in shape:
        cfgs[name] = NodeConfig(node_id=f"{name}-{suffix}", name=name, data_dir=workdir / name, ports=_ports())
    for name, parent in shape.items():
        if parent is None:
            continue
        url = None
        if proxied:
            proxies[name] = LinkProxy(cfgs[parent].ports.leafnodes)
            url = f"nats-leaf://127.0.0.1:{proxies[name].port}"
        cfgs[parent], link = federation.link_child(cfgs[parent], cfgs[name].node_id, url=url)
        cfgs[name] = cfgs[name].model_copy(update={"parent": link})
    nodes = {}
    for name, cfg in cfgs.items():
        node_servers = Servers(nats_url=cfg.nats_url, mongo_url=servers.mongo_url, workdir=workdir / name)
        nodes[name] = FedNode(servers=node_servers, node_id=cfg.node_id, cfg=cfg, proxy=proxies.get(name))
    try:
        for node in nodes.values():
            if node.proxy:
                await node.proxy.start()
            node.start_nats()  # not in a worker thread: the kernel ends a child when the thread that started it exits
            node.check_own_server()
    except (PortTaken, RuntimeError, TimeoutError) as exc:
        for node in nodes.values():
            if node.proxy:
                await node.proxy.cut()
            node.stop_nats()
        raise exc if isinstance(exc, PortTaken) else PortTaken(str(exc)) from exc
    for node in nodes.values():
        await node.configure()
    await wait_linked(nodes.values())
    return nodes


async def wait_linked(nodes, timeout: float = 60.0) -> None:
    """Until every parent sees all its children connected as leafnodes."""
    deadline = asyncio.get_running_loop().time() + timeout
    for node in nodes:
        while await node.leaf_links() < len(node.cfg.children) + (1 if node.cfg.parent else 0):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{node.id}: links not up after {timeout}s")
            await asyncio.sleep(0.1)


async def teardown(nodes: dict[str, FedNode]) -> None:
    for node in nodes.values():
        if node.proxy:
            await node.proxy.cut()
        node.stop_nats()
        with contextlib.suppress(Exception):
            await node.cleanup()


def link_consumer_waiting(node: FedNode, dest: FedNode):
    """Copies ``node`` still holds for ``dest`` (not yet stored there)."""

    async def check() -> int:
        nc = await nats.connect(node.cfg.nats_url)
        try:
            info = await nc.jetstream().consumer_info(subjects.outbox_stream(node.id), subjects.link_consumer(dest.id))
            return info.num_pending + info.num_ack_pending
        finally:
            await nc.close()

    return check
