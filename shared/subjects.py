"""Every NATS subject and stream name Cascade uses. Nothing else builds one.

Event subjects read namespace first, identifiers last:

    evt.<aggregate>.<origin-node>.<destination-node>.<event>

A fact that stays on its node has destination == origin
(``evt.notice.gd.gd.issued``). A copy addressed to a linked node names that
node (``evt.notice.gd.sz.issued`` travels from gd down to sz;
``evt.notice.sz.gd.acknowledged`` travels up). Consumers on node N filter
``evt.<aggregate>.*.N.<event>`` and so see local facts and copies from linked
nodes alike. (The leading literal token is required: a stream subject that
starts with a wildcard overlaps the JetStream API.)

Streams on node N (each node has its own JetStream domain, so names only need
to be unique per node; the node id is in them so that several nodes can share
one nats-server in tests):

- ``EVENTS_N``   captures ``evt.*.N.N.*`` (local facts) and *sources* the copies
                 that linked nodes address to N;
- ``OUTBOX_N``   captures ``evt.*.N.<neighbour>.*`` (copies for linked nodes) and
                 is what the neighbours source from;
- ``DEADLETTER_N`` captures ``dlq.N.>``: messages a consumer could not parse;
- ``WORK_N``     captures ``work.N.>``: a work queue of jobs a service hands to
                 itself (e.g. messages to send), taken once by whichever replica
                 is free. Jobs are not facts, so they stay out of ``EVENTS_N``
                 and never cross a link.

Requests (commands and queries, core NATS request/reply) are
``rpc.N.<service>.<action>``. They never cross a link between nodes.

Links between nodes (cascade/federation.py): ``OUTBOX_N`` holds one durable
consumer per neighbour M, ``link_M``, filtered to ``evt.*.N.M.*`` and pushing
to ``link.N.M``; ``EVENTS_M`` sources ``OUTBOX_N`` through that consumer and
the JetStream API of N's domain (``$JS.N.API``). ``link.N.M`` is the only data
subject that crosses the leafnode between N and M (plus JetStream's own flow
control, consumer-reset and reply subjects for that one consumer).
"""

from typing import Final

SERVICES: Final = ("notices", "submissions", "notifications", "reports", "gateway")


def split_type(event_type: str) -> tuple[str, str]:
    aggregate, _, name = event_type.partition(".")
    if not aggregate or not name or "." in name:
        raise ValueError(f"event type must be '<aggregate>.<event>', got {event_type!r}")
    return aggregate, name


def event(event_type: str, origin: str, dest: str | None = None) -> str:
    """Subject of an event published at ``origin`` for ``dest`` (default: stays local)."""
    aggregate, name = split_type(event_type)
    return f"evt.{aggregate}.{origin}.{dest or origin}.{name}"


def incoming(event_type: str, node: str) -> str:
    """Filter for consumers on ``node``: local facts and copies from linked nodes."""
    aggregate, name = split_type(event_type)
    return f"evt.{aggregate}.*.{node}.{name}"


def from_node_to(origin: str, dest: str) -> str:
    """Filter for everything ``origin`` addresses to ``dest`` (what ``dest`` sources)."""
    return f"evt.*.{origin}.{dest}.*"


def events_stream(node: str) -> str:
    return f"EVENTS_{node}"


def events_stream_subjects(node: str) -> list[str]:
    return [from_node_to(node, node)]


def outbox_stream(node: str) -> str:
    return f"OUTBOX_{node}"


def outbox_stream_subjects(node: str, neighbours: list[str]) -> list[str]:
    return [from_node_to(node, n) for n in neighbours]


def deadletter_stream(node: str) -> str:
    return f"DEADLETTER_{node}"


def deadletter_stream_subjects(node: str) -> list[str]:
    return [f"dlq.{node}.>"]


def work_stream(node: str) -> str:
    return f"WORK_{node}"


def work_stream_subjects(node: str) -> list[str]:
    return [f"work.{node}.>"]


def work(node: str, service: str, job: str) -> str:
    """Subject of a job of ``service`` on ``node`` (consumed by that service alone)."""
    return f"work.{node}.{service}.{job}"


def dead_letter(node: str, service: str, consumer: str) -> str:
    return f"dlq.{node}.{service}.{consumer}"


def rpc(node: str, service: str, action: str) -> str:
    return f"rpc.{node}.{service}.{action}"


def durable(node: str, service: str, name: str) -> str:
    """Durable consumer name: one per (service, handler), shared by every replica of the service."""
    return f"{node}_{service}_{name}"


# ---------------------------------------------------------------- links between nodes


def origin_of(subject: str) -> str | None:
    """The origin-node token of an event subject (``None`` for anything else)."""
    parts = subject.split(".")
    return parts[2] if len(parts) == 5 and parts[0] == "evt" else None


def link_consumer(dest: str) -> str:
    """Durable consumer on the OUTBOX of a node that feeds neighbour ``dest``."""
    return f"link_{dest}"


def link_deliver(origin: str, dest: str) -> str:
    """Where ``origin``'s link consumer pushes the copies for ``dest`` (crosses the leafnode)."""
    return f"link.{origin}.{dest}"


def stamp_origin(origin: str, dest: str) -> tuple[str, str]:
    """(source, destination) of a subject transform that rewrites the origin token.

    Applied to what ``dest`` sources from ``origin``: whatever a neighbour
    sends lands under that neighbour's name, so no node can speak for another.
    """
    return f"evt.*.*.{dest}.*", f"evt.{{{{wildcard(1)}}}}.{origin}.{dest}.{{{{wildcard(3)}}}}"


def js_api(domain: str) -> str:
    """The JetStream API prefix of another node's domain."""
    return f"$JS.{domain}.API"


def js_consumer_reset(domain: str, stream: str, consumer: str) -> str:
    """The API call a sourcing node makes on the node that holds its durable consumer (ADR-58)."""
    return f"{js_api(domain)}.CONSUMER.RESET.{stream}.{consumer}"


def js_flow_control(stream: str, consumer: str) -> str:
    """Flow-control replies that acknowledge what a durable source consumer delivered."""
    return f"$JS.FC.{stream}.{consumer}.*"


JS_API_REPLIES: Final = "$JSC.R.*"  # replies to JetStream API calls made by a server on behalf of a stream
