"""Web security primitives: password hashing, secrets, CSRF tokens, headers, request size limit.

Nothing here touches the database; the stores (users, sessions, tokens) and
the FastAPI dependencies (auth.py) build on these.
"""

import hashlib
import hmac
import json
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException  # starlette's, with a detail of any JSON (a list of errors here)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import Invalid

# ---------------------------------------------------------------- passwords

PASSWORD_MAX_LENGTH = 256


@cache
def _hasher() -> PasswordHasher:
    # argon2id with the library's defaults (RFC 9106 low-memory profile).
    return PasswordHasher()


def hash_password(password: str) -> str:
    """Slow on purpose (~0.1 s, 64 MiB): call it through ``asyncio.to_thread``."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the user exists: a missing hash is checked against a dummy one."""
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def check_password(password: str, *, username: str, min_length: int, field: str = "password") -> None:
    """The password policy: long enough, not absurdly long, not the username."""
    if len(password) < min_length:
        raise Invalid(f"密码至少需要 {min_length} 个字符", field=field, code="password_too_short")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise Invalid(f"密码不能超过 {PASSWORD_MAX_LENGTH} 个字符", field=field, code="password_too_long")
    if password.strip().lower() == username.lower():
        raise Invalid("密码不能与用户名相同", field=field, code="password_is_username")
    if len(set(password)) < 4:
        raise Invalid("密码过于简单", field=field, code="password_too_simple")


def generate_password() -> str:
    """A one-time password an admin hands over; the user must change it at first login."""
    return secrets.token_urlsafe(12)


# ---------------------------------------------------------------- secrets


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What the database keeps instead of a session or API token: its SHA-256.

    These secrets are random (256 bits), so a fast hash is enough; a copy of
    the database then holds nothing that logs anyone in.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# ---------------------------------------------------------------- CSRF


def csrf_token(secret_key: str, binding: str) -> str:
    """A token bound to the browser's session (or its pre-login cookie), signed with the node's key.

    Nothing is stored: the token is recomputed and compared on every unsafe request.
    """
    return hmac.new(secret_key.encode(), f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret_key: str, binding: str, submitted: str | None) -> bool:
    return bool(submitted) and bool(binding) and same(csrf_token(secret_key, binding), submitted or "")


# ---------------------------------------------------------------- headers

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The interactive API docs load Swagger UI from its CDN and start it with an inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def security_headers(*, secure: bool) -> dict[str, str]:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": CSP,
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    if secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


class SecurityHeaders:
    """Add the security headers to every response that has not set its own (plain ASGI).

    Pages and API answers are per user, so they are never cached; static files may be.
    """

    def __init__(self, app: ASGIApp, secure: bool) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in security_headers(secure=secure).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.headers)
        if not scope["path"].startswith("/static/"):
            extra.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *((k, v) for k, v in extra if k not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ---------------------------------------------------------------- request size


def too_large_detail(limit: int, upload: bool = False) -> list[dict]:
    """``upload``: a multipart body, whose size is the file's (every upload route names it ``file``)."""
    size = f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    if upload:
        return [{"loc": ["body", "file"], "msg": f"上传的文件超过大小上限（{size}）", "type": "too_large"}]
    return [{"loc": ["body"], "msg": f"请求内容超过大小上限（{size}）", "type": "too_large"}]


def is_upload(scope: Scope) -> bool:
    return dict(scope["headers"]).get(b"content-type", b"").startswith(b"multipart/form-data")


class BodyTooLarge(HTTPException):
    """Raised from ``receive``: an HTTPException so FastAPI's body parsing passes it on as 413."""

    def __init__(self, limit: int, upload: bool) -> None:
        super().__init__(status_code=413, detail=too_large_detail(limit, upload))


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, before the app buffers them.

    A declared Content-Length over the limit is refused at once; a chunked
    body is counted as it streams in and cut off when it passes the limit.
    Plain ASGI (not BaseHTTPMiddleware) so the body is never read twice.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        upload = is_upload(scope)
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(send, upload)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit, upload)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, upload)

    async def _refuse(self, send: Send, upload: bool) -> None:
        body = json.dumps({"detail": too_large_detail(self.limit, upload)}, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
