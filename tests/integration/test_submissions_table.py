"""汇总表: the submissions of one ask, as the unit they are routed to compiles them (JSON and CSV for Excel)."""

import csv
import io
from urllib.parse import unquote

from ..fixtures import FIVE_MODULES, STAMPED, load_directory, plan_form, seed000_notice
from ..harness import as_role, eventually, gateway, issue, running

FORMULA = '=HYPERLINK("http://evil.example","点我")'


def plan_notice() -> dict:
    """Seed 000's province notice, asking for 1–2 activity plans on seed 002's form (files optional here)."""
    notice = seed000_notice()
    notice["asks"][0] |= {
        "ask_id": "plan",
        "kind": "plan",
        "title": "特色亮点活动筹备方案",
        "min_items": 1,
        "max_items": 2,
        "fields": [f for f in plan_form() if f["key"] != "stamped"] + [{**STAMPED, "required": False}],
    }
    return notice


def item(activity: str, modules: list[str], plan: str) -> dict:
    return {
        "host_unit": "深圳市科学技术协会",
        "activity": activity,
        "modules": modules,
        "contact": {"name": "王敏", "mobile": "13800000001", "email": "szkx@example.cn"},
        "plan": plan,
    }


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(text[1:])))


async def owes(client, notice_id) -> bool:
    return any(r["notice_id"] == notice_id for r in (await client.get("/api/submissions")).json()["items"])


async def test_the_table_lists_every_unit_routed_here_one_row_per_item_with_the_form_as_columns(node):
    async with running(node), gateway(node) as http:
        await load_directory(http)
        issuer = await as_role(http, "gd-kx", "issuer")
        nid = (await issue(issuer, plan_notice())).json()["notice_id"]
        sz, jxxh, kjj = [await as_role(http, u, "submitter") for u in ("sz-kx", "gd-jxxh", "sz-kjj")]
        for client in (sz, jxxh, kjj):
            await eventually(lambda c=client: owes(c, nid))
        r = await sz.post(
            f"/api/notices/{nid}/asks/plan/submission",
            json={
                "items": [
                    item("科技为民 奋斗有我", ["团结引领", "为民服务"], "5月30日走访慰问一线科技工作者。"),
                    item(FORMULA, [FIVE_MODULES[4]], "表彰优秀科技工作者。"),
                ]
            },
        )
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        jx_item = {**item("机械工程科普日", ["建家办事"], "举办科普讲座。"), "host_unit": "广东省机械工程学会"}
        assert (
            await jxxh.post(f"/api/notices/{nid}/asks/plan/submission", json={"items": [jx_item]})
        ).status_code == 201
        kjj_item = {**item("科技局开放日", ["开放合作"], "开放实验室。"), "host_unit": "深圳市科技创新局"}
        assert (
            await kjj.post(f"/api/notices/{nid}/asks/plan/submission", json={"items": [kjj_item]})
        ).status_code == 201
        reviewer = await as_role(http, "gd-kx", "reviewer")
        assert (await reviewer.post(f"/api/submissions/{sid}/accept", json={"revision": 1})).status_code == 200

        # JSON: the units routed to 省科协 (not the 科技局, routed to 科技厅), their state and latest items.
        table = (await reviewer.get(f"/api/notices/{nid}/asks/plan/table")).json()
        assert table["ask"]["title"] == "特色亮点活动筹备方案"
        assert [(r["unit_id"], r["status"], len(r["items"])) for r in table["rows"]] == [
            ("scut-kx", "pending", 0),
            ("gd-jxxh", "submitted", 1),
            ("sz-kx", "accepted", 2),
        ]

        # CSV: one row per item, the form's labels as columns, a unit that owes it with no items as a gap.
        response = await reviewer.get(f"/api/notices/{nid}/asks/plan/table.csv")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        disposition = response.headers["content-disposition"]
        assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith("汇总表-粤科协联〔")
        header, *rows = read_csv(response)
        assert header == [
            "序号",
            "单位",
            "来源（逐级）",
            "报送单位代码",
            "状态",
            "报送时间",
            "报送人",
            "逾期",
            "版本",
            "评选",
            "第几项",
            "主办单位名称",
            "主题活动名称",
            "主题活动模块",
            "承办单位名称",
            "联系人",
            "工作方案",
            "盖章PDF版和word版",
        ]
        by_unit = {}
        for row in rows:
            by_unit.setdefault(row[3], []).append(dict(zip(header, row, strict=True)))
        assert sorted(by_unit) == ["gd-jxxh", "scut-kx", "sz-kx"]
        first, second = by_unit["sz-kx"]
        assert (first["状态"], first["版本"], first["第几项"], second["第几项"]) == ("已采用", "1", "1", "2")
        assert first["主题活动模块"] == "团结引领、为民服务"
        assert first["联系人"] == "王敏 13800000001 szkx@example.cn"
        assert second["主题活动名称"] == "'" + FORMULA  # never a formula in the spreadsheet
        assert first["报送时间"] and first["逾期"] == ""
        assert first["单位"] == first["来源（逐级）"] == "深圳市科学技术协会"  # its own items: the unit alone
        [gap] = by_unit["scut-kx"]
        assert (gap["状态"], gap["报送时间"], gap["主题活动名称"]) == ("未报送", "", "")

        # The 科技厅's reviewer gets the 科技局's, and only that.
        kjt = await as_role(http, "gd-kjt", "reviewer")
        assert [r["unit_id"] for r in (await kjt.get(f"/api/notices/{nid}/asks/plan/table")).json()["rows"]] == [
            "sz-kjj"
        ]


async def test_the_table_is_for_reviewers_of_a_notice_they_see_and_names_what_is_wrong(node):
    async with running(node, ["notices", "submissions"]), gateway(node) as http:
        await load_directory(http)
        issuer = await as_role(http, "gd-kx", "issuer")
        nid = (await issue(issuer, plan_notice())).json()["notice_id"]
        reviewer = await as_role(http, "gd-kx", "reviewer")
        await eventually(lambda: _table_ready(reviewer, nid))

        for role in ("submitter", "issuer", "admin"):  # not a reviewer
            client = await as_role(http, "gd-kx", role)
            assert (await client.get(f"/api/notices/{nid}/asks/plan/table.csv")).status_code == 403
        outsider = await as_role(http, "qh-kx", "reviewer")  # cannot even see the notice
        assert (await outsider.get(f"/api/notices/{nid}/asks/plan/table.csv")).status_code == 404
        r = await reviewer.get(f"/api/notices/{nid}/asks/nope/table")
        assert r.status_code == 404 and r.json()["detail"][0]["loc"][-1] == "ask_id"
        r = await reviewer.get(f"/api/notices/{nid}/asks/NOT_A_SLUG!/table")
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "ask_id"


async def _table_ready(client, nid: str):
    r = await client.get(f"/api/notices/{nid}/asks/plan/table")
    return r.status_code == 200 and len(r.json()["rows"]) == 3
