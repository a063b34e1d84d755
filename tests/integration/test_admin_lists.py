"""The node admin's lists a page at a time: the audit log, dead letters, users and API tokens (API and pages)."""

import contextlib
import csv
import io
import re
from datetime import UTC, datetime, timedelta

import nats

from shared import subjects
from shared.clock import FixedClock
from shared.contracts.common import Actor
from shared.schemas import Role

from ..fixtures import GD_UNITS
from ..harness import as_role, create_user, eventually, gateway, login, running

HTML = {"Accept": "text/html"}


@contextlib.asynccontextmanager
async def node_with_admin(node, services=("notices",), clock=None):
    """Node gd (own unit gd-kx) with the seed directory; yields (http, admin API client, logged-in admin ``root``)."""
    async with running(node, list(services), clock=clock), gateway(node, org_unit_id="gd-kx", clock=clock) as http:
        api = await as_role(http, "gd-kx", "admin")
        for unit in GD_UNITS:
            assert (await api.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"))).status_code == 200
        await create_user(http, "root", "gd-kx", "admin", display_name="管理员")
        yield http, api, await login(http, "root")


def detail(r) -> tuple[list, str]:
    d = r.json()["detail"][0]
    return d["loc"], d["msg"]


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'href="([^"]*)" rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


async def bad_pages_are_422(api, browser, api_url: str, page_url: str) -> None:
    """A page or page size out of range (or not a number) is a 422 naming it, in Chinese; the page says so too."""
    for params, field, words in (
        ({"page": 0}, "page", "页码须为"),
        ({"page": "x"}, "page", "页码须为"),
        ({"page": 10_001}, "page", "页码须为"),
        ({"per_page": 0}, "per_page", "每页条数须为"),
        ({"per_page": 201}, "per_page", "每页条数须为"),
        ({"per_page": "1.5"}, "per_page", "每页条数"),
    ):
        r = await api.get(api_url, params=params)
        assert r.status_code == 422, (api_url, params, r.text)
        loc, msg = detail(r)
        assert loc == ["body", field] and words in msg, (params, r.text)
    r = await browser.get(page_url, params={"per_page": "abc"}, headers=HTML)
    assert r.status_code == 422 and "每页条数须为" in r.text and "字段：per_page" in r.text


# ---------------------------------------------------------------- the audit log


async def test_the_audit_log_pages_newest_first_with_its_filters_and_the_export_stays_complete(node):
    clock = FixedClock(datetime(2026, 5, 6, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai
    async with node_with_admin(node, clock=clock) as (http, api, _):
        log = http.app.state.audit
        wang = Actor(user_id="wangmin", display_name="王敏", unit_id="sz-kx", roles=[Role.submitter])
        li = Actor(user_id="lijun", display_name="李军", unit_id="sz-kjj", roles=[Role.submitter])
        # 60 failed logins a minute apart; then 10 log-outs at one instant (their order is still fixed).
        for i in range(60):
            clock.advance(timedelta(minutes=1))
            await log.append("login.failed", by=None, target=f"guess{i:02}")
        clock.set(datetime(2026, 5, 8, 1, 0, tzinfo=UTC))
        for i in range(10):
            await log.append("logout", by=wang if i % 2 else li, target=f"at-once-{i}")
        browser = await login(http, "root")  # after the clock moved: a fresh session

        url = "/api/admin/audit"
        failed = (await api.get(url, params={"action": "login.failed"})).json()
        assert (len(failed["items"]), failed["page"], failed["per_page"], failed["has_more"], failed["total"]) == (
            50,
            1,
            50,
            True,
            None,
        )  # the log only grows: not counted
        rest = (await api.get(url, params={"action": "login.failed", "page": 2})).json()
        assert (len(rest["items"]), rest["has_more"]) == (10, False)
        targets = [e["target"] for e in failed["items"] + rest["items"]]
        assert targets == [f"guess{i:02}" for i in reversed(range(60))]  # newest first
        assert all(e["label"] == "登录失败" for e in failed["items"])
        small = (await api.get(url, params={"action": "login.failed", "per_page": 7, "page": 3})).json()
        assert [e["target"] for e in small["items"]] == targets[14:21] and small["has_more"]

        # Entries of one instant page without overlap or gap.
        seen = []
        for n in (1, 2, 3, 4):
            got = (await api.get(url, params={"action": "logout", "per_page": 3, "page": n})).json()
            seen += [e["target"] for e in got["items"]]
            assert got["has_more"] == (n < 4)
        assert sorted(seen) == sorted(f"at-once-{i}" for i in range(10)) and len(set(seen)) == 10

        # Filters: a prefix takes the codes under it; user, unit and days narrow.
        async def targets_of(**params) -> list[str]:
            r = await api.get(url, params={"per_page": 200, **params})
            assert r.status_code == 200, r.text
            return [e["target"] for e in r.json()["items"]]

        assert len(await targets_of(action="login")) == 60 + 2  # and root's two logins (set-up, then here)
        assert len(await targets_of(action="logout", user_id="wangmin")) == 5
        assert len(await targets_of(unit_id="sz-kjj")) == 5
        assert len(await targets_of(action="login.failed", since="2026-05-07")) == 0
        assert len(await targets_of(action="login.failed", until="2026-05-06")) == 60
        assert len(await targets_of(action="logout", since="2026-05-08", until="2026-05-08")) == 10
        assert (await api.get(url, params={"action": "Login!"})).status_code == 422

        await bad_pages_are_422(api, browser, url, "/admin/audit")

        # The page: 20 at a time, the links keep the filters.
        r = await browser.get("/admin/audit", params={"action": "login.failed", "per_page": 20}, headers=HTML)
        assert r.status_code == 200 and r.text.count('data-action="login.failed"') == 20
        assert "guess59" in r.text and "guess39" not in r.text and link(r.text, "prev") is None
        following = link(r.text, "next")
        assert following.startswith("/admin/audit?") and "action=login.failed" in following and "page=2" in following
        third = await browser.get(link((await browser.get(following, headers=HTML)).text, "next"), headers=HTML)
        assert third.text.count("data-id=") == 20 and "guess00" in third.text and "第 3 页" in third.text
        assert (
            link(third.text, "next") is None
            and link(third.text, "first") == "/admin/audit?action=login.failed&per_page=20"
        )

        # The export has every matching entry, however many pages they make.
        rows = list(
            csv.reader(
                io.StringIO((await browser.get("/admin/audit.csv?action=login.failed")).content.decode("utf-8-sig"))
            )
        )
        assert len(rows) == 1 + 60 and [row[8] for row in rows[1:]] == targets
        rows = list(csv.reader(io.StringIO((await browser.get("/admin/audit.csv")).content.decode("utf-8-sig"))))
        assert len(rows) > 1 + 70


# ---------------------------------------------------------------- dead letters


async def test_dead_letters_page_by_stream_sequence_newest_first(node):
    async with running(node, ["reports"]), gateway(node, org_unit_id="gd-kx") as http:
        api = await as_role(http, "gd-kx", "admin")
        await create_user(http, "ops", "gd-kx", "admin")
        browser = await login(http, "ops")
        nc = await nats.connect(node.servers.nats_url)
        try:
            for i in range(7):
                await nc.jetstream().publish(subjects.event("notice.issued", node.node_id), f"not json {i}".encode())
        finally:
            await nc.close()

        url = "/api/admin/dead-letters"

        async def seven():
            got = (await api.get(url)).json()
            return got if got["total"] == 7 else None

        everything = await eventually(seven)
        seqs = [d["seq"] for d in everything["items"]]
        assert seqs == sorted(seqs, reverse=True) and not everything["has_more"]
        assert [d["preview"] for d in everything["items"]] == [f"not json {i}" for i in reversed(range(7))]

        async def pages(per_page: int) -> list[list[int]]:
            out, n = [], 1
            while True:
                got = (await api.get(url, params={"per_page": per_page, "page": n})).json()
                out.append([d["seq"] for d in got["items"]])
                if not got["has_more"]:
                    return out
                n += 1

        assert await pages(3) == [seqs[0:3], seqs[3:6], seqs[6:]]
        # Dismissed ones leave gaps in the sequence: pages are still full and in order.
        for seq in (seqs[1], seqs[3], seqs[4]):
            assert (await api.delete(f"{url}/{seq}")).status_code == 204
        left = [s for s in seqs if s not in (seqs[1], seqs[3], seqs[4])]
        assert await pages(2) == [left[0:2], left[2:]]
        got = (await api.get(url, params={"per_page": 2, "page": 2})).json()
        assert (got["total"], got["page"], got["has_more"]) == (4, 2, False)
        assert (await api.get(url, params={"page": 3, "per_page": 2})).json()["items"] == []

        await bad_pages_are_422(api, browser, url, "/admin/dead-letters")

        r = await browser.get("/admin/dead-letters", params={"per_page": 3}, headers=HTML)
        assert r.status_code == 200 and [int(s) for s in re.findall(r'data-seq="(\d+)"', r.text)] == left[:3]
        assert "共 4 条" in r.text and "第 1 页，共 2 页（4 条）" in r.text
        last = await browser.get(link(r.text, "next"), headers=HTML)
        assert [int(s) for s in re.findall(r'data-seq="(\d+)"', last.text)] == left[3:]
        assert link(last.text, "prev") == "/admin/dead-letters?per_page=3" and link(last.text, "next") is None


# ---------------------------------------------------------------- users and tokens


async def test_users_page_by_username_with_a_search_and_a_unit(node):
    async with node_with_admin(node) as (http, api, browser):
        for i in range(12):
            await create_user(
                http,
                f"sz{i:02}",
                "sz-kx" if i < 8 else "sz-kjj",
                "submitter",
                display_name=f"{'王' if i % 3 == 0 else '李'}{i:02}",
            )
        url = "/api/admin/users"
        first = (await api.get(url, params={"per_page": 5})).json()
        names = ["root", *(f"sz{i:02}" for i in range(12))]
        assert [u["username"] for u in first["items"]] == names[:5]
        assert (first["total"], first["has_more"]) == (13, True)
        last = (await api.get(url, params={"per_page": 5, "page": 3})).json()
        assert [u["username"] for u in last["items"]] == names[10:] and not last["has_more"]
        assert "password_hash" not in str(first)

        async def usernames(**params) -> list[str]:
            r = await api.get(url, params=params)
            assert r.status_code == 200, r.text
            return [u["username"] for u in r.json()["items"]]

        assert await usernames(q="SZ1") == ["sz10", "sz11"]  # the start of a username, any case
        assert await usernames(q="王") == ["sz00", "sz03", "sz06", "sz09"]  # part of a name
        assert await usernames(unit_id="sz-kjj") == ["sz08", "sz09", "sz10", "sz11"]
        assert await usernames(unit_id="sz-kjj", q="李") == ["sz08", "sz10", "sz11"]
        assert await usernames(q="(.*") == []  # typed text, not a pattern
        assert await usernames(q="王\x00") == ["sz00", "sz03", "sz06", "sz09"]  # a control character is dropped
        assert (await api.get(url, params={"q": "王", "per_page": 2})).json()["total"] == 4

        await bad_pages_are_422(api, browser, url, "/admin/users")

        r = await browser.get("/admin/users", params={"unit_id": "sz-kx", "per_page": 3}, headers=HTML)
        assert r.status_code == 200 and re.findall(r'href="/admin/users/(sz\d\d)"', r.text) == ["sz00", "sz01", "sz02"]
        assert "第 1 页，共 3 页（8 条）" in r.text
        following = link(r.text, "next")
        assert "unit_id=sz-kx" in following and "page=2" in following
        assert re.findall(r'href="/admin/users/(sz\d\d)"', (await browser.get(following, headers=HTML)).text) == [
            "sz03",
            "sz04",
            "sz05",
        ]
        assert "没有符合条件的用户" in (await browser.get("/admin/users?q=nobody", headers=HTML)).text


async def test_tokens_page_newest_first_with_a_search_and_a_unit(node):
    async with node_with_admin(node) as (http, api, browser):
        tokens = http.app.state.tokens
        made = []
        for i in range(8):
            doc, _ = await tokens.create(
                name=f"{'OA' if i % 2 else '报表'}系统 {i}",
                unit_id="sz-kx" if i < 5 else "sz-kjj",
                roles=[Role.submitter],
                created_by="test",
                now=http.app.state.clock.now(),
            )
            made.append(doc["_id"])
        url = "/api/admin/tokens"
        everything = [t["id"] async for t in _all(api, url)]
        assert everything[:8] == list(reversed(made))  # newest first (the harness's own token is older)
        first = (await api.get(url, params={"per_page": 3})).json()
        assert [t["id"] for t in first["items"]] == everything[:3] and first["has_more"]
        assert first["total"] == len(everything) and "secret_sha256" not in str(first)

        async def names(**params) -> list[str]:
            r = await api.get(url, params=params)
            assert r.status_code == 200, r.text
            return [t["name"] for t in r.json()["items"]]

        assert await names(q="oa") == ["OA系统 7", "OA系统 5", "OA系统 3", "OA系统 1"]
        assert await names(unit_id="sz-kjj") == ["OA系统 7", "报表系统 6", "OA系统 5"]
        assert await names(unit_id="sz-kx", q="报表") == ["报表系统 4", "报表系统 2", "报表系统 0"]

        await bad_pages_are_422(api, browser, url, "/admin/tokens")

        r = await browser.get("/admin/tokens", params={"q": "系统", "per_page": 5}, headers=HTML)
        assert r.status_code == 200 and r.text.count("系统 ") == 5 and "第 1 页，共 2 页（8 条）" in r.text
        second = await browser.get(link(r.text, "next"), headers=HTML)
        assert "报表系统 0" in second.text and "q=%E7%B3%BB%E7%BB%9F" in link(second.text, "prev")


async def _all(api, url):
    n = 1
    while True:
        got = (await api.get(url, params={"page": n, "per_page": 200})).json()
        for item in got["items"]:
            yield item
        if not got["has_more"]:
            return
        n += 1
