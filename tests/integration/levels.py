"""A province → city → county world for the workflow tests (departments, joint forwards, upward policies).

Issue 12's forwarding pair: 江苏省科协 + 江苏省科技厅 issue; 苏州市科协 + 苏州市科技局 forward jointly to county
units, a society and a university, routed to three departments of 苏州市科协 (组织人事部, 学会部, 组宣部).
Not from the seeds (tests/fixtures.py has those): a small directory shaped like seed 000's, one level down.
"""

from datetime import datetime, timedelta

from shared.contracts.notices import UpsertUnit
from shared.schemas import Contact, UnitKind

from ..fixtures import unit_json
from ..harness import as_role

PROVINCE = [
    UpsertUnit(
        unit_id="js-kx",
        name="江苏省科学技术协会",
        kind=UnitKind.kexie,
        departments=["组织人事部", "学会学术部"],
        contacts=[Contact(name="周洁", department="组织人事部", email="zz@jskx.example.cn")],
    ),
    UpsertUnit(unit_id="js-kjt", name="江苏省科学技术厅", kind=UnitKind.keji, departments=["人才处"]),
]
CITY_DEPARTMENTS = ["组织人事部", "学会部", "组宣部"]


def city(node_id: str | None = None, parent: str | None = "js-kx") -> list[UpsertUnit]:
    """苏州市科协 and 科技局 (hosted on ``node_id``, or the node they are entered on) and the units below them."""
    on = {"node_id": node_id, "runs_own_node": True} if node_id else {}
    return [
        UpsertUnit.model_validate(
            {
                "unit_id": "su-kx",
                "name": "苏州市科学技术协会",
                "kind": UnitKind.kexie,
                "parent_id": parent,
                "departments": CITY_DEPARTMENTS,
                "contacts": [
                    Contact(name="张敏", department="组织人事部", email="zm@sukx.example.cn"),
                    Contact(name="李华", department="学会部", email="lh@sukx.example.cn"),
                    Contact(name="陈静", department="办公室", email="cj@sukx.example.cn"),
                ],
                **on,
            }
        ),
        UpsertUnit.model_validate(
            {
                "unit_id": "su-kjj",
                "name": "苏州市科学技术局",
                "kind": UnitKind.keji,
                "parent_id": "js-kjt" if parent else None,
                **on,
            }
        ),
    ]


def county(node_id: str | None = None) -> list[UpsertUnit]:
    on = {"node_id": node_id} if node_id else {}
    return [
        UpsertUnit.model_validate(
            {"unit_id": "wj-kx", "name": "吴江区科学技术协会", "kind": UnitKind.kexie, "parent_id": "su-kx", **on}
        ),
        UpsertUnit.model_validate(
            {"unit_id": "cs-kx", "name": "常熟市科学技术协会", "kind": UnitKind.kexie, "parent_id": "su-kx", **on}
        ),
        UpsertUnit.model_validate(
            {"unit_id": "su-yxh", "name": "苏州市医学会", "kind": UnitKind.society, "parent_id": "su-kx", **on}
        ),
        UpsertUnit.model_validate(
            {
                "unit_id": "suda-kx",
                "name": "苏州大学科学技术协会",
                "kind": UnitKind.university,
                "parent_id": "su-kx",
                **on,
            }
        ),
        UpsertUnit.model_validate(
            {"unit_id": "wj-kjj", "name": "吴江区科学技术局", "kind": UnitKind.keji, "parent_id": "su-kjj", **on}
        ),
    ]


COUNTY_IDS = ["wj-kx", "cs-kx", "su-yxh", "suda-kx", "wj-kjj"]
# Where each kind of county unit submits at the city: three departments of 苏州市科协, the 科技局 for its own.
CITY_ROUTES = [
    {"unit_kind": "科协", "to_unit_id": "su-kx", "department": "组织人事部"},
    {"unit_kind": "学会/协会/研究会", "to_unit_id": "su-kx", "department": "学会部"},
    {"unit_kind": "高校科协", "to_unit_id": "su-kx", "department": "组宣部"},
    {"unit_kind": "科技厅/局", "to_unit_id": "su-kjj", "department": "科技人才处"},
]


def later(days: int) -> str:
    return (datetime.now().astimezone() + timedelta(days=days)).isoformat()


def text_ask(ask_id: str, title: str, days: int, **kw) -> dict:
    return {
        "ask_id": ask_id,
        "kind": kw.pop("kind", "plan"),
        "title": title,
        "deadline": later(days),
        "fields": [{"key": "text", "label": title, "type": "text", "max_chars": 3000}],
        **kw,
    }


async def load(http, units: list[UpsertUnit], admin_unit: str) -> None:
    """Directory entries over the API, parents first, by a node admin of ``admin_unit``."""
    admin = await as_role(http, admin_unit, "admin")
    for unit in units:
        r = await admin.put(f"/api/units/{unit.unit_id}", json=unit_json(unit))
        assert r.status_code == 200, r.text


async def ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


def refused(response, status: int, field: str) -> dict:
    """A 4xx naming ``field`` with a Chinese message."""
    assert response.status_code == status, response.text
    detail = response.json()["detail"][0]
    assert ".".join(str(x) for x in detail["loc"]).endswith(field), detail
    assert any("\u4e00" <= ch <= "\u9fff" for ch in detail["msg"]), detail
    return detail
