"""Stored XSS: markup typed into every free-text field comes back escaped on every page that shows it."""

import re

from markupsafe import escape

from ..fixtures import GD_UNITS, seed000_notice
from ..harness import as_role, create_user, csrf_of, eventually, gateway, issue, login, running

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
        # Issued by 广东省科协 alone, straight away (a joint notice would go through 拟稿 and 会签 first).
        notice = {**seed000_notice(["evil-kx", "sz-kx"]), "issuer_unit_ids": ["gd-kx"], "title": ATTACK}
        r = await issue(issuer, notice, headers={"X-CSRF-Token": issuer.csrf})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "title"]
        notice = {**notice, "title": TITLE, "body": ATTACK + "\n第二行" + ATTACK}
        r = await issue(issuer, notice, headers={"X-CSRF-Token": issuer.csrf})
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
        r = await admin.post(
            "/admin/tokens",
            data={
                "csrf_token": admin.csrf,
                "name": ATTACK[:60],
                "unit_id": "evil-kx",
                "roles": "submitter",
                "lifetime": "30",
            },
        )
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
            r = await fresh.post(
                "/login",
                data={"username": '"><script>alert(1)</script>', "password": "x", "csrf_token": csrf_of(form.text)},
            )
            assert r.status_code == 401
            assert "<script>alert(1)" not in r.text and "&#34;&gt;&lt;script&gt;" in r.text


async def test_pages_never_mark_user_data_safe():
    """No template turns autoescaping off for anything."""
    from services.gateway.core.rendering import TEMPLATES_DIR

    for path in TEMPLATES_DIR.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b", text), path
        assert "autoescape false" not in text, path


async def _in_inbox(client, nid: str):
    r = await client.get("/api/inbox")
    return r.status_code == 200 and any(e["notice_id"] == nid for e in r.json()["items"])


# ---------------------------------------------------------------- the rest of the free-text fields

RAW = ("<script>alert", "<img src=x", "<svg onload", "<svg/onload", '" onmouseover')


def attack(tag: str) -> str:
    """Markup naming the field it was typed into, so a leak says where it came from."""
    return f'<script>alert("{tag}")</script>'


SHORT = "<img src=x onerror=alert(1)>"  # fits a mobile number's 30 characters
DOC_TEMPLATE = '<svg onload=alert("dn")>〔{year}〕{seq}号'
HOOK = 'http://127.0.0.1:9/x?a="><script>alert("hook")</script>'
PUBLIC = 'https://cascade.example.cn/"><svg/onload=alert(1)>'
SIGNATURE = "<svg onload=1>"


def clean(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: raw markup {raw!r} in the page"


def shows(html: str, text: str, where: str, times: int = 1) -> None:
    assert html.count(str(escape(text))) >= times, f"{where}: the escaped {text!r} is missing"


async def test_markup_in_reasons_asks_forms_routes_files_numbers_contacts_titles_and_channels_is_escaped(node):
    async with running(node), gateway(node, org_unit_id="gd-kx") as http:
        setup = await as_role(http, "gd-kx", "admin")
        evil_contact = {
            "name": "雷晶",
            "department": attack("cdept"),
            "office_phone": attack("phone"),
            "mobile": SHORT,
            "fax": attack("fax"),
            "address": attack("addr"),
        }
        # A route names a department the unit has registered: one whose name is markup.
        gd_units = [u.model_dump(mode="json") for u in GD_UNITS]
        for u in gd_units:
            if u["unit_id"] == "gd-kx":
                u["departments"] = [*u["departments"], attack("dept")]
        units = [
            *gd_units,
            {"unit_id": "ns-kx", "name": "南山区科学技术协会", "kind": "科协", "parent_id": "sz-kx"},
            {
                "unit_id": "evil-kx",
                "name": "某科协",
                "kind": "科协",
                "parent_id": "gd-kx",
                "doc_number_template": DOC_TEMPLATE,
                "contacts": [evil_contact],
            },
        ]
        for unit in units:
            r = await setup.put(f"/api/units/{unit['unit_id']}", json=unit)
            assert r.status_code == 200, r.text
        await create_user(http, "root", "gd-kx", "admin", display_name="管理员")
        await create_user(http, "gdi", "gd-kx", "issuer", "reviewer", display_name="发文员")
        await create_user(http, "evi", "evil-kx", "issuer", display_name="某发文员")
        await create_user(http, "szu", "sz-kx", "issuer", "submitter", display_name="深圳收文员")
        gdi, evi, szu, admin = [await login(http, u) for u in ("gdi", "evi", "szu", "root")]

        def js(client) -> dict:
            return {"X-CSRF-Token": client.csrf}

        # A file whose name is markup, on a notice whose 文号, ask, form fields, routes and contacts are too.
        filename = "<script>alert(1)</script><img src=x onerror=alert(2)>.txt"
        r = await gdi.post(
            "/api/attachments", files={"file": (filename, "方案".encode(), "text/plain")}, headers=js(gdi)
        )
        assert r.status_code == 201, r.text
        assert r.json()["filename"] == filename
        notice = seed000_notice(["sz-kx", "evil-kx"])
        ask = {
            **notice["asks"][0],
            "title": attack("ask"),
            "note": attack("note"),
            "fields": [
                {
                    "key": "f1",
                    "label": attack("label"),
                    "type": "choice",
                    "options": [attack("opt")],
                    "help": attack("help"),
                }
            ],
            "routes": [{"unit_kind": "科协", "to_unit_id": "gd-kx", "department": attack("dept")}],
        }
        notice = {
            **notice,
            "doc_number": attack("doc"),
            "asks": [ask],
            "contacts": [evil_contact],
            "attachments": [r.json()],
        }
        r = await issue(gdi, notice, headers=js(gdi))
        assert r.status_code == 201, r.text
        nid = r.json()["notice_id"]
        # A 文号 from the issuing unit's template.
        r = await issue(evi, {**seed000_notice(["sz-kx"]), "issuer_unit_ids": ["evil-kx"]}, headers=js(evi))
        assert r.status_code == 201, r.text
        evil_number = r.json()["doc_number"]
        assert evil_number.startswith('<svg onload=alert("dn")>〔')
        await eventually(lambda: _in_inbox(szu, nid))
        await eventually(lambda: _in_inbox(szu, r.json()["notice_id"]))

        # A 转发 with a title of its own, then a 更正 with a reason.
        r = await szu.post(
            f"/api/notices/{nid}/forward",
            headers=js(szu),
            json={"unit_id": "sz-kx", "recipient_unit_ids": ["ns-kx"], "title": TITLE},
        )
        assert r.status_code == 201, r.text
        fid = r.json()["notice_id"]
        r = await gdi.post(
            f"/api/notices/{nid}/correct", json={"reason": attack("why"), "body": "正文（更正）"}, headers=js(gdi)
        )
        assert r.status_code == 200, r.text
        await eventually(lambda: _page_has(szu, "/inbox", "已更正"))
        await eventually(lambda: _page_has(szu, f"/notices/{fid}", "upstream-change"))

        page = await _page(szu, f"/notices/{nid}")
        where = "notice page (recipient)"
        clean(page, where)
        shows(page, f"原因：{attack('why')}", where)  # the 更正 banner
        shows(page, attack("doc"), where, 2)  # 文号 and the chain
        for tag in ("ask", "note", "label", "opt", "help", "dept", "cdept", "phone", "addr"):
            shows(page, attack(tag), where)
        shows(page, SHORT, where)
        shows(page, filename, where)
        shows(page, f"更正：{attack('why')}", where)  # the history
        inbox = await _page(szu, "/inbox")
        clean(inbox, "inbox")
        for text in (attack("doc"), evil_number, f"更正原因：{attack('why')}"):
            shows(inbox, text, "inbox")
        forwarded = await _page(szu, f"/notices/{fid}")
        clean(forwarded, "forwarded notice")
        shows(forwarded, TITLE, "forwarded notice", 2)  # <title>, <h1>
        shows(forwarded, attack("why"), "forwarded notice (upstream change)")
        shows(forwarded, attack("doc"), "forwarded notice (chain)")
        for client, url, needle in (
            (szu, "/", TITLE),
            (szu, f"/notices/{nid}/forward", attack("ask")),
            (gdi, f"/notices/{nid}/correct", attack("ask")),
            (gdi, "/", attack("doc")),
            (evi, "/", evil_number),
            (gdi, f"/notices/{nid}", attack("opt")),
        ):
            html = await _page(client, url)
            clean(html, url)
            shows(html, needle, url)
        unit_page = await _page(admin, "/directory/evil-kx")
        clean(unit_page, "unit form")
        for text in (DOC_TEMPLATE, attack("cdept"), attack("phone"), SHORT, attack("addr")):
            shows(unit_page, text, "unit form")
        clean(await _page(admin, "/directory"), "directory")

        # 撤回 with a reason: the banner, the history and the inbox.
        r = await gdi.post(f"/api/notices/{nid}/withdraw", json={"reason": attack("gone")}, headers=js(gdi))
        assert r.status_code == 200, r.text
        await eventually(lambda: _page_has(szu, "/inbox", "已撤回"))
        page = await _page(szu, f"/notices/{nid}")
        clean(page, "withdrawn notice")
        for text in (f"本通知已撤回。原因：{attack('gone')}", f"撤回：{attack('gone')}", f"更正：{attack('why')}"):
            shows(page, text, "withdrawn notice")
        shows(await _page(szu, "/inbox"), f"撤回原因：{attack('gone')}", "inbox (withdrawn)")
        await eventually(lambda: _page_has(szu, f"/notices/{fid}", "已撤回"))
        forwarded = await _page(szu, f"/notices/{fid}")
        clean(forwarded, "forwarded notice (withdrawn upstream)")
        shows(forwarded, attack("gone"), "forwarded notice (withdrawn upstream)")

        # The node admin's channels and templates.
        r = await admin.put(
            "/api/admin/channels",
            headers=js(admin),
            json={
                "email": {"enabled": True, "sender": "kx@gdkx.example.cn", "sender_name": attack("sender")},
                "sms": {"enabled": True, "signature": SIGNATURE},
                "chat": {"enabled": True, "webhook_url": HOOK},
                "public_url": PUBLIC,
            },
        )
        assert r.status_code == 200, r.text
        r = await admin.put(
            "/api/admin/templates/notice.issued/email",
            headers=js(admin),
            json={"subject": attack("subj"), "body": attack("body") + "{{ unit_name }}"},
        )
        assert r.status_code == 200, r.text
        channels = await _page(admin, "/admin/channels")
        clean(channels, "channels page")
        for text in (attack("sender"), SIGNATURE, HOOK, PUBLIC):
            shows(channels, text, "channels page")
        listing = await _page(admin, "/admin/templates")
        clean(listing, "templates page")
        shows(listing, attack("subj"), "templates page")
        editor = await _page(admin, "/admin/templates/notice.issued/email")
        clean(editor, "template page")
        shows(editor, attack("subj"), "template page")
        shows(editor, attack("body") + "{{ unit_name }}", "template page")
        r = await admin.post(
            "/admin/templates/notice.issued/sms/preview",
            headers=HTML,
            data={"csrf_token": admin.csrf, "body": attack("prev") + "{{ unit_name }}"},
        )
        assert r.status_code == 200 and 'id="preview-body"' in r.text
        clean(r.text, "template preview")
        shows(r.text, f"【{SIGNATURE}】{attack('prev')}深圳市科学技术协会", "template preview")
        r = await admin.post(
            "/admin/channels",
            headers=HTML,
            data={
                "csrf_token": admin.csrf,
                "email_enabled": "1",
                "email_sender": "kx@gdkx.example.cn",
                "chat_enabled": "1",
                "chat_webhook_url": 'javascript:alert("x")//' + attack("js"),
            },
        )
        assert r.status_code == 422  # refused, and what was typed comes back escaped
        clean(r.text, "channels form (refused)")
        shows(r.text, attack("js"), "channels form (refused)")
        clean(await _page(admin, "/admin/audit"), "audit page")


async def _page(client, url: str) -> str:
    r = await client.get(url, headers=HTML)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    return r.text


async def _page_has(client, url: str, needle: str):
    r = await client.get(url, headers=HTML)
    return r.status_code == 200 and needle in r.text
