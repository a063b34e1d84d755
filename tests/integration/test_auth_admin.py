"""The node admin's work: users, roles, API tokens, the audit log (pages and JSON API)."""

import contextlib
import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.clock import FixedClock

from ..fixtures import GD_UNITS, seed000_notice
from ..harness import as_role, create_user, eventually, gateway, issue, login, running

PASSWORD = "correct horse battery"
HTML = {"Accept": "text/html"}
REMOTE_UNIT = {"unit_id": "sz-remote", "name": "深圳节点上的单位", "kind": "科协", "node_id": "sz"}


@contextlib.asynccontextmanager
async def node_with_admin(node, services=("notices",), clock=None):
    """Node gd (own unit gd-kx) with the seed directory and a logged-in admin ``root``."""
    async with running(node, list(services), clock=clock), gateway(node, org_unit_id="gd-kx", clock=clock) as http:
        setup = await as_role(http, "gd-kx", "admin")
        for unit in GD_UNITS:
            assert (await setup.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"))).status_code == 200
        assert (await setup.put("/api/units/sz-remote", json=REMOTE_UNIT)).status_code == 200
        await create_user(http, "root", "gd-kx", "admin", display_name="管理员")
        yield http, await login(http, "root")


def alone(recipients: list[str] | None = None) -> dict:
    """Seed 000's notice issued by 广东省科协 alone (a joint one goes through 会签)."""
    return {**seed000_notice(recipients), "issuer_unit_ids": ["gd-kx"]}


def one_time_secret(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]+)<', html)
    assert match, html
    return match.group(1).strip()


def form(admin, **fields) -> dict:
    return {"csrf_token": admin.csrf, **fields}


async def users_count(http) -> int:
    return len(await http.app.state.accounts.list())


# ---------------------------------------------------------------- users


async def test_admin_creates_a_user_who_must_change_the_one_time_password(node):
    async with node_with_admin(node) as (http, admin):
        r = await admin.post(
            "/admin/users",
            data=form(admin, username="WangMin", display_name="王敏", unit_id="sz-kx", roles=["submitter"]),
        )
        assert r.status_code == 200, r.text
        password = one_time_secret(r.text, "one-time-password")
        listing = await admin.get("/admin/users")
        assert "wangmin" in listing.text and "王敏" in listing.text and "深圳市科学技术协会" in listing.text
        assert password not in listing.text  # shown once only

        user = await login(http, "wangmin", password)
        r = await user.get("/", headers=HTML)
        assert r.status_code == 303 and r.headers["location"] == "/account?first=1"
        r = await user.post(
            "/account/password",
            data={
                "csrf_token": user.csrf,
                "current_password": password,
                "new_password": "wang min 2026 secret",
                "confirm_password": "wang min 2026 secret",
            },
        )
        assert r.status_code == 200
        me = (await user.get("/api/me")).json()
        assert me == {
            "user_id": "wangmin",
            "display_name": "王敏",
            "unit_id": "sz-kx",
            "roles": ["submitter"],
            "department": None,  # created without one (issue 12: a user may belong to a department of its unit)
            "via": "session",
        }
        created = (await http.app.state.audit.query(action="user.created", user_id="root"))[0]
        assert created["target"] == "wangmin" and created["details"]["roles"] == ["submitter"]


async def test_admin_sets_a_password_and_the_user_form_refuses_bad_values(node):
    async with node_with_admin(node) as (http, admin):
        before = await users_count(http)
        bad = [
            (dict(username="x y", display_name="甲", unit_id="sz-kx", roles=["submitter"]), "用户名"),
            (dict(username="jia", display_name="", unit_id="sz-kx", roles=["submitter"]), "姓名"),
            (dict(username="jia", display_name="甲", unit_id="nowhere", roles=["submitter"]), "目录中没有该单位"),
            (dict(username="jia", display_name="甲", unit_id="sz-remote", roles=["submitter"]), "其他节点"),
            (dict(username="jia", display_name="甲", unit_id="sz-kx", roles=[]), "至少选择一个角色"),
            (dict(username="jia", display_name="甲", unit_id="sz-kx", roles=["superuser"]), "未知角色"),
            (dict(username="jia", display_name="甲", unit_id="sz-kx", roles=["admin"]), "管理员须属于本节点单位"),
            (dict(username="jia", display_name="甲", unit_id="sz-kx", roles=["issuer"], password="short"), "至少需要"),
            (dict(username="root", display_name="甲", unit_id="gd-kx", roles=["issuer"]), "用户名已存在"),
        ]
        for fields, message in bad:
            r = await admin.post("/admin/users", data=form(admin, **fields))
            assert r.status_code == 422 and message in r.text, (fields, r.text[-500:])
        assert await users_count(http) == before
        r = await admin.post(
            "/admin/users",
            data=form(
                admin,
                username="jia",
                display_name="甲",
                unit_id="sz-kx",
                roles=["issuer", "reviewer"],
                password="given by admin 1",
            ),
        )
        assert r.status_code == 200 and 'id="one-time-password"' not in r.text
        user = await login(http, "jia", "given by admin 1")
        assert (await user.get("/", headers=HTML)).headers["location"] == "/account?first=1"


async def test_role_and_unit_changes_apply_to_the_next_request(node):
    async with node_with_admin(node) as (http, admin):
        await create_user(http, "wangmin", "sz-kx", "submitter")
        user = await login(http, "wangmin")
        assert (await user.get("/api/me")).json()["roles"] == ["submitter"]
        r = await admin.post(
            "/admin/users/wangmin",
            data=form(admin, display_name="王敏（改）", unit_id="sz-kjj", roles=["issuer", "reviewer"]),
        )
        assert r.status_code == 303 and r.headers["location"] == "/admin/users/wangmin?saved=updated"
        me = (await user.get("/api/me")).json()
        assert (
            me["roles"] == ["issuer", "reviewer"] and me["unit_id"] == "sz-kjj" and me["display_name"] == "王敏（改）"
        )
        entry = (await http.app.state.audit.query(action="user.updated"))[0]
        assert entry["details"]["unit_id"] == {"from": "sz-kx", "to": "sz-kjj"}


async def test_disable_enable_and_reset_password(node):
    async with node_with_admin(node) as (http, admin):
        await create_user(http, "wangmin", "sz-kx", "submitter")
        user = await login(http, "wangmin")
        r = await admin.post("/admin/users/wangmin/disable", data=form(admin))
        assert r.status_code == 303
        assert (await user.get("/api/me")).status_code == 401
        assert "已停用" in (await admin.get("/admin/users")).text
        assert (await admin.post("/admin/users/wangmin/enable", data=form(admin))).status_code == 303
        user = await login(http, "wangmin")

        r = await admin.post("/admin/users/wangmin/reset-password", data=form(admin))
        password = one_time_secret(r.text, "one-time-password")
        assert (await user.get("/api/me")).status_code == 401  # the old sessions end
        fresh = await login(http, "wangmin", password)
        assert (await fresh.get("/api/units")).status_code == 403  # must change it first
        actions = [e["action"] for e in await http.app.state.audit.query(user_id="root")]
        assert {"user.disabled", "user.enabled", "user.password_reset"} <= set(actions)


async def test_the_last_admin_cannot_be_removed_or_disable_themselves(node):
    async with node_with_admin(node) as (http, admin):
        r = await admin.post(
            "/admin/users/root", data=form(admin, display_name="管理员", unit_id="gd-kx", roles=["issuer"])
        )
        assert r.status_code == 422 and "最后一位管理员" in r.text
        r = await admin.post("/admin/users/root/disable", data=form(admin))
        assert r.status_code == 403 and "不能停用自己的账户" in r.text
        assert (await admin.get("/api/me")).json()["roles"] == ["admin"]
        await create_user(http, "root2", "gd-kx", "admin")
        r = await admin.post(
            "/admin/users/root", data=form(admin, display_name="管理员", unit_id="gd-kx", roles=["issuer"])
        )
        assert r.status_code == 303  # another admin remains


async def test_admin_json_api_for_users(node):
    async with node_with_admin(node) as (http, _):
        api = await as_role(http, "gd-kx", "admin")
        r = await api.post(
            "/api/admin/users",
            json={"username": "lijun", "display_name": "李军", "unit_id": "sz-kjj", "roles": ["submitter"]},
        )
        assert r.status_code == 201, r.text
        assert r.json()["user"]["unit_id"] == "sz-kjj" and len(r.json()["one_time_password"]) >= 12
        assert "password_hash" not in str((await api.get("/api/admin/users")).json())
        r = await api.put(
            "/api/admin/users/lijun", json={"display_name": "李军", "unit_id": "nowhere", "roles": ["submitter"]}
        )
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "unit_id"]
        assert (await api.get("/api/admin/users/nobody")).status_code == 404
        assert (await api.post("/api/admin/users/lijun/disable")).json()["disabled"] is True
        r = await api.post(
            "/api/admin/users",
            json={"username": "x", "display_name": "x", "unit_id": "sz-kx", "roles": ["submitter"], "is_root": True},
        )
        assert r.status_code == 422  # unknown fields are refused


# ---------------------------------------------------------------- tokens


async def test_tokens_are_shown_once_work_for_their_unit_and_roles_and_can_be_revoked(node):
    async with node_with_admin(node) as (http, admin):
        r = await admin.post(
            "/admin/tokens", data=form(admin, name="深圳 OA", unit_id="sz-kx", roles=["submitter"], lifetime="90")
        )
        assert r.status_code == 200, r.text
        token = one_time_secret(r.text, "new-token")
        listing = await admin.get("/admin/tokens")
        assert "深圳 OA" in listing.text and token not in listing.text
        auth = {"Authorization": f"Bearer {token}"}
        me = (await http.get("/api/me", headers=auth)).json()
        assert me["unit_id"] == "sz-kx" and me["roles"] == ["submitter"] and me["display_name"] == "深圳 OA"
        assert (
            await http.put("/api/units/sz-kx", json={"unit_id": "sz-kx", "name": "x", "kind": "科协"}, headers=auth)
        ).status_code == 403

        token_id = token.split("_")[1]
        assert (await admin.post(f"/admin/tokens/{token_id}/revoke", data=form(admin))).status_code == 303
        assert (await http.get("/api/me", headers=auth)).status_code == 401
        assert "已吊销" in (await admin.get("/admin/tokens")).text
        actions = [e["action"] for e in await http.app.state.audit.query(user_id="root")]
        assert {"token.created", "token.revoked"} <= set(actions)


async def test_token_form_refuses_bad_values_and_admin_tokens_outside_the_node_unit(node):
    async with node_with_admin(node) as (http, admin):
        bad = [
            (dict(name="", unit_id="sz-kx", roles=["submitter"], lifetime="90"), "令牌名称"),
            (dict(name="OA", unit_id="sz-kx", roles=[], lifetime="90"), "至少选择一个角色"),
            (dict(name="OA", unit_id="sz-kx", roles=["admin"], lifetime="90"), "管理员须属于本节点单位"),
            (dict(name="OA", unit_id="ghost", roles=["submitter"], lifetime="90"), "目录中没有该单位"),
            (dict(name="OA", unit_id="sz-kx", roles=["submitter"], lifetime="-5"), "有效期无效"),
        ]
        before = len(await http.app.state.api_tokens.list())
        for fields, message in bad:
            r = await admin.post("/admin/tokens", data=form(admin, **fields))
            assert r.status_code == 422 and message in r.text, (fields, r.text[-400:])
        assert len(await http.app.state.api_tokens.list()) == before


async def test_token_expiry_set_in_the_form(node):
    clock = FixedClock(datetime(2026, 5, 6, 9, 0, tzinfo=UTC))
    async with node_with_admin(node, clock=clock) as (http, admin):
        r = await admin.post(
            "/admin/tokens", data=form(admin, name="临时", unit_id="gd-kx", roles=["issuer"], lifetime="30")
        )
        auth = {"Authorization": f"Bearer {one_time_secret(r.text, 'new-token')}"}
        clock.advance(timedelta(days=29, hours=23))
        assert (await http.get("/api/me", headers=auth)).status_code == 200
        clock.advance(timedelta(hours=2))
        assert (await http.get("/api/me", headers=auth)).status_code == 401


# ---------------------------------------------------------------- audit


async def test_commands_are_audited_with_who_what_and_when(node):
    async with node_with_admin(node, services=("notices", "reports", "submissions", "notifications")) as (http, admin):
        issuer = await as_role(http, "gd-kx", "issuer")
        submitter = await as_role(http, "sz-kx", "submitter")
        # Issued by 广东省科协 alone: POST /api/notices (a joint notice goes through 拟稿 and 会签, audited as such).
        nid = (await issue(issuer, alone())).json()["notice_id"]
        await eventually(lambda: _inbox(submitter))
        assert (await submitter.post(f"/api/units/sz-kx/inbox/{nid}/acknowledge")).status_code == 200
        # Refused commands leave no entry.
        assert (await submitter.post(f"/api/units/sz-kx/inbox/{nid}/acknowledge")).status_code == 409
        assert (await issue(issuer, alone(["ghost"]))).status_code == 422

        log = http.app.state.audit
        [issued] = await log.query(action="notices.issue")
        assert issued["unit_id"] == "gd-kx" and issued["roles"] == ["issuer"] and issued["via"] == "token"
        assert issued["target"] == nid and issued["details"]["doc_number"].startswith("粤科协联〔")
        assert issued["details"]["title"].startswith("关于转发")
        [acked] = await log.query(action="notices.acknowledge")
        assert acked["unit_id"] == "sz-kx" and acked["target"] == nid and acked["details"]["unit_id"] == "sz-kx"
        upserts = await log.query(action="notices.upsert_unit")
        assert len(upserts) == len(GD_UNITS) + 1

        page = await admin.get("/admin/audit?action=notices.acknowledge")
        assert page.status_code == 200 and "签收" in page.text and nid in page.text
        assert "发文" not in page.text.split('id="audit"')[1]  # filtered


async def _inbox(client):
    r = await client.get("/api/units/sz-kx/inbox")
    return r.status_code == 200 and r.json()["items"]


async def test_forward_correct_and_withdraw_are_audited_and_refusals_are_not(node):
    async with node_with_admin(node) as (http, admin):
        setup = await as_role(http, "gd-kx", "admin")
        child = {"unit_id": "ns-kx", "name": "南山区科学技术协会", "kind": "科协", "parent_id": "sz-kx"}
        assert (await setup.put("/api/units/ns-kx", json=child)).status_code == 200
        issuer = await as_role(http, "gd-kx", "issuer")
        sz = await as_role(http, "sz-kx", "issuer", "submitter")
        nid = (await issue(issuer, seed000_notice())).json()["notice_id"]
        await eventually(lambda: _inbox(sz))
        log = http.app.state.audit

        late = {"unit_id": "sz-kx", "recipient_unit_ids": ["ns-kx"], "deadlines": {"summary": "2999-01-01T00:00:00Z"}}
        assert (await sz.post(f"/api/notices/{nid}/forward", json=late)).status_code == 422
        r = await sz.post(
            f"/api/notices/{nid}/forward",
            json={"unit_id": "sz-kx", "recipient_unit_ids": ["ns-kx"], "title": "关于转发活动通知的通知"},
        )
        assert r.status_code == 201, r.text
        [forwarded] = await log.query(action="notices.forward")
        assert forwarded["unit_id"] == "sz-kx" and forwarded["roles"] == ["issuer", "submitter"]
        assert forwarded["target"] == nid and forwarded["via"] == "token"
        assert forwarded["details"]["unit_id"] == "sz-kx" and forwarded["details"]["title"] == "关于转发活动通知的通知"
        assert forwarded["details"]["doc_number"] == r.json()["doc_number"]

        assert (await sz.post(f"/api/notices/{nid}/correct", json={"reason": "越权更正"})).status_code == 403
        r = await issuer.post(f"/api/notices/{nid}/correct", json={"reason": "更正联系人", "title": "关于更正的通知"})
        assert r.status_code == 200, r.text
        [corrected] = await log.query(action="notices.correct")
        assert corrected["unit_id"] == "gd-kx" and corrected["target"] == nid
        assert corrected["details"]["reason"] == "更正联系人" and corrected["details"]["title"] == "关于更正的通知"

        assert (await sz.post(f"/api/notices/{nid}/withdraw", json={"reason": "越权撤回"})).status_code == 403
        assert (await issuer.post(f"/api/notices/{nid}/withdraw", json={"reason": "重复发文"})).status_code == 200
        assert (await issuer.post(f"/api/notices/{nid}/withdraw", json={"reason": "再撤一次"})).status_code == 409
        [withdrawn] = await log.query(action="notices.withdraw")
        assert withdrawn["unit_id"] == "gd-kx" and withdrawn["target"] == nid
        assert withdrawn["details"]["reason"] == "重复发文"

        page = (await admin.get("/admin/audit?action=notices")).text.split('id="audit"')[1]
        for text in ("转发", "更正通知", "撤回通知", "重复发文", "更正联系人"):
            assert text in page, text
        assert "越权" not in page and "再撤一次" not in page


async def test_audit_filters_page_back_and_export_csv(node):
    clock = FixedClock(datetime(2026, 5, 6, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai
    async with node_with_admin(node, clock=clock) as (http, admin):
        log = http.app.state.audit
        for i in range(3):
            await create_user(http, f"user{i}", "sz-kx", "submitter")
        clock.advance(timedelta(days=1))
        await create_user(http, "later", "sz-kjj", "submitter", display_name='=HYPERLINK("http://x")')
        admin = await login(http, "root")  # a day later: the old session has timed out
        page = await admin.get("/admin/audit?action=user.created&since=2026-05-07")
        assert "later" in page.text and "user0" not in page.text
        page = await admin.get("/admin/audit?action=user.created&until=2026-05-06")
        assert "user0" in page.text and "later" not in page.text
        page = await admin.get("/admin/audit?since=2026-05-07&until=2026-05-06")
        assert page.status_code == 422 and "结束日期早于开始日期" in page.text
        assert (await admin.get("/admin/audit?since=yesterday")).status_code == 422

        api = await as_role(http, "gd-kx", "admin")
        first = (await api.get("/api/admin/audit", params={"action": "user", "per_page": 2})).json()
        older = (await api.get("/api/admin/audit", params={"action": "user", "per_page": 2, "page": 2})).json()
        assert len(first["items"]) == 2 and len(older["items"]) == 2 and first["has_more"]
        assert not {e["id"] for e in first["items"]} & {e["id"] for e in older["items"]}

        r = await admin.get("/admin/audit.csv?action=user.created")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.headers["content-disposition"].startswith('attachment; filename="audit-')
        assert r.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["时间", "操作", "操作代码"]
        assert len(rows) == 1 + 4 + 1  # header, the 4 users created here, root (by the harness)
        assert all(row[2] == "user.created" for row in rows[1:])
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)

        # A value that a spreadsheet would run as a formula is exported as text.
        await http.app.state.accounts.login("later", PASSWORD)
        rows = list(
            csv.reader(
                io.StringIO(
                    (await admin.get("/admin/audit.csv?action=login&user_id=later")).content.decode("utf-8-sig")
                )
            )
        )
        assert rows[1][2] == "login" and rows[1][4] == '\'=HYPERLINK("http://x")'
        assert (await log.query(action="audit.exported"))[0]["user_id"] == "root"


def test_the_audit_log_is_append_only_in_code():
    """Only audit.py touches the collection, and it only inserts and reads."""
    gateway_dir = Path(__file__).resolve().parents[2] / "services" / "gateway"
    source = (gateway_dir / "core" / "audit.py").read_text(encoding="utf-8")
    for forbidden in (
        "update_one",
        "update_many",
        "replace_one",
        "delete_one",
        "delete_many",
        "find_one_and",
        "drop(",
        "bulk_write",
    ):
        assert forbidden not in source, forbidden
    for path in gateway_dir.rglob("*.py"):
        if path.name != "audit.py":
            text = path.read_text(encoding="utf-8")
            assert '["audit"]' not in text and "'audit'" not in text and ".entries." not in text, path


# ---------------------------------------------------------------- who may do this


ADMIN_GETS = [
    "/admin/users",
    "/admin/users/root",
    "/admin/tokens",
    "/admin/audit",
    "/admin/audit.csv",
    "/admin/channels",
    "/admin/templates",
    "/admin/templates/notice.issued/email",
    "/api/admin/users",
    "/api/admin/users/root",
    "/api/admin/tokens",
    "/api/admin/audit",
    "/api/admin/audit.csv",
    "/api/admin/channels",
    "/api/admin/templates",
    "/api/admin/templates/notice.issued/email",
]


async def test_admin_pages_and_api_refuse_every_other_role_and_hosted_unit_admins(node):
    async with node_with_admin(node) as (http, admin):
        await create_user(http, "wangmin", "sz-kx", "submitter")
        others = [await as_role(http, "gd-kx", role) for role in ("issuer", "reviewer", "submitter")]
        others.append(await as_role(http, "sz-kx", "admin"))  # admin role outside the node's unit: no effect
        others.append(await login(http, "wangmin"))
        before_users = await users_count(http)
        token_doc, _ = await http.app.state.tokens.create(
            name="t", unit_id="gd-kx", roles=["issuer"], created_by="root", now=http.app.state.clock.now()
        )
        for client in others:
            for url in ADMIN_GETS:
                assert (await client.get(url, headers=HTML)).status_code == 403, url
            csrf = {"csrf_token": getattr(client, "csrf", "")}
            posts = [
                (
                    "/admin/users",
                    {**csrf, "username": "evil", "display_name": "x", "unit_id": "gd-kx", "roles": "admin"},
                ),
                ("/admin/users/root", {**csrf, "display_name": "x", "unit_id": "gd-kx", "roles": "submitter"}),
                ("/admin/users/root/disable", csrf),
                ("/admin/users/root/reset-password", csrf),
                ("/admin/tokens", {**csrf, "name": "x", "unit_id": "gd-kx", "roles": "admin", "lifetime": ""}),
                (f"/admin/tokens/{token_doc['_id']}/revoke", csrf),
                ("/admin/users/root/enable", csrf),
                ("/admin/channels", {**csrf, "chat_enabled": "1", "chat_webhook_url": "https://evil.example/"}),
                ("/admin/templates/notice.issued/email", {**csrf, "subject": "x", "body": "x"}),
                ("/admin/templates/notice.issued/email/preview", {**csrf, "subject": "x", "body": "x"}),
                ("/admin/templates/notice.issued/email/reset", csrf),
            ]
            for url, data in posts:
                assert (await client.post(url, data=data, headers=HTML)).status_code == 403, url
            api_posts = [
                ("/api/admin/users", {"username": "evil", "display_name": "x", "unit_id": "gd-kx", "roles": ["admin"]}),
                ("/api/admin/users/root/disable", None),
                ("/api/admin/users/root/reset-password", None),
                ("/api/admin/tokens", {"name": "x", "unit_id": "gd-kx", "roles": ["admin"]}),
                (f"/api/admin/tokens/{token_doc['_id']}/revoke", None),
            ]
            headers = {"X-CSRF-Token": client.csrf} if hasattr(client, "csrf") else {}
            for url, body in api_posts:
                assert (await client.post(url, json=body, headers=headers)).status_code == 403, url
            api_other = [
                ("PUT", "/api/admin/users/root", {"display_name": "x", "unit_id": "gd-kx", "roles": ["submitter"]}),
                ("POST", "/api/admin/users/root/enable", None),
                ("PUT", "/api/admin/channels", {"chat": {"enabled": True, "webhook_url": "https://evil.example/"}}),
                ("PUT", "/api/admin/templates/notice.issued/email", {"subject": "x", "body": "x"}),
                ("DELETE", "/api/admin/templates/notice.issued/email", None),
                ("POST", "/api/admin/templates/notice.issued/email/preview", {}),
            ]
            for method, url, body in api_other:
                r = await client.request(method, url, json=body, headers=headers)
                assert r.status_code == 403 and r.json()["detail"][0]["type"] == "forbidden_role", (method, url)
        assert await users_count(http) == before_users
        root = await http.app.state.accounts.get("root")
        assert root["roles"] == ["admin"] and not root.get("disabled") and not root.get("must_change_password")
        assert not (await http.app.state.tokens.get(token_doc["_id"]))["revoked_at"]
        assert (await admin.get("/api/me")).status_code == 200  # root's session survived


async def test_admin_forms_without_the_csrf_token_change_nothing(node):
    async with node_with_admin(node) as (http, admin):
        await create_user(http, "wangmin", "sz-kx", "submitter")
        before, tokens_before = await users_count(http), len(await http.app.state.api_tokens.list())
        attempts = [
            ("/admin/users", {"username": "evil", "display_name": "x", "unit_id": "gd-kx", "roles": "admin"}),
            ("/admin/users/wangmin", {"display_name": "x", "unit_id": "gd-kx", "roles": "admin"}),
            ("/admin/users/wangmin/disable", {}),
            ("/admin/users/wangmin/reset-password", {}),
            ("/admin/tokens", {"name": "x", "unit_id": "gd-kx", "roles": "issuer", "lifetime": ""}),
        ]
        for url, data in attempts:
            r = await admin.post(url, data=data, headers=HTML)
            assert r.status_code == 403 and "CSRF" in r.text, url
            r = await admin.post(url, data={**data, "csrf_token": "forged"}, headers=HTML)
            assert r.status_code == 403, url
        r = await admin.post(
            "/api/admin/users", json={"username": "evil", "display_name": "x", "unit_id": "gd-kx", "roles": ["admin"]}
        )
        assert r.status_code == 403  # JSON with a session cookie needs the header
        assert await users_count(http) == before
        wangmin = await http.app.state.accounts.get("wangmin")
        assert wangmin["roles"] == ["submitter"] and not wangmin.get("disabled")
        assert len(await http.app.state.api_tokens.list()) == tokens_before
