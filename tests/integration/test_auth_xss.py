"""Stored XSS: markup typed into every free-text field comes back escaped on every page that shows it."""

import re

from markupsafe import escape

from ..fixtures import GD_UNITS, seed000_notice
from ..harness import as_role, create_user, csrf_of, eventually, gateway, login, running

ATTACK = '<script>alert("x")</script><img src=x onerror=alert(1)>'
# Titles that look like HTML are refused by the notices service; this one gets through and
# would break out of an attribute or open a tag if it were not escaped.
TITLE = "关于“x”的通知 \" onmouseover=alert(1) x='< & > <"
HTML = {"Accept": "text/html"}


def assert_escaped(html: str, where: str, times: int = 1, attack: str = ATTACK) -> None:
    escaped = str(escape(attack))
    assert attack not in html, f"{where}: raw markup in the page"
    assert "<script>alert" not in html and "<img src=x" not in html, where
    assert html.count(escaped) >= times, f"{where}: the escaped text is missing"


async def test_markup_in_every_free_text_field_is_rendered_escaped(node):
    async with running(node), gateway(node, org_unit_id="gd-kx") as http:
        setup = await as_role(http, "gd-kx", "admin")
        for unit in GD_UNITS:
            assert (await setup.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"))).status_code == 200
        # A unit whose name is an attack, with a user whose display name is one too.
        evil_unit = {"unit_id": "evil-kx", "name": ATTACK, "kind": "科协", "parent_id": "gd-kx"}
        assert (await setup.put("/api/units/evil-kx", json=evil_unit)).status_code == 200
        await create_user(http, "root", "gd-kx", "admin", display_name="管理员")
        await create_user(http, "evil", "evil-kx", "submitter", display_name=ATTACK)
        await create_user(http, "issuer", "gd-kx", "issuer", "reviewer", display_name="发文员")

        issuer = await login(http, "issuer")
        notice = {**seed000_notice(["evil-kx", "sz-kx"]), "title": ATTACK}
        r = await issuer.post("/api/notices", json=notice, headers={"X-CSRF-Token": issuer.csrf})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "title"]
        notice = {**notice, "title": TITLE, "body": ATTACK + "\n第二行" + ATTACK}
        r = await issuer.post("/api/notices", json=notice, headers={"X-CSRF-Token": issuer.csrf})
        assert r.status_code == 201, r.text
        nid = r.json()["notice_id"]

        evil = await login(http, "evil")
        await eventually(lambda: _in_inbox(evil, nid))
        r = await evil.post(f"/api/units/evil-kx/inbox/{nid}/acknowledge", headers={"X-CSRF-Token": evil.csrf})
        assert r.status_code == 200, r.text

        # The attacker's own pages: header (display name and unit name), the notice they received.
        page = await evil.get("/account")
        assert_escaped(page.text, "header and account page", 2)
        page = await evil.get(f"/notices/{nid}", headers=HTML)
        assert_escaped(page.text, "notice page (recipient)", 2)  # the body, twice
        assert_escaped(page.text, "notice title (recipient)", 2, TITLE)  # <title>, <h1>

        # The issuer's pages: the list, the notice with who acknowledged (the attacker's display name).
        async def acknowledged():
            p = await issuer.get(f"/notices/{nid}", headers=HTML)
            return p if 'id="receipts"' in p.text and "已签收" in p.text.split('id="receipts"')[1] else None

        page = await eventually(acknowledged)
        assert_escaped(page.text, "notice page (issuer)", 4)  # body ×2, unit name, acknowledged by
        assert_escaped(page.text, "notice title (issuer)", 2, TITLE)
        assert_escaped((await issuer.get("/", headers=HTML)).text, "home list", 1, TITLE)

        # The admin's pages: users, one user, tokens, the audit log.
        admin = await login(http, "root")
        r = await admin.post("/admin/tokens", data={"csrf_token": admin.csrf, "name": ATTACK[:60], "unit_id": "evil-kx",
                                                    "roles": "submitter", "lifetime": "30"})
        assert r.status_code == 200, r.text
        users_page = (await admin.get("/admin/users")).text
        assert_escaped(users_page, "users page", 2)  # display name, unit name (+ the unit select)
        assert_escaped((await admin.get("/admin/users/evil")).text, "user page", 1)
        tokens_page = (await admin.get("/admin/tokens")).text
        assert "<script>alert" not in tokens_page and "&lt;script&gt;" in tokens_page
        audit_page = (await admin.get("/admin/audit")).text
        assert_escaped(audit_page, "audit page", 1)  # the attacker's display name
        assert str(escape(TITLE)) in audit_page and TITLE not in audit_page  # the notice title in the details

        # Reflected: filters echoed back into the audit page's form, and a login name into the login page.
        reflected = await admin.get("/admin/audit", params={"user_id": '"><script>alert(1)</script>'})
        assert "<script>alert(1)" not in reflected.text and "&#34;&gt;&lt;script&gt;" in reflected.text
        fresh = http.__class__(transport=http._transport, base_url="http://127.0.0.1")
        async with fresh:
            form = await fresh.get("/login")
            r = await fresh.post("/login", data={"username": '"><script>alert(1)</script>', "password": "x",
                                                 "csrf_token": csrf_of(form.text)})
            assert r.status_code == 401
            assert "<script>alert(1)" not in r.text and "&#34;&gt;&lt;script&gt;" in r.text


async def test_pages_never_mark_user_data_safe():
    """No template turns autoescaping off for anything."""
    from services.gateway.web import TEMPLATES_DIR

    for path in TEMPLATES_DIR.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b", text), path
        assert "autoescape false" not in text, path


async def _in_inbox(client, nid: str):
    r = await client.get("/api/inbox")
    return r.status_code == 200 and any(e["notice_id"] == nid for e in r.json())
