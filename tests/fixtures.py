"""Realistic test data, taken from the seed notices in ../shared/seeds/."""

from datetime import datetime, timedelta

from shared.commands import UpsertUnit
from shared.schemas import Contact, UnitKind

# Seed 000: 广东省科协 and 广东省科技厅 forward the national notice; city 科协,
# provincial societies, university and enterprise associations report to the
# 科协's 组织联络部, city 科技局 to the 科技厅's 引进智力管理处.
GD_UNITS = [
    UpsertUnit(unit_id="gd-kx", name="广东省科学技术协会", kind=UnitKind.kexie,
               doc_number_template="粤科协联〔{year}〕{seq}号",
               departments=["组织联络部"],
               contacts=[Contact(name="雷晶", department="组织联络部", office_phone="020-83551764",
                                 email="gdsxzz11b@126.com")]),
    UpsertUnit(unit_id="gd-kjt", name="广东省科学技术厅", kind=UnitKind.keji,
               departments=["引进智力管理处"],
               contacts=[Contact(name="夏兴林", department="引进智力管理处", mobile="18026320018",
                                 email="9059529@qq.com")]),
    UpsertUnit(unit_id="sz-kx", name="深圳市科学技术协会", kind=UnitKind.kexie, parent_id="gd-kx",
               contacts=[Contact(name="王敏", office_phone="0755-83000000", mobile="13800000001",
                                 email="szkx@example.cn")]),
    UpsertUnit(unit_id="sz-kjj", name="深圳市科技创新局", kind=UnitKind.keji, parent_id="gd-kjt",
               contacts=[Contact(name="李军", mobile="13800000002")]),
    UpsertUnit(unit_id="gd-jxxh", name="广东省机械工程学会", kind=UnitKind.society, parent_id="gd-kx",
               contacts=[Contact(name="陈思", email="jxxh@example.cn")]),
    UpsertUnit(unit_id="scut-kx", name="华南理工大学科协", kind=UnitKind.university, parent_id="gd-kx",
               contacts=[]),
]


def future(days: int = 30) -> str:
    return (datetime.now().astimezone() + timedelta(days=days)).isoformat()


def seed000_notice(recipients: list[str] | None = None) -> dict:
    return {
        "title": "关于转发《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》的通知",
        "issuer_unit_ids": ["gd-kx", "gd-kjt"],
        "recipient_unit_ids": recipients or ["sz-kx", "sz-kjj", "gd-jxxh", "scut-kx"],
        "body": "请各有关单位认真总结活动开展情况和工作成效，于6月10日前报送文字信息、影像资料等。",
        "asks": [
            {
                "ask_id": "summary",
                "kind": "summary_report",
                "title": "活动总结（文字信息、影像资料）",
                "deadline": future(30),
                "routes": [
                    {"unit_kind": "科技厅/局", "to_unit_id": "gd-kjt", "department": "引进智力管理处"},
                    {"unit_kind": "科协", "to_unit_id": "gd-kx", "department": "组织联络部"},
                    {"unit_kind": "学会/协会/研究会", "to_unit_id": "gd-kx", "department": "组织联络部"},
                    {"unit_kind": "高校科协", "to_unit_id": "gd-kx", "department": "组织联络部"},
                ],
            }
        ],
    }
