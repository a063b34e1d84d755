"""NATS helpers: stream topology, event publishing, request/reply, dead letters.

Two middlewares give every handler the same contract:

- ``EventConsumer`` (JetStream subscribers): a message that cannot be parsed or
  validated is a poison message — it goes to the node's dead-letter stream with
  the error and is acked, so the consumer keeps running. Any other error is
  taken as transient: the message is redelivered with backoff, and dead-lettered
  only after ``MAX_ATTEMPTS``.
  A handler that raises ``RetryLater`` has its message offered again with a
  growing delay and no attempt limit: it decides itself when to give up.
- ``RpcReplies`` (core request/reply): the handler's result becomes
  ``Reply(ok=True, data=…)``; a validation error or ``DomainError`` becomes
  ``Reply(ok=False, error=Problem)`` so the caller gets a 4xx, never a timeout.
"""

import json
import logging
from collections.abc import Set
from typing import Any

import nats.js.api as js_api
from faststream.middlewares import BaseMiddleware
from faststream.nats import NatsBroker
from nats.errors import NotJSMessageError
from nats.js import JetStreamContext
from nats.js.errors import APIError, NotFoundError
from pydantic import BaseModel, ValidationError
from pydantic_core import to_json

from . import subjects
from .contracts.common import Reply, reply_bytes
from .errors import DomainError, Problem, Unavailable
from .events import Event
from .messages import described, said_of

log = logging.getLogger("cascade.bus")

MAX_ATTEMPTS = 8
DUPLICATE_WINDOW_S = 300.0
EVENTS_MAX_AGE_S = 400 * 24 * 3600.0
DEADLETTER_MAX_AGE_S = 90 * 24 * 3600.0
WORK_MAX_AGE_S = 30 * 24 * 3600.0
# A job that cannot be done yet (a mail server down) is offered again after
# 2, 4, 8 … seconds, never more than this; the handler decides when to give up.
RETRY_LATER_MAX_DELAY_S = 300.0
# FastStream waits 0.5 s for a JetStream ack by default; a loaded machine (two
# test workers, FerretDB and nats-server fsyncing on two cores) misses that.
# Retrying is safe because every publish carries a Nats-Msg-Id.
PUBLISH_ACK_TIMEOUT_S = 3.0
PUBLISH_ATTEMPTS = 3


# ---------------------------------------------------------------- streams


def _stream_config(
    name: str,
    subject_list: list[str],
    max_age: float,
    retention: js_api.RetentionPolicy = js_api.RetentionPolicy.LIMITS,
    **extra: Any,
) -> js_api.StreamConfig:
    return js_api.StreamConfig(
        name=name,
        subjects=subject_list,
        retention=retention,
        storage=js_api.StorageType.FILE,
        max_age=max_age,
        duplicate_window=DUPLICATE_WINDOW_S,
        **extra,
    )


def node_stream_configs(node: str) -> list[js_api.StreamConfig]:
    """The streams every node has, whatever its links."""
    return [
        _stream_config(
            subjects.events_stream(node),
            subjects.events_stream_subjects(node),
            EVENTS_MAX_AGE_S,
            description=f"Facts of node {node}, and copies linked nodes address to it",
        ),
        _stream_config(
            subjects.deadletter_stream(node),
            subjects.deadletter_stream_subjects(node),
            DEADLETTER_MAX_AGE_S,
            description=f"Messages the consumers of node {node} could not parse",
        ),
        _stream_config(
            subjects.work_stream(node),
            subjects.work_stream_subjects(node),
            WORK_MAX_AGE_S,
            retention=js_api.RetentionPolicy.WORK_QUEUE,
            description=f"Jobs the services of node {node} queue for themselves (messages to send)",
        ),
    ]


def stream_name(cfg: js_api.StreamConfig) -> str:
    """The stream's name: nats-py types every field of a config optional; each of ours is named."""
    if not cfg.name:
        raise ValueError(f"a stream config without a name: {cfg}")
    return cfg.name


async def ensure_streams(js: JetStreamContext, configs: list[js_api.StreamConfig]) -> None:
    """Create missing streams; leave existing ones alone.

    Services call this at start-up so that each can run on its own; the node
    runtime owns the full topology (federation sources) and reconciles it with
    ``reconcile_stream``.
    """
    for cfg in configs:
        name = stream_name(cfg)
        try:
            await js.stream_info(name)
        except NotFoundError:
            try:
                await js.add_stream(cfg)
            except Exception:  # another replica created it between our two calls
                await js.stream_info(name)


async def reconcile_stream(js: JetStreamContext, cfg: js_api.StreamConfig) -> None:
    """Create the stream, or update its subjects and sources to match ``cfg``."""
    try:
        await js.stream_info(stream_name(cfg))
    except NotFoundError:
        await js.add_stream(cfg)
        return
    await js.update_stream(cfg)


# ---------------------------------------------------------------- publishing


class RetryLater(Exception):
    """The work cannot be done yet (a mail server or gateway is down): offer the message again later.

    ``delay``: when it can be done (a provider's rate window reopens), in seconds; else the backoff grows.
    """

    def __init__(self, *args: object, delay: float | None = None) -> None:
        super().__init__(*args)
        self.delay = delay


async def publish_event(broker: NatsBroker, event: Event | dict, dest: str | None = None) -> None:
    """Publish an event to the stream that must hold it, deduplicated by ``event_id``.

    ``dest`` is the node the event is addressed to; ``None`` (or the origin
    itself) keeps it on this node. An event may come as the JSON-ready dict an
    outbox entry holds (``model_dump(mode="json")``): it is sent as it is, with
    no model made in between (a notice's event names every recipient).
    """
    body: Any
    if isinstance(event, dict):
        kind, node, event_id, body = event["type"], event["origin_node"], event["event_id"], to_json(event)
    else:
        kind, node, event_id, body = event.type, event.origin_node, event.event_id, event
    local = dest in (None, node)
    await publish_to_stream(
        broker,
        body,
        subjects.event(kind, node, dest),
        stream=subjects.events_stream(node) if local else subjects.outbox_stream(node),
        # The content type FastStream gives a model: consumers decode both alike.
        headers={"Nats-Msg-Id": event_id if local else f"{event_id}:{dest}", "content-type": "application/json"},
    )


async def publish_to_stream(broker: NatsBroker, body: Any, subject: str, *, stream: str, headers: dict) -> None:
    """Publish to JetStream and wait for the ack, retrying a slow ack (deduplicated by Nats-Msg-Id)."""
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        try:
            await broker.publish(body, subject, headers=headers, stream=stream, timeout=PUBLISH_ACK_TIMEOUT_S)
            return
        except TimeoutError:
            if attempt == PUBLISH_ATTEMPTS:
                raise
            log.warning("no ack from %s for %s (attempt %d), publishing again", stream, subject, attempt)


async def request_body(broker: NatsBroker, subject: str, command: BaseModel | dict, timeout: float = 10.0) -> bytes:
    """Send a command or query; return the reply's body, the JSON of a ``Reply`` (the typed clients read it)."""
    try:
        msg = await broker.request(command, subject, timeout=timeout)
    except TimeoutError as exc:
        raise Unavailable(f"服务无响应（{subject}）", code="timeout") from exc
    except Exception as exc:  # no responders, connection closed
        if "no responders" in str(exc).lower() or exc.__class__.__name__ == "NoRespondersError":
            raise Unavailable(f"服务不可用（{subject}）", code="no_responders") from exc
        raise
    return msg.body


async def request(broker: NatsBroker, subject: str, command: BaseModel | dict, timeout: float = 10.0) -> Any:
    """Send a command or query; return the reply's data as parsed (untyped), or raise its ``DomainError``."""
    return Reply.model_validate_json(await request_body(broker, subject, command, timeout)).result()


class BusCaller:
    """Reaches the services of one node over its bus: what a contract's client sends through (contracts/base.py)."""

    def __init__(self, broker: NatsBroker, node: str, timeout: float = 10.0) -> None:
        self.broker = broker
        self.node = node
        self.timeout = timeout

    async def call(self, service: str, action: Any, payload: BaseModel, timeout: float | None = None) -> bytes:
        return await request_body(
            self.broker, subjects.rpc(self.node, service, action.name), payload, timeout=timeout or self.timeout
        )


# ---------------------------------------------------------------- middlewares


def problem_from_validation(exc: ValidationError, skip_locs: int = 1) -> Problem:
    """Every error, the first with the others after it, each with its location as a dotted field name
    (``asks.0.deadline``) and its message in zh-CN naming the field (``报送要求 1 · 截止时间：…``)."""
    first, *others = (
        Problem(status=422, code=code, message=said_of(field, message), field=field or None)
        for field, message, code in described(exc.errors(include_url=False), skip_locs)
    )
    return first.model_copy(update={"others": others})


def _header_safe(text: str, limit: int = 2000) -> str:
    return " ".join(text.split())[:limit]


def _metadata(raw: Any) -> Any:
    """A JetStream message's delivery metadata; ``None`` for a message that did not come from a stream (the
    handler tests' in-memory broker)."""
    try:
        return raw.metadata
    except NotJSMessageError:
        return None


def event_consumer_middleware(
    broker: NatsBroker, node: str, service: str, transient: Set[str] = frozenset()
) -> type[BaseMiddleware]:
    """``transient``: durable names whose messages are removed from the stream once handled (see ``_forget``)."""

    class EventConsumer(BaseMiddleware):
        async def consume_scope(self, call_next, msg):  # type: ignore[override]
            raw = msg.raw_message
            forged = _forged_origin(raw.subject, raw.data, node)
            if forged:
                await _dead_letter(raw, forged)
                await msg.ack()
                return None
            try:
                result = await call_next(msg)
            except (ValidationError, json.JSONDecodeError, UnicodeDecodeError) as exc:
                await _dead_letter(raw, f"{type(exc).__name__}: {exc}")
                await msg.ack()
                return None
            except RetryLater as exc:
                attempts = meta.num_delivered if (meta := _metadata(raw)) else 1
                log.warning("%s: %s cannot be done yet (attempt %d): %s", service, raw.subject, attempts, exc)
                wait = exc.delay if exc.delay is not None else 2.0 ** min(attempts, 16)
                await msg.nack(delay=max(0.05, min(wait, RETRY_LATER_MAX_DELAY_S)))
                return None
            except Exception as exc:
                attempts = meta.num_delivered if (meta := _metadata(raw)) else 1
                if attempts >= MAX_ATTEMPTS:
                    log.exception("%s: giving up on %s after %d attempts", service, raw.subject, attempts)
                    await _dead_letter(raw, f"gave up after {attempts} attempts: {type(exc).__name__}: {exc}")
                    await msg.ack()
                    return None
                log.warning("%s: %s failed (attempt %d), will retry: %r", service, raw.subject, attempts, exc)
                await msg.nack(delay=min(2.0**attempts, 30.0))
                return None
            await msg.ack()
            if (meta := _metadata(raw)) and meta.consumer in transient:
                await _forget(raw)
            return result

    async def _forget(raw) -> None:
        """Remove a handled message that only carried something to this node (a piece of a file, kept
        elsewhere once whole) rather than a fact to keep. Best effort: one left behind is only space."""
        try:
            await broker.connection.jetstream().delete_msg(raw.metadata.stream, raw.metadata.sequence.stream)
        except Exception as exc:
            log.warning(
                "%s: could not remove %s #%s: %r", service, raw.metadata.stream, raw.metadata.sequence.stream, exc
            )

    async def _dead_letter(raw, error: str) -> None:
        meta = _metadata(raw)
        consumer = meta.consumer if meta else "unknown"
        seq = meta.sequence.stream if meta else 0
        log.error("%s: dead-lettering %s (%s): %s", service, raw.subject, consumer, error[:300])
        await publish_to_stream(
            broker,
            raw.data,
            subjects.dead_letter(node, service, consumer),
            stream=subjects.deadletter_stream(node),
            headers={
                # One dead letter per stream message, however often it was redelivered.
                "Nats-Msg-Id": f"{consumer}:{seq}",
                "Cascade-Error": _header_safe(error),
                "Cascade-Subject": raw.subject,
                "Cascade-Consumer": consumer,
                "Cascade-Stream-Seq": str(seq),
                "Content-Type": "application/octet-stream",
            },
        )

    return EventConsumer


# ---------------------------------------------------------------- reading dead letters (the node admin's view)

DEAD_LETTER_PREVIEW = 2000  # characters of a message shown with its error
NO_MESSAGE_FOUND = 10057  # JetStream's error code for a sequence with no message


async def dead_letters(js: JetStreamContext, node: str, limit: int = 100) -> list[dict]:
    """The node's newest dead letters, newest first: when, which consumer, the subject, why, and the message."""
    stream = subjects.deadletter_stream(node)
    try:
        state = (await js.stream_info(stream)).state
    except NotFoundError:
        return []
    out: list[dict] = []
    seq, tries = state.last_seq, 0
    while seq >= max(state.first_seq, 1) and len(out) < limit and tries < limit * 10:
        tries += 1
        try:
            msg = await js.get_msg(stream, seq)
        except NotFoundError:  # dismissed
            seq -= 1
            continue
        headers = msg.headers or {}
        data = msg.data or b""
        out.append(
            {
                "seq": seq,
                "at": msg.time,
                "consumer": headers.get("Cascade-Consumer", ""),
                "subject": headers.get("Cascade-Subject", ""),
                "error": headers.get("Cascade-Error", ""),
                "size": len(data),
                "preview": data[: DEAD_LETTER_PREVIEW * 4].decode("utf-8", "replace")[:DEAD_LETTER_PREVIEW],
            }
        )
        seq -= 1
    return out


async def dismiss_dead_letter(js: JetStreamContext, node: str, seq: int) -> bool:
    """Remove one dead letter the admin has dealt with; False if there is none at ``seq``."""
    try:
        return await js.delete_msg(subjects.deadletter_stream(node), seq)
    except APIError as exc:
        if isinstance(exc, NotFoundError) or exc.err_code == NO_MESSAGE_FOUND:
            return False
        raise


def _forged_origin(subject: str, data: bytes, node: str) -> str | None:
    """Why a copy from another node is not what it claims to be, or None.

    EVENTS stamps the origin token of everything it sources with the linked
    node it came from (cascade/federation.py), so a body naming another origin
    was forged by that neighbour. Local facts are not parsed twice.
    """
    origin = subjects.origin_of(subject)
    if origin is None or origin == node:
        return None
    try:
        claimed = json.loads(data).get("origin_node")
    except (ValueError, AttributeError):
        return None  # unparsable: the handler's validation dead-letters it
    if claimed != origin:
        return f"origin mismatch: came from node {origin}, claims {claimed!r}"
    return None


class RpcReplies(BaseMiddleware):
    async def consume_scope(self, call_next, msg):  # type: ignore[override]
        try:
            result = await call_next(msg)
        except ValidationError as exc:
            return Reply(ok=False, error=problem_from_validation(exc))
        except DomainError as exc:
            return Reply(ok=False, error=exc.problem())
        except Exception as exc:
            log.exception("request on %s failed", msg.raw_message.subject)
            return Reply(ok=False, error=Problem(status=500, code="internal", message=type(exc).__name__))
        if isinstance(result, Reply):
            return result
        return reply_bytes(result)
