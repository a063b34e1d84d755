"""Real servers on loopback for the reach tests and the reach bench: an SMTP server (aiosmtpd) that keeps what it is
given, and an HTTP endpoint (an SMS gateway, a chat robot's webhook) that records every JSON post with the time it
arrived and answers as it is told: a fixed answer, or a function of the request (a robot that says "rate limited"
for a while, or when more than its limit arrive within its window)."""

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class Mailbox:
    """An aiosmtpd handler: keeps every message; refuses the recipients in ``refuse`` with 550."""

    def __init__(self, refuse: Set[str] = frozenset()) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@contextlib.contextmanager
def smtp_server(port: int, mailbox: Mailbox) -> Iterator[Controller]:
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@dataclass
class Posted:
    """One request the endpoint was given, and what it answered."""

    at: float  # time.monotonic() on arrival
    path: str
    headers: dict[str, str]
    json: dict
    status: int
    answer: dict


Answer = tuple[int, dict] | tuple[int, dict, dict[str, str]]  # status, JSON body[, headers]


class Endpoint:
    """An HTTP server on loopback that records JSON posts and answers each with ``respond(request)``: by default
    ``status`` and ``answer``. ``accepted()`` are the posts it took (2xx and no error code in the body)."""

    def __init__(self, status: int = 200, answer: dict | None = None, respond: Callable[[dict], Answer] | None = None):
        self.requests: list[Posted] = []
        self.status, self.answer = status, answer or {"errcode": 0, "errmsg": "ok"}
        self.respond = respond
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                request = {"path": self.path, "headers": dict(self.headers), "json": body}
                with endpoint.lock:  # one answer at a time: a robot counts its window in order
                    answer = endpoint.respond(request) if endpoint.respond else (endpoint.status, endpoint.answer)
                    status, data = answer[0], answer[1]
                    extra = answer[2] if len(answer) > 2 else {}  # type: ignore[misc]
                    endpoint.requests.append(
                        Posted(time.monotonic(), self.path, dict(self.headers), body, status, data)
                    )
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def accepted(self) -> list[Posted]:
        return [
            p
            for p in self.requests
            if p.status < 300 and p.answer.get("errcode", p.answer.get("code", 0)) in (0, None, "0")
        ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def most_in_any_window(times: list[float], window: float) -> int:
    """The most of ``times`` (seconds) that fall within any one span of ``window`` seconds."""
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most
