"""How every process logs: plain lines (its log is a file: no colour codes), and an expected retry as one line.

A service starts before nats-server answers, JetStream is not ready yet, nats-server restarts or reloads
its configuration: the NATS client reconnects, FastStream starts a consumer's fetch loop again, start-up
waits for JetStream. Each of those retries then succeeds, so each says so in one WARNING line (a fetch
that timed out, which happens whenever nothing arrives in time, one INFO line) instead of an ERROR with
a traceback. Anything else keeps its level and its traceback.

FastStream writes through the ``faststream`` logger, which it gives a handler of its own with colour
codes and keeps from propagating; ``configure`` takes that handler away, so its records are written like
every other one.
"""

import logging

from nats.errors import ConnectionClosedError, NoServersError, StaleConnectionError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import APIError, ServiceUnavailableError

# Connection and JetStream states a retry gets past: the server is not up yet, went away, or is not ready.
EXPECTED = (
    ConnectionError,  # refused, reset (OSError's connection errors)
    NoServersError,
    ConnectionClosedError,
    StaleConnectionError,  # UnexpectedEOF: nats-server stopped under the connection
    ServiceUnavailableError,  # JetStream not ready (503)
)
# JetStream API errors of a start-up race another replica or a restart causes, retried: not enabled yet,
# the consumer already exists (created by the other replica), no leader elected yet.
EXPECTED_API_CODES = {10148, 10013, 10039, 10076, 10008}
EXPECTED_API_WORDS = ("not ready", "not enabled", "already exists", "already in use", "leader")


def expected(exc: BaseException | None) -> bool:
    """Whether an exception is one of the transient states a retry gets past."""
    if exc is None:
        return False
    if isinstance(exc, (*EXPECTED, TimeoutError, NatsTimeout)):
        return True
    if isinstance(exc, APIError):
        words = (exc.description or "").lower()
        return exc.code == 503 or exc.err_code in EXPECTED_API_CODES or any(w in words for w in EXPECTED_API_WORDS)
    return False


class ExpectedRetries(logging.Filter):
    """A record about an expected retry becomes one line: WARNING (INFO for a fetch that timed out), no
    traceback, what was retried and why."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._shorten(record)
        except Exception:  # a filter never loses a record: it is written as it came
            pass
        return True

    @staticmethod
    def _shorten(record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        if record.levelno < logging.WARNING or not expected(exc):
            return
        first = (record.getMessage().splitlines() or [""])[0]
        if "raised an exception, retrying" in first:  # FastStream's supervisor: a consumer's loop stopped
            first = f"{first.split(' raised', 1)[0]} stopped, started again"
        record.msg, record.args = f"{first} ({type(exc).__name__}: {exc})", None
        record.exc_info = record.exc_text = None
        record.stack_info = None
        quiet = isinstance(exc, TimeoutError | NatsTimeout) and not isinstance(exc, ConnectionError)
        record.levelno = logging.INFO if quiet else logging.WARNING
        record.levelname = logging.getLevelName(record.levelno)


def configure(level: str, prefix: str) -> None:
    """Plain lines ``<time> <prefix> <LEVEL> <logger>: <message>`` on stderr for the whole process."""
    logging.basicConfig(level=level.upper(), format=f"%(asctime)s {prefix} %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, ExpectedRetries) for f in handler.filters):
            handler.addFilter(ExpectedRetries())
    # FastStream's own handler writes colour codes, and its logger does not propagate: write through ours.
    faststream = logging.getLogger("faststream")
    for handler in list(faststream.handlers):
        faststream.removeHandler(handler)
    faststream.propagate = True
    # It logs every message received and processed, and each restart of a task: keep that out of INFO.
    faststream.setLevel(logging.WARNING)
