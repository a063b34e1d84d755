"""The composition root every service shares.

``Service`` builds the broker, the Mongo client (in the app's lifespan, never
at import time), the routers and the health endpoint. A service's ``app.py``
creates one, registers its handlers on it and returns ``service.build()``; tests
call the same factory.
"""

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from datetime import UTC, datetime
from typing import Any

import uvloop
from faststream import FastStream
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsRouter, PullSub
from nats.js import api as js_api
from pydantic import BaseModel
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from . import logs, subjects
from .bus import (
    RpcReplies,
    ensure_streams,
    event_consumer_middleware,
    node_stream_configs,
    publish_event,
    publish_to_stream,
)
from .clock import Clock, SystemClock
from .contracts.base import Action, Contract
from .events import Event
from .settings import ServiceSettings
from .storage import Index, connect, database, ensure_indexes

# Redelivery is driven by our middleware (nak with backoff); ack_wait only
# bounds how long a crashed worker holds a message.
ACK_WAIT_S = 30.0
QUERY_WORKERS = 8
# Commands run concurrently too: each write is one atomic conditional update
# (the store applies it whole, shared/storage.py), so two commands on one
# document cannot interleave; fewer than queries, as each holds a write.
COMMAND_WORKERS = 4
# Events of one durable consumer handled at once per process. Every event handler is idempotent and commutes with
# the others (each write one atomic conditional update or an insert with a deterministic ``_id``), which two
# replicas sharing a durable need anyway; one at a time, a consumer whose handler waits ~10 ms on the store falls
# behind the commands that emit its events. Jobs (``on_work``) stay one at a time: sending paces itself.
EVENT_WORKERS = 4
# How long start-up waits for JetStream to be ready before it gives up (the node runtime starts it again).
START_WAIT_S = 120.0


def configure_logging(settings: ServiceSettings) -> None:
    """Plain lines (a service's log is a file), an expected retry in one line: shared/logs.py."""
    logs.configure(settings.log_level, f"{settings.node_id}/{settings.service}")


class Service:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        indexes: Iterable[Index] = (),
        clock: Clock | None = None,
        broker: NatsBroker | None = None,
        db: AsyncDatabase | None = None,
    ) -> None:
        """``broker`` and ``db`` are given by tests that run the handlers without servers (FastStream's
        ``TestNatsBroker``, an in-memory database): then nothing is connected and no stream is declared."""
        self.settings = settings
        self.node = settings.node_id
        self.name = settings.service
        self.clock = clock or SystemClock()
        self.indexes = list(indexes)
        self.started_at = datetime.now(UTC)
        self.log = logging.getLogger(f"cascade.{self.name}")

        self._given = broker is not None or db is not None
        self.broker = broker or NatsBroker(
            settings.nats_url,
            logger=logging.getLogger(f"faststream.{self.name}"),
            log_level=logging.DEBUG,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
        )
        self._transient: set[str] = set()  # durables whose messages go once handled (on_event(transient=True))
        self.events = NatsRouter(
            middlewares=[event_consumer_middleware(self.broker, self.node, self.name, self._transient)]
        )
        self.rpc = NatsRouter(middlewares=[RpcReplies])
        self._client: AsyncMongoClient | None = None
        self._db: AsyncDatabase | None = db
        self._startup: list[Callable[[], Awaitable[None]]] = []
        self._background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._tasks: list[asyncio.Task] = []

        self.app = FastStream(self.broker)
        self.app.on_startup(self._start)
        self.app.after_startup(self._after_start)
        self.app.after_shutdown(self._stop)
        self.on_rpc(Contract.health.name, Contract.health.description, query=True)(self._health)

    # ------------------------------------------------------------ resources

    @property
    def db(self) -> AsyncDatabase:
        if self._db is None:
            raise RuntimeError(f"{self.name}: database used before start-up")
        return self._db

    def on_startup(self, fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """Run after Mongo and the streams are ready, before consuming starts."""
        self._startup.append(fn)
        return fn

    def background(self, fn: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], Coroutine[Any, Any, None]]:
        """A long-running task started once consuming has begun, cancelled at shutdown."""
        self._background.append(fn)
        return fn

    def build(self) -> FastStream:
        """Finish wiring once every handler is registered; returns the app to run."""
        self.broker.include_router(self.events)
        self.broker.include_router(self.rpc)
        return self.app

    async def _start(self) -> None:
        if self._db is None:
            self._client = connect(self.settings)
            self._db = database(self._client, self.settings)
        await ensure_indexes(self._db, self.indexes)
        await self.broker.connect()
        if not self._given:
            js = self.broker.connection.jetstream()
            await self._until_ready("the node's streams", lambda: ensure_streams(js, node_stream_configs(self.node)))
        for fn in self._startup:
            await fn()

    async def _until_ready(self, what: str, step: Callable[[], Awaitable[None]]) -> None:
        """Run a start-up step, again while nats-server or JetStream is not ready yet (shared/logs.py: expected),
        saying so in one line each time; any other error, or one that lasts ``START_WAIT_S``, stops the start."""
        waited = 0.0
        while True:
            try:
                return await step()
            except Exception as exc:
                if not logs.expected(exc) or waited >= START_WAIT_S:
                    raise
                self.log.warning("%s: %s not ready (%s: %s), trying again", self.name, what, type(exc).__name__, exc)
            await asyncio.sleep(1.0)
            waited += 1.0

    async def _after_start(self) -> None:
        self._tasks = [asyncio.create_task(fn(), name=f"{self.name}:{fn.__name__}") for fn in self._background]

    async def _stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.close()

    async def _health(self) -> dict:
        return {"service": self.name, "node": self.node, "pid": os.getpid(), "started_at": self.started_at.isoformat()}

    # ------------------------------------------------------------ wiring

    def on_event(
        self,
        event_type: str,
        name: str,
        description: str,
        *,
        batch_size: int = 50,
        transient: bool = False,
        workers: int = EVENT_WORKERS,
    ):
        """Subscribe a handler to an event type arriving on this node, as a durable pull consumer.

        Every replica of the service shares the durable, so each event is
        handled by one of them (they scale out as pull consumers).
        ``transient``: the event only carries something here and this is its
        one consumer; it is removed from the stream once handled.
        """
        if transient:
            self._transient.add(subjects.durable(self.node, self.name, name))
        return self._durable(
            subjects.incoming(event_type, self.node),
            subjects.events_stream(self.node),
            name,
            description,
            batch_size=batch_size,
            ack_wait=ACK_WAIT_S,
            workers=workers,
        )

    def consume(
        self,
        event: type[Event],
        name: str,
        description: str,
        handler: Callable[..., Awaitable[object]],  # what it returns (a count, say) is not used
        deps: Any = None,
        **options: Any,
    ) -> None:
        """``on_event`` for a use case called as ``handler(event, deps)`` (``handler(event)`` without ``deps``): the
        event's model names its type."""

        async def consumer(message: Any) -> None:
            await (handler(message) if deps is None else handler(message, deps))

        consumer.__name__ = name
        consumer.__annotations__ = {"message": event, "return": None}
        self.on_event(event.model_fields["type"].default, name, description, **options)(consumer)

    def on_work(self, job: str, description: str, *, batch_size: int = 4, ack_wait: float = 300.0):
        """Subscribe a handler to this service's jobs of one kind (``queue_work``), taken once by one replica.

        ``ack_wait`` must cover one job: past it JetStream offers the job to another replica.
        """
        return self._durable(
            subjects.work(self.node, self.name, job),
            subjects.work_stream(self.node),
            f"work_{job}",
            description,
            batch_size=batch_size,
            ack_wait=ack_wait,
        )

    def _durable(
        self,
        subject: str,
        stream: str,
        name: str,
        description: str,
        *,
        batch_size: int,
        ack_wait: float,
        workers: int = 1,
    ):
        return self.events.subscriber(
            subject,
            stream=JStream(stream, declare=False),
            durable=subjects.durable(self.node, self.name, name),
            pull_sub=PullSub(batch_size=batch_size, timeout=1.0),
            config=js_api.ConsumerConfig(ack_wait=ack_wait, max_deliver=-1, deliver_policy=js_api.DeliverPolicy.ALL),
            ack_policy=AckPolicy.MANUAL,
            description=description,
            max_workers=workers,
        )

    def serve(self, contract: type[Contract], handlers: object, deps: Any = None) -> None:
        """Answer every action of the service's contract with the handler of the same name in ``handlers``,
        called as ``handler(request, deps)`` (or ``handler(request)`` without ``deps``: methods of an object
        that holds its dependencies). A missing handler fails at start-up, not at the first request."""
        if contract.service != self.name:
            raise TypeError(f"{self.name} cannot serve the contract of {contract.service}")
        for action in contract.actions():
            handler = getattr(handlers, action.name, None)
            if handler is None:
                raise TypeError(f"{self.name}: no handler for {action.name}")
            self.on_rpc(action.name, action.description, query=action.query)(_bound(action, handler, deps))

    def on_rpc(self, action: str, description: str, *, query: bool = False):
        """Answer requests on ``rpc.<node>.<service>.<action>``, shared by the service's replicas (a queue group).

        Up to ``COMMAND_WORKERS`` commands and ``QUERY_WORKERS`` queries of an
        action run at once per process, so a page is not kept waiting behind a
        long command (a notice to 3,000 units).
        """
        return self.rpc.subscriber(
            subjects.rpc(self.node, self.name, action),
            queue=self.name,
            description=description,
            max_workers=QUERY_WORKERS if query else COMMAND_WORKERS,
        )

    async def publish(self, event: Event | dict, dest: str | None = None) -> None:
        """Publish an event (or an outbox entry's event as stored: ``publish_event``)."""
        await publish_event(self.broker, event, dest)

    async def queue_work(self, job: str, payload: BaseModel, job_id: str) -> None:
        """Queue a job for this service (``on_work``); the same ``job_id`` queued twice is one job."""
        await publish_to_stream(
            self.broker,
            payload,
            subjects.work(self.node, self.name, job),
            stream=subjects.work_stream(self.node),
            headers={"Nats-Msg-Id": job_id},
        )


def _bound(
    action: Action[Any, Any], handler: Callable[..., Awaitable[Any]], deps: Any
) -> Callable[..., Awaitable[Any]]:
    """The subscriber of one action: FastStream validates the request against the annotation set here."""

    async def answer(request: Any) -> Any:
        return await (handler(request) if deps is None else handler(request, deps))

    answer.__name__ = action.name
    answer.__annotations__ = {"request": action.request, "return": action.reply}
    return answer


def run(create_app: Callable[[Any], FastStream], settings_cls: type[ServiceSettings]) -> None:
    """Entry point of ``python -m services.<name>``: settings from the environment, run until SIGTERM."""
    settings = settings_cls()  # fails fast, naming any missing variable
    configure_logging(settings)
    app = create_app(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await app.start()
        await stop.wait()
        await app.stop()

    # uvloop: its sockets and callbacks are C; the services' own CPU per event drops by ~15 % (docs/benchmarks.md).
    asyncio.run(main(), loop_factory=uvloop.new_event_loop)
