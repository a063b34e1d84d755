"""Every role boundary of the JSON API and pages, tried from the wrong role and from the wrong unit.

The world: node gd (its own org unit gd-kx), the directory of seed 000, and
one notice issued by gd-kx + gd-kjt to sz-kx, sz-kjj, gd-jxxh and scut-kx
(plus a second one to sz-kjj alone, for 签收 and 撤回 through the API, and a
user wangmin for the admin's user operations). Each refused call answers 403
or 404 and changes nothing. The matrix runs with API tokens over every
request, and with browser logins (session cookie + CSRF token) over the pages.
"""

import contextlib
from dataclasses import dataclass

import httpx
import nats
import pytest

from services.gateway.core.users import public_user
from shared import subjects

from ..fixtures import GD_UNITS, seed000_notice
from ..harness import as_role, create_user, eventually, gateway, issue, login, running

NEW_UNIT = {"unit_id": "zh-kx", "name": "珠海市科学技术协会", "kind": "科协", "parent_id": "gd-kx"}
SZ_CHILD = {"unit_id": "ns-kx", "name": "南山区科学技术协会", "kind": "科协", "parent_id": "sz-kx"}


@dataclass
class World:
    http: httpx.AsyncClient
    notice_id: str
    second_id: str  # issued by gd-kx to sz-kjj alone
    draft_id: str  # a draft of gd-kx alone, to send for 签发, return and sign
    joint_id: str  # a draft of gd-kx + gd-kjt, to sign (签发 and 会签)
    admin: httpx.AsyncClient  # gd-kx, admin
    issuer: httpx.AsyncClient  # gd-kx, issuer
    reviewer: httpx.AsyncClient  # gd-kx, reviewer
    gd_submitter: httpx.AsyncClient  # gd-kx, submitter
    sz_submitter: httpx.AsyncClient  # sz-kx (a recipient), submitter
    sz_issuer: httpx.AsyncClient  # sz-kx, issuer
    sz_reviewer: httpx.AsyncClient  # sz-kx, reviewer
    sz_admin: httpx.AsyncClient  # sz-kx holding the admin role: a hosted unit, so it does not count
    kjj_submitter: httpx.AsyncClient  # sz-kjj, another recipient (a 科技局: it reports to gd-kjt)
    kjt_reviewer: httpx.AsyncClient  # gd-kjt, reviewer: the 科技局's submissions are routed to it
    outsider: httpx.AsyncClient  # zh-kx: every role, neither issuer nor recipient
    signer: httpx.AsyncClient  # gd-kx, 签发人
    kjt_signer: httpx.AsyncClient  # gd-kjt, 签发人 (会签 of the joint draft)


ROLES = {  # who each client of the world is: unit and roles
    "admin": ("gd-kx", "admin"),
    "issuer": ("gd-kx", "issuer"),
    "reviewer": ("gd-kx", "reviewer"),
    "gd_submitter": ("gd-kx", "submitter"),
    "sz_submitter": ("sz-kx", "submitter"),
    "sz_issuer": ("sz-kx", "issuer"),
    "sz_reviewer": ("sz-kx", "reviewer"),
    "sz_admin": ("sz-kx", "admin"),
    "kjj_submitter": ("sz-kjj", "submitter"),
    "kjt_reviewer": ("gd-kjt", "reviewer"),
    "outsider": ("zh-kx", "admin", "issuer", "reviewer", "submitter"),
    "signer": ("gd-kx", "signer"),
    "kjt_signer": ("gd-kjt", "signer"),
}


async def person(http, who: str) -> httpx.AsyncClient:
    """A browser logged in as a user holding ``who``'s unit and roles (``client.csrf`` is its CSRF token).

    The admin forms refuse an admin role outside the node's unit; an account holding one anyway (an old
    database, a unit changed by hand) is written into the store directly: the role must still not count.
    """
    unit, *roles = ROLES[who]
    username = who.replace("_", "-")
    await create_user(http, username, unit, *[r for r in roles if r != "admin" or unit == "gd-kx"] or ["submitter"])
    if "admin" in roles and unit != "gd-kx":
        await http.app.state.accounts.store.update(username, {"roles": list(roles)})
    return await login(http, username)


@contextlib.asynccontextmanager
async def world(node, via: str = "token"):
    async with running(node), gateway(node, org_unit_id="gd-kx") as http:
        admin = await as_role(http, "gd-kx", "admin")
        for unit in GD_UNITS:
            assert (await admin.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"))).status_code == 200
        assert (await admin.put("/api/units/zh-kx", json=NEW_UNIT)).status_code == 200
        assert (await admin.put("/api/units/ns-kx", json=SZ_CHILD)).status_code == 200
        issuer = await as_role(http, "gd-kx", "issuer")
        r = await issue(issuer, seed000_notice())
        assert r.status_code == 201, r.text
        second = await issue(issuer, seed000_notice(["sz-kjj"]))
        assert second.status_code == 201, second.text
        await create_user(http, "wangmin", "sz-kx", "submitter", display_name="王敏")
        drafts = [
            (await issuer.post("/api/drafts", json={"notice": body})) for body in (alone(["gd-jxxh"]), seed000_notice())
        ]
        assert all(d.status_code == 201 for d in drafts), [d.text for d in drafts]
        if via == "token":
            clients = {
                who: admin
                if who == "admin"
                else issuer
                if who == "issuer"
                else await as_role(http, ROLES[who][0], *ROLES[who][1:])
                for who in ROLES
            }
        else:
            clients = {who: await person(http, who) for who in ROLES}
        w = World(
            http=http,
            notice_id=r.json()["notice_id"],
            second_id=second.json()["notice_id"],
            draft_id=drafts[0].json()["id"],
            joint_id=drafts[1].json()["id"],
            **clients,
        )
        # The inboxes are filled by an event consumer: wait for them before probing.
        tokens = {who: await as_role(http, ROLES[who][0], *ROLES[who][1:]) for who in ("sz_submitter", "kjj_submitter")}
        await eventually(lambda: _nonempty(tokens["sz_submitter"], "/api/units/sz-kx/inbox"))
        await eventually(lambda: _has(tokens["kjj_submitter"], "/api/inbox", w.second_id))
        await eventually(lambda: _ok(issuer, f"/api/notices/{w.notice_id}/status"))
        yield w


def alone(recipients: list[str]) -> dict:
    """Seed 000's notice issued by 广东省科协 alone (a joint one goes through 会签)."""
    return {**seed000_notice(recipients), "issuer_unit_ids": ["gd-kx"]}


async def _nonempty(client, url):
    r = await client.get(url)
    return r.status_code == 200 and r.json()["items"]


async def _has(client, url, notice_id):
    r = await client.get(url)
    return r.status_code == 200 and any(e["notice_id"] == notice_id for e in r.json()["items"])


async def _ok(client, url):
    return (await client.get(url)).status_code == 200


async def events_count(node) -> int:
    """Events on the node's stream, but the 下级进度 reports: those go out on their own clock (throttled), after
    whatever changed a 转发's figures, so they may come at any moment of a check."""
    nc = await nats.connect(node.servers.nats_url)
    try:
        info = await nc.jetstream().stream_info(subjects.events_stream(node.node_id), subjects_filter=">")
        return sum(n for subject, n in (info.state.subjects or {}).items() if not subject.startswith("evt.progress."))
    finally:
        await nc.close()


def refused(r: httpx.Response, *codes: int) -> None:
    assert r.status_code in (codes or (403, 404)), (r.request.method, r.request.url, r.status_code, r.text)


# ---------------------------------------------------------------- directory: node admin


async def test_only_the_node_admin_writes_the_directory(node):
    async with world(node) as w:
        before = (await w.admin.get("/api/units")).json()["items"]
        change = {**NEW_UNIT, "name": "改名的科协"}
        wrong_role = [w.issuer, w.reviewer, w.gd_submitter]
        wrong_unit = [w.sz_admin, w.outsider]  # admin role, but of a hosted unit
        for client in wrong_role + wrong_unit:
            r = await client.put("/api/units/zh-kx", json=change)
            refused(r, 403)
            assert r.json()["detail"][0]["type"] == "forbidden_role"
            refused(await client.put("/api/units/evil", json={**NEW_UNIT, "unit_id": "evil"}), 403)
        assert (await w.admin.get("/api/units")).json()["items"] == before
        assert (await w.admin.put("/api/units/zh-kx", json=change)).status_code == 200
        assert [u["name"] for u in (await w.admin.get("/api/units")).json()["items"] if u["id"] == "zh-kx"] == [
            "改名的科协"
        ]


# ---------------------------------------------------------------- issue: issuer of its own unit


async def test_only_an_issuer_issues_and_only_for_its_own_unit(node):
    async with world(node) as w:
        events = await events_count(node)
        wrong_role = [w.admin, w.reviewer, w.gd_submitter]
        for client in wrong_role:
            refused(await issue(client, seed000_notice()), 403)
        # An issuer of another unit cannot issue in gd-kx's name, jointly or alone.
        for client in (w.sz_issuer, w.outsider):
            for issuers in (["gd-kx", "gd-kjt"], ["gd-kx"], ["gd-kjt", client_unit(client, w)]):
                r = await issue(client, {**seed000_notice(), "issuer_unit_ids": issuers})
                refused(r, 403)
        # A body cannot smuggle in another actor either.
        forged = {
            **seed000_notice(),
            "issuer_unit_ids": ["gd-kx"],
            "actor": {"user_id": "x", "display_name": "x", "unit_id": "gd-kx", "roles": ["issuer"]},
        }
        refused(await issue(w.sz_issuer, forged), 403)
        assert len((await w.issuer.get("/api/notices")).json()["items"]) == 2  # the world's two
        assert await events_count(node) == events
        r = await issue(w.sz_issuer, {**seed000_notice(["gd-jxxh"]), "issuer_unit_ids": ["sz-kx"]})
        assert r.status_code == 201, r.text  # its own unit's notice is fine


def client_unit(client, w: World) -> str:
    return "sz-kx" if client is w.sz_issuer else "zh-kx"


# ---------------------------------------------------------------- acknowledge: submitter of that unit


async def test_only_a_submitter_of_the_recipient_unit_acknowledges(node):
    async with world(node) as w:
        url = f"/api/units/sz-kx/inbox/{w.notice_id}/acknowledge"
        for client in (w.sz_issuer, w.sz_reviewer, w.sz_admin):  # right unit, wrong role
            refused(await client.post(url), 403)
        for client in (w.kjj_submitter, w.gd_submitter, w.outsider):  # right role, wrong unit
            refused(await client.post(url), 403)
        # Its own path, but the notice is not in its inbox.
        refused(await w.outsider.post(f"/api/units/zh-kx/inbox/{w.notice_id}/acknowledge"), 404)
        status = (await w.issuer.get(f"/api/notices/{w.notice_id}/status")).json()
        assert status["acknowledged"] == 0
        inbox = (await w.sz_submitter.get("/api/units/sz-kx/inbox")).json()["items"]
        assert inbox[0]["acknowledged_at"] is None
        assert (await w.sz_submitter.post(url)).status_code == 200


# ---------------------------------------------------------------- reads: scoped to the unit


async def test_a_notice_is_seen_only_by_its_issuers_and_recipients(node):
    async with world(node) as w:
        url = f"/api/notices/{w.notice_id}"
        for client in (w.issuer, w.reviewer, w.gd_submitter, w.sz_submitter, w.kjj_submitter, w.sz_issuer):
            assert (await client.get(url)).status_code == 200
        r = await w.outsider.get(url)
        refused(r, 404)  # as if it did not exist
        assert r.json() == (await w.outsider.get("/api/notices/no-such-notice")).json()


async def test_a_unit_reads_only_its_own_inbox(node):
    async with world(node) as w:
        for client in (w.kjj_submitter, w.outsider, w.issuer, w.admin):
            refused(await client.get("/api/units/sz-kx/inbox"), 403)
        assert len((await w.sz_submitter.get("/api/units/sz-kx/inbox")).json()["items"]) == 1
        assert (await w.outsider.get("/api/units/zh-kx/inbox")).json()["items"] == []


async def test_tracking_a_notice_is_for_the_issuing_units_issuers_and_reviewers(node):
    async with world(node) as w:
        for what in ("status", "deliveries", "deliveries/summary", "expected"):
            url = f"/api/notices/{w.notice_id}/{what}"
            for client in (w.gd_submitter, w.admin, w.sz_submitter):  # wrong role
                refused(await client.get(url), 403)
            for client in (w.sz_issuer, w.sz_reviewer):  # a recipient unit, not the issuer
                refused(await client.get(url), 403)
            refused(await w.outsider.get(url), 404)  # cannot even see the notice
            for client in (w.issuer, w.reviewer):
                assert (await client.get(url)).status_code == 200, (what, client)


async def test_the_list_of_issued_notices_is_the_units_own(node):
    async with world(node) as w:
        both = {w.notice_id, w.second_id}
        assert {n["id"] for n in (await w.issuer.get("/api/notices")).json()["items"]} == both
        assert {n["id"] for n in (await w.gd_submitter.get("/api/notices")).json()["items"]} == both
        for client in (w.sz_issuer, w.outsider, w.sz_submitter):
            assert (await client.get("/api/notices")).json()["items"] == []


@pytest.mark.parametrize(
    "who, status, sees_receipts",
    [
        ("issuer", 200, True),
        ("reviewer", 200, True),
        ("gd_submitter", 200, False),
        ("sz_submitter", 200, False),
        ("sz_issuer", 200, False),
        ("outsider", 404, False),
    ],
)
async def test_notice_pages_follow_the_same_scope(node, who, status, sees_receipts):
    async with world(node) as w:
        client = getattr(w, who)
        page = await client.get(f"/notices/{w.notice_id}", headers={"Accept": "text/html"})
        assert page.status_code == status
        assert ('id="receipts"' in page.text) is sees_receipts
        assert ("全国科技工作者日" in page.text) is (status == 200)
        home = await client.get("/", headers={"Accept": "text/html"})
        assert home.status_code == 200
        assert ("全国科技工作者日" in home.text) is (who in ("issuer", "reviewer", "gd_submitter"))


async def test_me_tells_a_token_its_unit_and_roles(node):
    async with world(node) as w:
        me = (await w.sz_submitter.get("/api/me")).json()
        assert me["unit_id"] == "sz-kx" and me["roles"] == ["submitter"] and me["via"] == "token"


# ---------------------------------------------------------------- the whole matrix


CLIENTS = [
    "admin",
    "issuer",
    "reviewer",
    "gd_submitter",
    "sz_submitter",
    "sz_issuer",
    "sz_reviewer",
    "sz_admin",
    "kjj_submitter",
    "kjt_reviewer",
    "outsider",
    "signer",
    "kjt_signer",
]
HTML_ACCEPT = {"Accept": "text/html"}


def operations(nid: str, second: str, draft: str, joint: str) -> list[tuple[str, str, dict, set[str]]]:
    """Every state-changing request of the API and the pages: (method, path, request kwargs, who may).

    Listed in an order where each success leaves the next operation possible (the pages' alone too).
    ``second`` is the world's notice to sz-kjj alone; ``draft`` and ``joint`` its drafts.
    """
    csv_import = "unit_id,name,kind,parent_id\nfs-kx,佛山市科学技术协会,科协,gd-kx\n".encode()
    csv_page = "unit_id,name,kind,parent_id\nhz-kx,惠州市科学技术协会,科协,gd-kx\n".encode()
    page = {"headers": HTML_ACCEPT}
    compose = {"title": "关于报送活动方案的通知", "recipients": "gd-jxxh", "body": "请报送。"}
    user_change = {"display_name": "王敏", "unit_id": "sz-kx", "roles": ["submitter", "issuer"]}
    template = {"subject": "新通知：{{ notice_title }}", "body": "{{ unit_name }}收到{{ doc_number }}"}
    return [
        # Reads that belong to a role (the unit-scoped reads of everyone are tested above).
        ("GET", "/api/units/export?format=csv", {}, {"admin"}),
        ("GET", "/directory", page, {"admin"}),
        ("GET", "/directory/zh-kx", page, {"admin"}),
        ("GET", "/notices/new", page, {"issuer", "sz_issuer", "outsider"}),
        ("GET", f"/notices/{nid}/forward", page, {"sz_issuer", "issuer"}),  # the form; posting it is scoped
        ("GET", f"/notices/{nid}/correct", page, {"issuer", "sz_issuer"}),  # the form; posting it is scoped
        *[
            ("GET", f"/api/notices/{nid}/{what}", {}, {"issuer", "reviewer", "kjt_reviewer"})  # gd-kjt: a co-issuer
            for what in ("tracking", "status", "deliveries", "deliveries/summary", "expected")
        ],
        (
            "POST",
            "/api/units/import?format=csv",
            {"content": csv_import, "headers": {"Content-Type": "text/csv"}},
            {"admin"},
        ),
        ("PUT", "/api/units/zh-kx", {"json": {**NEW_UNIT, "name": "珠海市科协"}}, {"admin"}),
        ("DELETE", "/api/units/fs-kx", {}, {"admin"}),
        (
            "POST",
            "/directory/save",
            {"data": {**NEW_UNIT, "name": "珠海市科协（页）"}, "headers": HTML_ACCEPT},
            {"admin"},
        ),
        ("POST", "/api/notices", {"json": alone(["gd-jxxh"])}, {"issuer"}),
        *draft_operations(draft, joint),
        # 拟稿 on the page issues for the actor's own unit: any issuer (the outsider's unit issues its own).
        ("POST", "/notices/new", {"data": compose, "headers": HTML_ACCEPT}, {"issuer", "sz_issuer", "outsider"}),
        # 预览公文 before issuing: nothing stored, no 文号 taken; for the lead issuer's own unit (the API's body names
        # it; the page previews for the actor's unit), a 转发's only where the notice is in the unit's inbox.
        ("POST", "/api/notices/preview.pdf", {"json": seed000_notice()}, {"issuer"}),
        (
            "POST",
            f"/api/notices/{nid}/forward/preview.docx",
            {"json": {"unit_id": "sz-kx", "recipient_unit_ids": ["ns-kx"]}},
            {"sz_issuer"},
        ),
        (
            "POST",
            "/notices/new/preview.pdf",
            {"data": compose, "headers": HTML_ACCEPT},
            {"issuer", "sz_issuer", "outsider"},
        ),
        (
            "POST",
            f"/notices/{nid}/forward/preview.pdf",
            {"data": {"recipients": "gd-jxxh"}, "headers": HTML_ACCEPT},
            {"sz_issuer"},
        ),
        (
            "POST",
            "/directory/import",
            {"data": {"format": "csv"}, "files": {"file": ("units.csv", csv_page, "text/csv")}, "headers": HTML_ACCEPT},
            {"admin"},
        ),
        (
            "POST",
            "/api/attachments",
            {"files": {"file": ("plan.txt", "方案".encode(), "text/plain")}},
            {"issuer", "sz_issuer", "outsider"},
        ),  # any issuer uploads; who may read it is scoped
        # 报送 and 审核 (submissions routed by kind: sz-kx → gd-kx, the 科技局 sz-kjj → gd-kjt). The pages
        # first, then the API on the second notice, so the revisions are the same when only pages run.
        *submission_operations(nid, second),
        ("POST", f"/api/units/sz-kx/inbox/{nid}/acknowledge", {}, {"sz_submitter"}),
        # 签收 on the page is for the submitter's own unit (sz-kx has just signed: 409 for it now).
        ("POST", f"/inbox/{nid}/acknowledge", {"headers": HTML_ACCEPT}, {"kjj_submitter", "sz_submitter"}),
        ("POST", f"/api/inbox/{second}/acknowledge", {}, {"kjj_submitter"}),  # its own unit: only sz-kjj has it
        (
            "POST",
            f"/api/notices/{nid}/forward",
            {"json": {"unit_id": "sz-kx", "recipient_unit_ids": ["ns-kx"]}},
            {"sz_issuer"},
        ),
        (
            "POST",
            f"/notices/{nid}/forward",
            {"data": {"recipients": "gd-jxxh"}, "headers": HTML_ACCEPT},
            {"sz_issuer"},
        ),  # the page forwards for the actor's own unit: only a recipient's issuer
        (
            "POST",
            f"/api/notices/{nid}/correct",
            {"json": {"reason": "更正联系人", "title": "关于更正的通知"}},
            {"issuer"},
        ),
        (
            "POST",
            f"/notices/{nid}/correct",
            {"data": {"reason": "再次更正", "title": "关于再次更正的通知"}, "headers": HTML_ACCEPT},
            {"issuer"},
        ),
        ("POST", f"/notices/{nid}/withdraw", {"data": {"reason": "重复发文"}, "headers": HTML_ACCEPT}, {"issuer"}),
        ("POST", f"/api/notices/{second}/withdraw", {"json": {"reason": "另行通知"}}, {"issuer"}),
        ("POST", "/directory/ns-kx/delete", page, {"admin"}),
        # The node admin's users (the rest of the admin routes: test_auth_admin.py).
        ("PUT", "/api/admin/users/wangmin", {"json": user_change}, {"admin"}),
        ("POST", "/api/admin/users/wangmin/disable", {}, {"admin"}),
        ("POST", "/api/admin/users/wangmin/enable", {}, {"admin"}),
        ("POST", "/admin/users/wangmin/disable", page, {"admin"}),
        ("POST", "/admin/users/wangmin/enable", page, {"admin"}),
        # Notification channels and message templates: the node admin's.
        ("GET", "/api/admin/channels", {}, {"admin"}),
        ("GET", "/api/admin/templates", {}, {"admin"}),
        ("GET", "/api/admin/templates/notice.issued/email", {}, {"admin"}),
        ("GET", "/admin/channels", page, {"admin"}),
        ("GET", "/admin/templates", page, {"admin"}),
        ("GET", "/admin/templates/notice.issued/email", page, {"admin"}),
        ("PUT", "/api/admin/channels", {"json": {"sms": {"enabled": True, "signature": "广东省科协"}}}, {"admin"}),
        (
            "POST",
            "/admin/channels",
            {
                "data": {
                    "email_enabled": "1",
                    "email_sender": "kx@gdkx.example.cn",
                    "sms_enabled": "1",
                    "sms_signature": "省科协",
                },
                "headers": HTML_ACCEPT,
            },
            {"admin"},
        ),
        ("PUT", "/api/admin/templates/notice.issued/email", {"json": template}, {"admin"}),
        ("POST", "/api/admin/templates/notice.issued/email/preview", {"json": {}}, {"admin"}),
        ("DELETE", "/api/admin/templates/notice.issued/email", {}, {"admin"}),
        (
            "POST",
            "/admin/templates/notice.issued/sms",
            {"data": {"body": "{{ unit_name }}收到通知"}, "headers": HTML_ACCEPT},
            {"admin"},
        ),
        (
            "POST",
            "/admin/templates/notice.issued/sms/preview",
            {"data": {"body": "{{ unit_name }}"}, "headers": HTML_ACCEPT},
            {"admin"},
        ),
        ("POST", "/admin/templates/notice.issued/sms/reset", page, {"admin"}),
    ]


def draft_operations(draft: str, joint: str) -> list[tuple[str, str, dict, set[str]]]:
    """拟稿 → 送签发 → 退回 → 送签发 → 签发 of gd-kx's draft, and 签发 + 会签 of the joint one."""
    page = {"headers": HTML_ACCEPT}
    return [
        ("POST", "/api/drafts", {"json": {"notice": alone(["scut-kx"])}}, {"issuer"}),
        ("PUT", f"/api/drafts/{draft}", {"json": {"notice": alone(["gd-jxxh", "scut-kx"])}}, {"issuer"}),
        ("POST", f"/api/drafts/{draft}/submit", {}, {"issuer"}),
        ("POST", f"/api/drafts/{draft}/reject", {"json": {"reason": "请核对收文单位"}}, {"signer"}),
        ("POST", f"/drafts/{draft}/submit", page, {"issuer"}),
        ("POST", f"/drafts/{draft}/reject", {"data": {"reason": "请再核对"}, **page}, {"signer"}),
        ("POST", f"/drafts/{draft}/submit", page, {"issuer"}),
        ("POST", f"/drafts/{draft}/approve", {"data": {"comment": "同意"}, **page}, {"signer"}),
        ("POST", f"/api/drafts/{joint}/submit", {}, {"issuer"}),
        ("POST", f"/api/drafts/{joint}/approve", {"json": {}}, {"signer", "kjt_signer"}),  # 签发 and 会签
    ]


def submission_operations(nid: str, second: str) -> list[tuple[str, str, dict, set[str]]]:
    page = {"headers": HTML_ACCEPT}
    sz, kjj2 = f"{nid}:summary:sz-kx", f"{second}:summary:sz-kjj"
    owing = {"sz_submitter", "kjj_submitter"}
    sz_unit = {"sz_submitter", "sz_issuer", "sz_reviewer", "sz_admin"}
    reviewers = {"reviewer", "sz_reviewer", "kjt_reviewer", "outsider"}  # each sees its own unit's queue
    return [
        ("GET", "/review", page, reviewers),
        ("GET", "/api/review", {}, reviewers),
        ("GET", f"/notices/{nid}/asks/summary/submit", page, owing),
        (
            "POST",
            "/api/submission-files",
            {"files": {"file": ("总结.txt", "总结".encode(), "text/plain")}},
            {"gd_submitter", "sz_submitter", "kjj_submitter", "reviewer", "sz_reviewer", "kjt_reviewer", "outsider"},
        ),
        ("POST", f"/notices/{nid}/asks/summary/submit", {"data": {"item-0-text": "活动总结初稿"}, **page}, owing),
        ("GET", f"/submissions/{sz}", page, sz_unit | {"reviewer"}),
        ("GET", f"/api/submissions/{sz}", {}, sz_unit | {"reviewer"}),
        ("POST", f"/submissions/{sz}/return", {"data": {"revision": "1", "reason": "请补充"}, **page}, {"reviewer"}),
        ("POST", f"/notices/{nid}/asks/summary/submit", {"data": {"item-0-text": "活动总结"}, **page}, owing),
        ("POST", f"/submissions/{sz}/accept", {"data": {"revision": "2"}, **page}, {"reviewer"}),
        ("POST", f"/submissions/{sz}/commend", {"data": {"category": "优秀组织单位"}, **page}, {"reviewer"}),
        ("POST", f"/api/submissions/{sz}/commend", {"json": {"category": "优秀活动案例"}}, {"reviewer"}),
        ("GET", f"/notices/new?commend={nid}", page, {"issuer"}),
        ("POST", f"/notices/{nid}/chase", {"data": {"ask_id": "summary"}, **page}, {"issuer"}),
        (
            "POST",
            f"/api/notices/{second}/asks/summary/submission",
            {"json": {"items": [{"text": "总结"}]}},
            {"kjj_submitter"},
        ),
        ("POST", f"/api/submissions/{kjj2}/return", {"json": {"revision": 1, "reason": "请补充"}}, {"kjt_reviewer"}),
        (
            "POST",
            f"/api/notices/{second}/asks/summary/submission",
            {"json": {"items": [{"text": "总结二"}]}},
            {"kjj_submitter"},
        ),
        ("POST", f"/api/submissions/{kjj2}/accept", {"json": {"revision": 2}}, {"kjt_reviewer"}),
        ("POST", f"/api/notices/{nid}/chase", {"json": {"note": "请尽快报送"}}, {"issuer"}),
    ]


async def snapshot(w: World, node) -> dict:
    """What any of the operations would change."""

    async def body(client, url):
        r = await client.get(url)
        assert r.status_code == 200, (url, r.text)
        return r.json()

    app = w.http.app  # type: ignore[attr-defined]  # gateway() sets it on the test client

    return {
        "units": await body(w.admin, "/api/units"),
        "notice": await body(w.issuer, f"/api/notices/{w.notice_id}"),
        "second": await body(w.issuer, f"/api/notices/{w.second_id}"),
        "tracking": await body(w.issuer, f"/api/notices/{w.notice_id}/tracking"),
        "submissions": [await body(w.issuer, f"/api/notices/{n}/expected") for n in (w.notice_id, w.second_id)],
        "issued": [await body(c, "/api/notices") for c in (w.issuer, w.sz_issuer, w.outsider)],
        "inboxes": [await body(c, "/api/inbox") for c in (w.sz_submitter, w.kjj_submitter)],
        "drafts": [await body(w.issuer, f"/api/drafts/{d}") for d in (w.draft_id, w.joint_id)],
        "to_sign": [await body(c, "/api/drafts?box=pending") for c in (w.signer, w.kjt_signer)],
        "users": [public_user(u) for u in await app.state.accounts.list()],
        "channels": await body(w.admin, "/api/admin/channels"),
        "templates": await body(w.admin, "/api/admin/templates"),
        "events": await events_count(node),
        "audit": len(await app.state.audit.query(limit=500)),
    }


async def quiet(node) -> None:
    """Wait until every consumer has handled every event: what the last success set off has settled."""
    nc = await nats.connect(node.servers.nats_url)
    js = nc.jetstream()

    async def idle():
        consumers = await js.consumers_info(subjects.events_stream(node.node_id))
        return all(c.num_pending == 0 and c.num_ack_pending == 0 for c in consumers)

    try:
        await eventually(idle)
    finally:
        await nc.close()


async def run_matrix(w: World, node, ops) -> None:
    for method, path, kwargs, allowed in ops:
        await quiet(node)
        before = await snapshot(w, node)
        for who in CLIENTS:
            if who in allowed:
                continue
            r = await call(getattr(w, who), method, path, kwargs)
            assert r.status_code in (403, 404), (who, method, path, r.status_code, r.text[:300])
            assert "CSRF" not in r.text, (who, method, path)  # refused for its role or unit, not a missing token
        await quiet(node)  # anything a refused request had set off would show now
        assert await snapshot(w, node) == before, (method, path)
        for who in sorted(allowed):  # and it is the job of the ones allowed
            r = await call(getattr(w, who), method, path, kwargs)
            done_before = r.status_code == 409 and "已签收" in r.text
            assert r.status_code < 400 or done_before, (who, method, path, r.status_code, r.text[:300])


async def call(client: httpx.AsyncClient, method: str, path: str, kwargs: dict) -> httpx.Response:
    """The request as that client sends it: a browser session adds its CSRF token (a page's form or script would)."""
    csrf = getattr(client, "csrf", None)
    if csrf and method not in ("GET", "HEAD"):
        kwargs = {**kwargs, "headers": {**kwargs.get("headers", {}), "X-CSRF-Token": csrf}}
    return await client.request(method, path, **kwargs)


async def test_every_state_changing_request_is_refused_to_everyone_but_its_role_in_its_unit(node):
    async with world(node) as w:
        await run_matrix(w, node, operations(w.notice_id, w.second_id, w.draft_id, w.joint_id))


async def test_with_a_browser_login_every_page_request_is_refused_to_everyone_but_its_role_in_its_unit(node):
    """The same matrix over the pages, each person logged in with a session cookie and sending its CSRF token."""
    async with world(node, via="session") as w:
        assert all(getattr(getattr(w, who), "csrf", None) for who in CLIENTS)
        pages = [
            op for op in operations(w.notice_id, w.second_id, w.draft_id, w.joint_id) if not op[1].startswith("/api/")
        ]
        assert len(pages) >= 20
        await run_matrix(w, node, pages)
