"""Authentication on the gateway: login, sessions, lock-out, CSRF, API tokens, headers, size limit."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.routing import APIRoute

from shared.clock import FixedClock

from ..harness import GATEWAY_BASE, api_token, create_user, csrf_of, gateway, login, running

PASSWORD = "correct horse battery"


def started() -> FixedClock:
    return FixedClock(datetime(2026, 5, 6, 9, 0, tzinfo=UTC))


async def audit_actions(http) -> list[str]:
    return [e["action"] for e in await http.app.state.audit.query(limit=500)]


async def try_login(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    """One login attempt from a fresh browser."""
    async with httpx.AsyncClient(transport=http._transport, base_url=GATEWAY_BASE) as browser:
        form = await browser.get("/login")
        return await browser.post(
            "/login", data={"username": username, "password": password, "csrf_token": csrf_of(form.text)}
        )


# ---------------------------------------------------------------- anonymous callers


PUBLIC = {"/login", "/healthz"}
# The personal link pages (issue 15) are public by design: the token in the path is the credential.
LINK_PAGES = "/r/"


def every_route(routes, prefix: str = ""):
    """(path, route) of every endpoint, through included routers."""
    for r in routes:
        if isinstance(r, APIRoute):
            yield prefix + r.path, r
        elif hasattr(r, "original_router"):  # FastAPI's lazily included router
            yield from every_route(r.original_router.routes, prefix + r.include_context.prefix)


async def test_every_route_but_login_and_healthz_refuses_anonymous_callers(node):
    """…and the personal link pages, which need no login but open nothing for a token that is not a link."""
    async with gateway(node) as http:
        routes = [(p, r) for p, r in every_route(http.app.routes) if p not in PUBLIC]
        assert len(routes) >= 10  # the sweep covers the real app, not an empty list
        links = 0
        for path, route in routes:
            path = path.replace("{", "").replace("}", "")  # any value for path parameters
            for method in route.methods - {"HEAD"}:
                if path.startswith(LINK_PAGES):
                    await _refuses_a_bad_link(http, method, path)
                    links += 1
                    continue
                api = await http.request(method, path)
                assert api.status_code == 401, (method, path, api.status_code, api.text)
                assert api.headers["www-authenticate"].startswith("Bearer")
                page = await http.request(method, path, headers={"Accept": "text/html"})
                if path.startswith("/api/"):
                    assert page.status_code == 401, (method, path)
                else:
                    assert page.status_code == 303, (method, path, page.status_code)
                    assert page.headers["location"].startswith("/login?next=")
        assert links == 3  # the page, its 签收 and its attachments
        assert (await http.get("/login")).status_code == 200
        assert (await http.get("/static/cascade.css")).status_code == 200

        # A token of a link's shape must be asked about; the notifications service is not running here, and the
        # person holding the link is told so in words (not the subject asked on) and to try again.
        page = await http.get("/r/AAAAAAAAAAAAAAAAAAAAAA", headers={"Accept": "text/html"})
        assert page.status_code == 503 and "暂时无法打开链接" in page.text and "rpc." not in page.text


async def _refuses_a_bad_link(http: httpx.AsyncClient, method: str, path: str) -> None:
    """A token that cannot be a link ("token") is refused as 链接无效 by the gateway itself, without asking the
    notifications service (not running here, so a round trip would answer 503): 404 in Chinese, as JSON for a
    program and as a page for a browser, never a redirect to the login."""
    api = await http.request(method, path)
    assert api.status_code == 404, (method, path, api.status_code, api.text)
    [problem] = api.json()["detail"]
    assert problem["type"] == "link_invalid" and problem["msg"].startswith("链接无效"), (method, path, problem)
    page = await http.request(method, path, headers={"Accept": "text/html"})
    assert page.status_code == 404, (method, path, page.status_code)
    assert page.headers["content-type"].startswith("text/html") and "链接无效" in page.text, (method, path)


async def test_a_page_redirects_to_login_and_back_after_it(node):
    async with running(node, ["notices"]), gateway(node) as http:
        await create_user(http, "wangmin", "sz-kx", "submitter")
        r = await http.get("/notices/abc?x=1", headers={"Accept": "text/html"})
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=%2Fnotices%2Fabc%3Fx%3D1"
        form = await http.get(r.headers["location"])
        assert 'name="next" value="/notices/abc?x=1"' in form.text
        done = await http.post(
            "/login",
            data={
                "username": "wangmin",
                "password": PASSWORD,
                "next": "/notices/abc?x=1",
                "csrf_token": csrf_of(form.text),
            },
        )
        assert done.status_code == 303 and done.headers["location"] == "/notices/abc?x=1"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"])
async def test_login_never_redirects_to_another_site(node, target):
    async with gateway(node) as http:
        await create_user(http, "wangmin", "sz-kx", "submitter")
        form = await http.get("/login")
        r = await http.post(
            "/login",
            data={"username": "wangmin", "password": PASSWORD, "next": target, "csrf_token": csrf_of(form.text)},
        )
        assert r.status_code == 303 and r.headers["location"] == "/"


# ---------------------------------------------------------------- sessions


async def test_login_sets_a_server_side_session_and_logout_ends_it(node):
    async with running(node, ["notices"]), gateway(node) as http:
        await create_user(http, "wangmin", "sz-kx", "submitter", display_name="王敏")
        browser = await login(http, "wangmin")
        cookie = browser.cookies["cascade_session"]
        home = await browser.get("/account")
        assert home.status_code == 200 and "王敏" in home.text and 'action="/logout"' in home.text
        sessions = http.app.state.sessions.sessions
        assert await sessions.count_documents({"user_id": "wangmin"}) == 1
        assert await sessions.count_documents({"_id": cookie}) == 0  # the database keeps a digest, not the cookie

        r = await browser.post("/logout", data={"csrf_token": browser.csrf})
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert await sessions.count_documents({"user_id": "wangmin"}) == 0
        # The old cookie is dead even if a copy of it is replayed.
        replay = httpx.AsyncClient(
            transport=http._transport, base_url=GATEWAY_BASE, cookies={"cascade_session": cookie}
        )
        async with replay:
            assert (await replay.get("/account")).status_code == 401
        assert {"login", "logout"} <= set(await audit_actions(http))


async def test_session_cookie_is_httponly_samesite_and_secure_when_configured(node):
    async with gateway(node, secure_cookies=True) as http:
        await create_user(http, "wangmin", "sz-kx", "submitter")
        async with httpx.AsyncClient(transport=http._transport, base_url="https://127.0.0.1") as browser:
            form = await browser.get("/login")
            prelogin = form.headers["set-cookie"]
            assert prelogin.startswith("__Host-cascade_prelogin=") and "secure" in prelogin.lower()
            r = await browser.post(
                "/login", data={"username": "wangmin", "password": PASSWORD, "csrf_token": csrf_of(form.text)}
            )
            assert r.status_code == 303
            cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("__Host-cascade_session="))
            attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
            assert {"httponly", "secure", "samesite", "path"} <= attrs
            assert "samesite=lax" in cookie.lower() and "domain" not in attrs
            assert r.headers["strict-transport-security"].startswith("max-age=")
    async with gateway(node) as http:
        await create_user(http, "chensi", "gd-jxxh", "submitter")
        browser = await login(http, "chensi")
        assert browser.cookies["cascade_session"]


async def test_a_session_ends_when_idle_too_long_and_after_its_maximum_age(node):
    clock = started()
    async with gateway(node, clock=clock, session_idle_minutes=30, session_max_hours=2) as http:
        await create_user(http, "wangmin", "sz-kx", "submitter")
        browser = await login(http, "wangmin")
        for _ in range(3):  # used every 25 minutes: stays alive past the idle limit
            clock.advance(timedelta(minutes=25))
            assert (await browser.get("/account")).status_code == 200
        clock.advance(timedelta(minutes=31))  # 106 minutes after login, 31 idle
        assert (await browser.get("/account")).status_code == 401

        browser = await login(http, "wangmin")
        for _ in range(4):
            clock.advance(timedelta(minutes=29))
            assert (await browser.get("/account")).status_code == 200
        clock.advance(timedelta(minutes=5))  # 2 h 1 min after login
        assert (await browser.get("/account")).status_code == 401


async def test_a_disabled_user_is_logged_out_at_once(node):
    async with gateway(node) as http:
        await create_user(http, "root", "gd-kx", "admin")
        await create_user(http, "wangmin", "sz-kx", "submitter")
        browser = await login(http, "wangmin")
        root = await http.app.state.accounts.login("root", PASSWORD)
        from services.gateway.core.users import actor_of

        await http.app.state.accounts.set_disabled(actor_of(root), "wangmin", True)
        assert (await browser.get("/account")).status_code == 401
        assert (await try_login(http, "wangmin", PASSWORD)).status_code == 401


# ---------------------------------------------------------------- lock-out


async def test_five_failed_logins_lock_the_account_for_fifteen_minutes(node):
    clock = started()
    async with gateway(node, clock=clock) as http:
        await create_user(http, "wangmin", "sz-kx", "submitter")
        for _ in range(4):
            r = await try_login(http, "wangmin", "wrong password!")
            assert r.status_code == 401 and "用户名或密码错误" in r.text
        r = await try_login(http, "wangmin", "wrong password!")
        assert r.status_code == 429 and "已锁定" in r.text and r.headers["retry-after"] == "900"
        # Locked: even the right password is refused, and nothing is checked.
        r = await try_login(http, "WangMin ", PASSWORD)
        assert r.status_code == 429 and "cascade_session" not in r.headers.get("set-cookie", "")
        clock.advance(timedelta(minutes=14, seconds=59))
        assert (await try_login(http, "wangmin", PASSWORD)).status_code == 429
        clock.advance(timedelta(seconds=2))
        assert (await try_login(http, "wangmin", PASSWORD)).status_code == 303
        actions = await audit_actions(http)
        assert actions.count("login.failed") == 5 and "login" in actions


async def test_a_success_resets_the_failure_count(node):
    clock = started()
    async with gateway(node, clock=clock) as http:
        await create_user(http, "wangmin", "sz-kx", "submitter")
        for _ in range(4):
            assert (await try_login(http, "wangmin", "wrong password!")).status_code == 401
        assert (await try_login(http, "wangmin", PASSWORD)).status_code == 303
        for _ in range(4):
            assert (await try_login(http, "wangmin", "wrong password!")).status_code == 401
        assert (await try_login(http, "wangmin", PASSWORD)).status_code == 303


async def test_unknown_usernames_lock_the_same_way(node):
    """Guessing names answers exactly as guessing passwords: no way to tell which accounts exist."""
    async with gateway(node, clock=started()) as http:
        answers = [(await try_login(http, "nobody", "wrong password!")).status_code for _ in range(6)]
        assert answers == [401, 401, 401, 401, 429, 429]


async def test_a_name_locked_before_its_account_existed_starts_unlocked(node):
    """Guesses at a name nobody had are not against the account created under it later."""
    async with gateway(node, clock=started()) as http:
        for _ in range(5):
            await try_login(http, "wangmin", "wrong password!")
        assert (await try_login(http, "wangmin", PASSWORD)).status_code == 429
        await create_user(http, "wangmin", "sz-kx", "submitter")
        assert (await try_login(http, "wangmin", PASSWORD)).status_code == 303


# ---------------------------------------------------------------- CSRF


async def test_login_form_without_csrf_token_is_refused(node):
    async with gateway(node) as http:
        await create_user(http, "wangmin", "sz-kx", "submitter")
        await http.get("/login")
        r = await http.post("/login", data={"username": "wangmin", "password": PASSWORD})
        assert r.status_code == 403 and "CSRF" in r.text
        r = await http.post("/login", data={"username": "wangmin", "password": PASSWORD, "csrf_token": "0" * 64})
        assert r.status_code == 403
        assert "cascade_session" not in http.cookies


async def test_unsafe_requests_with_a_session_need_the_csrf_token(node):
    async with gateway(node) as http:
        await create_user(http, "wangmin", "sz-kx", "submitter")
        browser = await login(http, "wangmin")
        form = {
            "current_password": PASSWORD,
            "new_password": "a brand new secret",
            "confirm_password": "a brand new secret",
        }
        for token in (None, "", "f" * 64):
            data = form | ({"csrf_token": token} if token is not None else {})
            r = await browser.post("/account/password", data=data, headers={"Accept": "text/html"})
            assert r.status_code == 403 and "CSRF" in r.text
        r = await browser.post("/logout")
        assert r.status_code == 403
        assert (await browser.get("/account")).status_code == 200  # still logged in: nothing changed
        assert await http.app.state.accounts.login("wangmin", PASSWORD)

        # Another session's token is no good either: tokens are bound to their session.
        await create_user(http, "chensi", "gd-jxxh", "submitter")
        other = await login(http, "chensi")
        r = await browser.post("/logout", data={"csrf_token": other.csrf})
        assert r.status_code == 403
        # JSON from a page carries it as a header.
        r = await browser.post("/logout", headers={"X-CSRF-Token": browser.csrf})
        assert r.status_code == 303


async def test_bearer_tokens_are_exempt_from_csrf_and_checked_instead(node):
    async with running(node, ["notices"]), gateway(node) as http:
        token = await api_token(http, "gd-kx", "admin")
        unit = {"unit_id": "gd-kx", "name": "广东省科学技术协会", "kind": "科协"}
        r = await http.put("/api/units/gd-kx", json=unit, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        for bad in ("Bearer cas_nope", f"Bearer {token[:-2]}xx", f"Basic {token}", "Bearer "):
            r = await http.put("/api/units/gd-kx", json=unit, headers={"Authorization": bad})
            assert r.status_code == 401, bad
            assert r.json()["detail"][0]["loc"] == ["body", "authorization"]


async def test_a_revoked_or_expired_token_stops_working(node):
    clock = started()
    async with running(node, ["notices"]), gateway(node, clock=clock) as http:
        tokens = http.app.state.tokens
        doc, raw = await tokens.create(
            name="OA 系统", unit_id="gd-kx", roles=["issuer"], created_by="root", now=clock.now()
        )
        auth = {"Authorization": f"Bearer {raw}"}
        assert (await http.get("/api/units", headers=auth)).status_code == 200
        await tokens.revoke(doc["_id"], by="root", now=clock.now())
        assert (await http.get("/api/units", headers=auth)).status_code == 401

        doc, raw = await tokens.create(
            name="临时",
            unit_id="gd-kx",
            roles=["issuer"],
            created_by="root",
            now=clock.now(),
            expires_at=clock.now() + timedelta(hours=1),
        )
        auth = {"Authorization": f"Bearer {raw}"}
        assert (await http.get("/api/units", headers=auth)).status_code == 200
        clock.advance(timedelta(hours=1))
        assert (await http.get("/api/units", headers=auth)).status_code == 401
        stored = await tokens.tokens.find_one({"_id": doc["_id"]})
        assert raw.split("_", 2)[2] not in str(stored)  # only the digest is kept


# ---------------------------------------------------------------- passwords


async def test_a_one_time_password_must_be_changed_before_anything_else(node):
    async with running(node, ["notices"]), gateway(node) as http:
        await create_user(http, "wangmin", "sz-kx", "submitter", must_change_password=True)
        browser = await login(http, "wangmin")
        r = await browser.get("/", headers={"Accept": "text/html"})
        assert r.status_code == 303 and r.headers["location"] == "/account?first=1"
        assert (await browser.get("/api/units")).status_code == 403
        page = await browser.get("/account?first=1")
        assert "初始密码" in page.text
        r = await browser.post(
            "/account/password",
            data={
                "csrf_token": browser.csrf,
                "current_password": PASSWORD,
                "new_password": "my own secret 2026",
                "confirm_password": "my own secret 2026",
            },
        )
        assert r.status_code == 200 and "密码已修改" in r.text
        assert (await browser.get("/api/units")).status_code == 200


@pytest.mark.parametrize(
    "new, confirm, field",
    [
        ("short", "short", "至少需要 10 个字符"),
        ("wangmin", "wangmin", "至少需要"),
        ("aaaaaaaaaaaa", "aaaaaaaaaaaa", "过于简单"),
        ("a good new secret", "a different secret", "不一致"),
        (PASSWORD, PASSWORD, "不能与当前密码相同"),
    ],
)
async def test_password_change_refuses_weak_or_mistyped_passwords(node, new, confirm, field):
    async with gateway(node) as http:
        await create_user(http, "wangmin", "sz-kx", "submitter")
        browser = await login(http, "wangmin")
        r = await browser.post(
            "/account/password",
            data={
                "csrf_token": browser.csrf,
                "current_password": PASSWORD,
                "new_password": new,
                "confirm_password": confirm,
            },
        )
        assert r.status_code == 422 and field in r.text
        assert await http.app.state.accounts.login("wangmin", PASSWORD)  # unchanged


async def test_changing_the_password_ends_the_other_sessions_and_needs_the_current_one(node):
    async with gateway(node) as http:
        await create_user(http, "wangmin", "sz-kx", "submitter")
        laptop, phone = await login(http, "wangmin"), await login(http, "wangmin")
        r = await laptop.post(
            "/account/password",
            data={
                "csrf_token": laptop.csrf,
                "current_password": "not my password",
                "new_password": "a new long secret",
                "confirm_password": "a new long secret",
            },
        )
        assert r.status_code == 422 and "当前密码不正确" in r.text
        r = await laptop.post(
            "/account/password",
            data={
                "csrf_token": laptop.csrf,
                "current_password": PASSWORD,
                "new_password": "a new long secret",
                "confirm_password": "a new long secret",
            },
        )
        assert r.status_code == 200
        assert (await laptop.get("/account")).status_code == 200
        assert (await phone.get("/account")).status_code == 401
        assert (await try_login(http, "wangmin", PASSWORD)).status_code == 401
        assert (await try_login(http, "wangmin", "a new long secret")).status_code == 303
        stored = await http.app.state.accounts.store.get("wangmin")
        assert stored["password_hash"].startswith("$argon2id$")


# ---------------------------------------------------------------- headers and limits


async def test_security_headers_on_pages_and_api(node):
    async with gateway(node) as http:
        for path in ("/login", "/api/units", "/healthz"):
            r = await http.get(path)
            csp = r.headers["content-security-policy"]
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
            assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in r.headers  # only when served over HTTPS (secure_cookies)


async def test_request_bodies_over_the_limit_are_refused_with_413(node):
    async with gateway(node, max_upload_bytes=64 * 1024) as http:
        token = await api_token(http, "gd-kx", "admin")
        auth = {"Authorization": f"Bearer {token}"}
        big = b"x" * (64 * 1024 + 64 * 1024 + 1)
        r = await http.put("/api/units/gd-kx", content=big, headers=auth | {"Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["detail"][0]["type"] == "too_large"

        async def chunks():  # no Content-Length: counted as it streams
            for _ in range(200):
                yield b"y" * 1024

        r = await http.put("/api/units/gd-kx", content=chunks(), headers=auth | {"Content-Type": "application/json"})
        assert r.status_code == 413
        r = await http.post("/login", content=big, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413


async def test_the_login_page_says_how_to_create_the_first_admin_until_someone_exists(node):
    async with gateway(node) as http:
        first = await http.get("/login")
        assert 'id="first-run"' in first.text and "cascade create-admin" in first.text
        await create_user(http, "root", "gd-kx", "admin")
        assert 'id="first-run"' not in (await http.get("/login")).text


async def test_api_docs_and_schema_need_a_login_and_declare_the_bearer_scheme(node):
    async with gateway(node) as http:
        assert (await http.get("/openapi.json")).status_code == 401
        token = await api_token(http, "gd-kx", "issuer")
        schema = (await http.get("/openapi.json", headers={"Authorization": f"Bearer {token}"})).json()
        assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
        assert all(not path.startswith(("/admin", "/login", "/account")) for path in schema["paths"])
        await create_user(http, "wangmin", "sz-kx", "submitter")
        browser = await login(http, "wangmin")
        docs = await browser.get("/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]  # only this page loads the CDN
        assert "cdn.jsdelivr.net" not in (await browser.get("/account")).headers["content-security-policy"]


async def test_failures_a_day_old_do_not_add_up_and_are_forgotten(node):
    clock = started()
    async with gateway(node, clock=clock) as http:
        await create_user(http, "wangmin", "sz-kx", "submitter")
        for _ in range(4):
            assert (await try_login(http, "wangmin", "wrong password!")).status_code == 401
            assert (await try_login(http, "guessed-name", "wrong password!")).status_code == 401
        clock.advance(timedelta(hours=25))
        for _ in range(4):
            assert (await try_login(http, "wangmin", "wrong password!")).status_code == 401
        assert (await try_login(http, "wangmin", PASSWORD)).status_code == 303
        logins = http.app.state.accounts.store.logins
        assert await logins.count_documents({}) == 0  # wangmin cleared, the day-old guess swept
