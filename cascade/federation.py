"""Linking nodes: leafnode config, each child's leafnode user, and the streams between neighbours.

Verified on nats-server 2.15.1 (../shared/design/ARCHITECTURE.md, Federation):

- A child's nats-server connects to its parent's as a **leafnode**; every node
  has its own JetStream domain (= node id). The parent's leafnode listener has
  ``no_advertise`` so the child always uses the URL it was given.
- **Copies travel by durable sourcing** (ADR-58). On node N, ``OUTBOX_N`` (a
  work-queue stream) captures the copies N addresses to each neighbour M; a
  durable push consumer ``link_M`` on it (``AckPolicy=flow_control``) pushes
  them to ``link.N.M``; M's ``EVENTS_M`` sources ``OUTBOX_N`` through that
  consumer via ``$JS.N.API``. The flow-control replies are the acks: a copy
  leaves ``OUTBOX_N`` only once ``EVENTS_M`` has stored it, so a node that is
  down or cut off for any time loses nothing, and a restarted node catches up
  in seconds (plain sourcing stalled ~40 s here). The consumers of one
  OUTBOX filter on different destination tokens, so they never overlap (a
  work-queue stream requires that).
- **Each child has its own leafnode user on the parent** (a generated password,
  only its bcrypt hash kept by the parent) whose permissions admit exactly the
  subjects of that one link; nothing else crosses, in particular no ``rpc.``
  request and no sibling's link. The node's own ``app`` user (used by local
  services without credentials) may not be used by a leafnode at all.
- **A neighbour cannot speak for another node**: EVENTS rewrites the origin
  token of everything it sources from M to M (a subject transform), and the
  consumers dead-letter an event whose body names another origin.
"""

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Protocol

import bcrypt
import nats
import nats.errors
import nats.js.api as js_api
from nats.js import JetStreamContext
from nats.js.errors import APIError, NotFoundError, ServiceUnavailableError

from shared import subjects
from shared.bus import DUPLICATE_WINDOW_S, EVENTS_MAX_AGE_S, node_stream_configs, reconcile_stream, stream_name

from .node import ChildLink, NodeConfig, ParentLink, quote

# An idle link still sends a heartbeat, which carries the flow-control ack of
# the last copies delivered: it bounds how long a delivered copy waits to leave OUTBOX.
LINK_HEARTBEAT_S = 1.0
# Copies in flight on a link before the sender waits for a flow-control ack.
LINK_MAX_ACK_PENDING = 5_000


# ---------------------------------------------------------------- credentials


def new_password() -> str:
    """A leafnode password: URL-safe, so it can sit in a ``nats-leaf://user:pw@host`` URL."""
    return secrets.token_urlsafe(32)


def hash_password(password: str) -> str:
    """bcrypt, which nats-server checks natively: the parent never stores a child's password."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=11)).decode()


def password_matches(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), hashed.encode())
    except ValueError:
        return False


# ---------------------------------------------------------------- nats-server config


def leaf_permissions(parent: str, child: str) -> dict[str, list[str]]:
    """The permissions of ``child``'s leafnode user on ``parent``.

    nats-server reads leafnode permissions from the LEAF's point of view:
    ``publish`` is what the child may send up into the parent, ``subscribe``
    what the parent may send down to the child. Each side carries its own
    link's data subject, the flow-control acks and consumer resets of the one
    durable consumer the other side sources through, and the replies to those
    API calls.
    """
    up = subjects.outbox_stream(child), subjects.link_consumer(parent)  # child's consumer for the parent
    down = subjects.outbox_stream(parent), subjects.link_consumer(child)  # parent's consumer for the child
    return {
        "publish": [
            subjects.link_deliver(child, parent),
            subjects.js_flow_control(*down),
            subjects.js_consumer_reset(parent, *down),
            subjects.JS_API_REPLIES,
        ],
        "subscribe": [
            subjects.link_deliver(parent, child),
            subjects.js_flow_control(*up),
            subjects.js_consumer_reset(child, *up),
            subjects.JS_API_REPLIES,
        ],
    }


def _list(values: list[str]) -> str:
    return "[" + ", ".join(quote(v) for v in values) + "]"


def leafnodes_block(cfg: NodeConfig, *, listen_host: str, leaf_port: int) -> list[str]:
    """The ``leafnodes { … }`` lines: a listener if the node has children, a remote if it has a parent."""
    if not (cfg.parent or cfg.children):
        return []
    lines = ["leafnodes {"]
    if cfg.children:
        lines += [
            f"  listen: {quote(f'{listen_host}:{leaf_port}')}",
            # Else a child learns this address from INFO and may bypass the URL it was given.
            "  no_advertise: true",
        ]
    if cfg.parent:
        p = cfg.parent
        url = p.url.replace("nats-leaf://", f"nats-leaf://{p.user}:{p.password}@", 1)
        lines += ["  reconnect: 1s", f"  remotes: [ {{ url: {quote(url)}, account: APP }} ]"]
    lines.append("}")
    return lines


def child_users(cfg: NodeConfig) -> list[str]:
    """One APP-account user per child, usable only by a leafnode, with that link's permissions."""
    users = []
    for child in cfg.children:
        perms = leaf_permissions(cfg.node_id, child.node_id)
        users.append(
            "{"
            f"user: {quote(child.user)}, password: {quote(child.password_hash)}, "
            'allowed_connection_types: ["LEAFNODE"], '
            f"permissions: {{ publish: {{ allow: {_list(perms['publish'])} }}, "
            f"subscribe: {{ allow: {_list(perms['subscribe'])} }} }}"
            "}"
        )
    return users


# ---------------------------------------------------------------- streams and consumers


class Links(Protocol):
    """What the streams of a node depend on: its id and the nodes it is linked to (a ``NodeConfig`` has both)."""

    @property
    def node_id(self) -> str: ...

    @property
    def neighbours(self) -> list[str]: ...


@dataclass(frozen=True)
class Topology:
    """A node's links without their credentials: what a container knows from its environment
    (``CASCADE_NODE_ID``, ``CASCADE_LINKED_NODES``), enough to set up its streams."""

    node_id: str
    neighbours: list[str] = field(default_factory=list)


def outbox_config(cfg: Links) -> js_api.StreamConfig | None:
    if not cfg.neighbours:
        return None
    return js_api.StreamConfig(
        name=subjects.outbox_stream(cfg.node_id),
        subjects=subjects.outbox_stream_subjects(cfg.node_id, cfg.neighbours),
        # A copy is removed once its neighbour has stored it (flow-control ack).
        retention=js_api.RetentionPolicy.WORK_QUEUE,
        storage=js_api.StorageType.FILE,
        max_age=EVENTS_MAX_AGE_S,
        duplicate_window=DUPLICATE_WINDOW_S,
        description=f"Copies node {cfg.node_id} addresses to its linked nodes, until they have them",
    )


def link_consumer_config(node: str, dest: str) -> js_api.ConsumerConfig:
    """The durable consumer on ``OUTBOX_<node>`` that ``dest`` sources through (ADR-58's constraints)."""
    return js_api.ConsumerConfig(
        durable_name=subjects.link_consumer(dest),
        description=f"Copies for node {dest}, sourced by its EVENTS stream",
        deliver_subject=subjects.link_deliver(node, dest),
        deliver_policy=js_api.DeliverPolicy.ALL,
        ack_policy=js_api.AckPolicy.FLOW_CONTROL,
        flow_control=True,
        idle_heartbeat=LINK_HEARTBEAT_S,
        max_deliver=-1,
        max_ack_pending=LINK_MAX_ACK_PENDING,
        filter_subject=subjects.from_node_to(node, dest),
    )


def events_sources(cfg: Links) -> list[js_api.StreamSource]:
    """What ``EVENTS_<node>`` sources: each neighbour's OUTBOX, through the consumer kept for this node."""
    node = cfg.node_id
    sources = []
    for neighbour in cfg.neighbours:
        src, dest = subjects.stamp_origin(neighbour, node)
        sources.append(
            js_api.StreamSource(
                name=subjects.outbox_stream(neighbour),
                external=js_api.ExternalStream(api=subjects.js_api(neighbour)),
                consumer=js_api.StreamConsumerSource(
                    name=subjects.link_consumer(node), deliver_subject=subjects.link_deliver(neighbour, node)
                ),
                subject_transforms=[js_api.SubjectTransform(src=src, dest=dest)],
            )
        )
    return sources


def stream_configs(cfg: Links) -> list[js_api.StreamConfig]:
    """Every stream of the node: EVENTS (sourcing its neighbours), DEADLETTER, and OUTBOX if linked."""
    streams = []
    for stream in node_stream_configs(cfg.node_id):
        if stream.name == subjects.events_stream(cfg.node_id) and cfg.neighbours:
            stream.sources = events_sources(cfg)
        streams.append(stream)
    outbox = outbox_config(cfg)
    return streams + ([outbox] if outbox else [])


async def configure(js: JetStreamContext, cfg: Links) -> None:
    """Bring the node's streams and link consumers in line with its config (idempotent).

    OUTBOX and its consumers come first, so a neighbour that sources from us
    finds its consumer; EVENTS last. Consumers of neighbours no longer linked
    are deleted with the copies still waiting for them.
    """
    node = cfg.node_id
    outbox = outbox_config(cfg)
    if outbox is not None:
        await reconcile_stream(js, outbox)
        name = stream_name(outbox)
        wanted = {subjects.link_consumer(n): n for n in cfg.neighbours}
        for info in await js.consumers_info(name):
            if info.name not in wanted:
                await js.delete_consumer(name, info.name)
        for dest in cfg.neighbours:
            await _ensure_consumer(js, name, link_consumer_config(node, dest))
    else:
        try:
            await js.delete_stream(subjects.outbox_stream(node))
        except NotFoundError:
            pass
    for stream in stream_configs(cfg):
        if stream.name != subjects.outbox_stream(node):
            await reconcile_stream(js, stream)


async def _ensure_consumer(js: JetStreamContext, stream: str, config: js_api.ConsumerConfig) -> None:
    durable = config.durable_name
    if not durable:
        raise ValueError(f"a link consumer without a durable name: {config}")
    try:
        current = (await js.consumer_info(stream, durable)).config
    except NotFoundError:
        await js.add_consumer(stream, config)
        return
    if (current.deliver_subject, current.filter_subject) != (config.deliver_subject, config.filter_subject):
        # Not updatable in place; its undelivered copies stay in the work queue for the new one.
        await js.delete_consumer(stream, durable)
        await js.add_consumer(stream, config)


async def _quiet(exc: Exception) -> None:
    """nats-py logs every failed connect with a traceback; configure_at says itself what went wrong."""


async def configure_at(nats_url: str, cfg: Links, *, timeout: float = 60.0) -> list[str]:
    """``configure`` the node's nats-server at ``nats_url``, waiting for it (and JetStream) up to ``timeout``.

    What ``cascade up`` does before it starts the services, and what the
    one-shot ``configure-streams`` service of docker-compose.yml does before
    the Cascade containers start. Returns the names of the node's streams.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            # One try per round (nats-py's max_reconnect_attempts=0 would mean "retry forever").
            nc = await asyncio.wait_for(
                nats.connect(
                    nats_url,
                    connect_timeout=2,
                    allow_reconnect=False,
                    max_reconnect_attempts=1,
                    reconnect_time_wait=0.1,
                    error_cb=_quiet,
                ),
                timeout=max(1.0, min(5.0, deadline - time.monotonic())),
            )
            try:
                await configure(nc.jetstream(), cfg)
                return [stream_name(s) for s in stream_configs(cfg)]
            finally:
                await nc.close()
        except APIError as exc:
            if not isinstance(exc, ServiceUnavailableError):
                raise  # JetStream refused the config itself: waiting changes nothing
            if time.monotonic() >= deadline:
                raise TimeoutError(f"JetStream of {cfg.node_id} at {nats_url} not ready: {exc!r}") from exc
            await asyncio.sleep(0.5)
        except (TimeoutError, OSError, nats.errors.Error) as exc:  # not listening yet, or JetStream starting
            if time.monotonic() >= deadline:
                raise TimeoutError(f"could not configure the streams of {cfg.node_id} at {nats_url}: {exc!r}") from exc
            await asyncio.sleep(0.5)


# ---------------------------------------------------------------- linking two configs


def leaf_url(parent: NodeConfig) -> str:
    """The default URL of the parent's leafnode listener (``--parent-url`` overrides it)."""
    return f"nats-leaf://{parent.leafnode_host or parent.host}:{parent.ports.leafnodes}"


def link_child(parent: NodeConfig, child_id: str, *, url: str | None = None) -> tuple[NodeConfig, ParentLink]:
    """Admit ``child_id`` as a child of ``parent`` with fresh credentials.

    Returns the parent's updated config (the child's leafnode user, only the
    password's hash) and the child's side of the link, which holds the only
    copy of the password. Linking a child again replaces its credentials.
    """
    password = new_password()
    child = ChildLink(node_id=child_id, user=child_id, password_hash=hash_password(password))
    children = [c for c in parent.children if c.node_id != child_id] + [child]
    updated = NodeConfig.model_validate({**parent.model_dump(exclude={"base_dir", "children"}), "children": children})
    updated = updated.model_copy(update={"base_dir": parent.base_dir})
    return updated, ParentLink(node_id=parent.node_id, url=url or leaf_url(parent), user=child.user, password=password)
