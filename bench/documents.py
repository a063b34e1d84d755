"""The 汇总 of a big ask as documents: ``table.xlsx`` and ``report.docx`` for an ask with N submissions, next to
the raw floor of openpyxl and python-docx writing the same rows straight from a list.

In process, no node: what the gateway does once the submissions service has answered the 汇总表 (one
``SubmissionTable``, N rows of seed 002's 活动筹备方案 — host, activity, modules, organiser, contact, a ~300
character plan; 5 in 6 accepted, the rest waiting — and G units that owe it and sent nothing):

- **table.xlsx**: ``summary_table`` (rows, sources, XML-safe text) + ``summary_xlsx`` (title block, styled
  header, a row per item with borders, wrap, widths fitted to Chinese text, the 统计 sheet).
- **table.docx** (the same 汇总表 as a Word table, landscape): ``summary_table`` + ``summary_docx``.
- **report.docx**: ``summary_report`` + ``report_docx`` (the completeness table of N + G units, then each
  accepted submission under its heading with its item as a label | value table).

Raw floor, same rows: openpyxl ``ws.append`` of each row's values (as text and numbers, no style) and save, in
the ordinary and the write-only mode; python-docx writing the same table (``add_row`` and each cell's ``text``);
for the report, the same completeness table and, per accepted submission, a heading and a two-column table of
the same labels and values.
Each figure is the best of R rounds (by wall time), its wall and this process's CPU time, and the file's size;
the ratio to each floor is of CPU time (on a shared machine the wall time carries the others' load).

    python -m bench documents [--submissions N] [--gaps G] [--rounds R] [-h]
"""

import argparse
import io
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from docx import Document
from openpyxl import Workbook

from services.gateway.features.documents.build import summary_report, summary_table
from services.gateway.officedocs import report_docx, summary_docx, summary_xlsx
from shared.contracts.submissions import SubmissionTable

from ._node import machine

TZ = "Asia/Shanghai"
DEADLINE = datetime(2020, 6, 10, 15, 59, 59, tzinfo=UTC)
NOW = datetime(2020, 6, 12, 2, 0, tzinfo=UTC)
MODULES = ["团结引领", "建家办事", "为民服务", "开放合作", "表彰发布"]
PLAN = (
    "围绕“科技为民 奋斗有我”主题，5月30日前后组织走访慰问一线科技工作者，举办科技工作者座谈会，"
    "发布本地区科技工作者关爱举措；联合媒体开展优秀科技工作者事迹宣传，线上线下同步推出系列报道。"
) * 3  # ~300 characters, as seed 002 allows 500
FIELDS: list[dict[str, Any]] = [
    {"key": "host", "label": "主办单位名称", "type": "text", "max_chars": 100},
    {"key": "activity", "label": "主题活动名称", "type": "text", "max_chars": 100},
    {"key": "modules", "label": "主题活动模块", "type": "multi_choice", "options": MODULES},
    {"key": "organiser", "label": "承办单位名称", "type": "text", "required": False},
    {"key": "contact", "label": "联系人", "type": "contact"},
    {"key": "plan", "label": "工作方案", "type": "text", "max_chars": 500},
]
ASK = {
    "ask_id": "plan",
    "kind": "plan",
    "title": "特色亮点活动筹备方案",
    "deadline": DEADLINE.isoformat(),
    "max_items": 2,
    "fields": FIELDS,
}
LABELS = [f["label"] for f in FIELDS]


def table_of(submissions: int, gaps: int) -> SubmissionTable:
    """An ask's 汇总表 as the submissions service answers it: N submitted (5 in 6 accepted), G owing."""
    rows: list[dict[str, Any]] = []
    for i in range(submissions + gaps):
        sent = i < submissions
        accepted = sent and i % 6 != 5
        name = f"第{i + 1:04d}号单位科学技术协会"
        status, text = (
            ("accepted", "已采用") if accepted else ("submitted", "已报送") if sent else ("pending", "未报送")
        )
        item = {
            "host": name,
            "activity": f"科技为民 奋斗有我——{name}主题活动",
            "modules": MODULES[i % 3 : i % 3 + 2],
            "organiser": f"{name}学会部",
            "contact": {"name": "王敏", "office_phone": "0755-8888 1234", "mobile": f"138{i:08d}"},
            "plan": PLAN,
        }
        rows.append(
            {
                "id": f"n1:plan:u{i}",
                "notice_id": "n1",
                "ask_id": "plan",
                "unit_id": f"u{i}",
                "unit_name": name,
                "unit_node": "n",
                "issuer_node": "n",
                "to_unit_id": "gd-kx",
                "deadline": DEADLINE.isoformat(),
                "status": status,
                "status_text": text,
                "revision": 1 if sent else 0,
                "items": [item] if sent else [],
                "submitted_at": (DEADLINE - timedelta(minutes=i)).isoformat() if sent else None,
                "submitted_by": "王敏" if sent else "",
                "late": sent and i % 17 == 0,
            }
        )
    return SubmissionTable.model_validate(
        {
            "notice_id": "n1",
            "title": "关于开展2020年“全国科技工作者日”活动的通知",
            "doc_number": "粤科协联〔2020〕9号",
            "ask": ASK,
            "rows": rows,
        }
    )


def flat_rows(table: SubmissionTable) -> list[list[Any]]:
    """The same rows as plain values, the way a script would have them: what the floors write."""
    out = []
    for n, r in enumerate(table.rows, 1):
        item = r.items[0] if r.items else {}
        contact = item.get("contact") or {}
        out.append(
            [
                n,
                r.unit_name,
                r.unit_name,
                r.status_text,
                r.submitted_at.strftime("%Y-%m-%d %H:%M") if r.submitted_at else "",
                "是" if r.late else "",
                "是" if r.status == "accepted" else "",
                item.get("host", ""),
                item.get("activity", ""),
                "、".join(item.get("modules") or []),
                item.get("organiser", ""),
                " ".join(str(v) for v in contact.values()),
                item.get("plan", ""),
            ]
        )
    return out


# ---------------------------------------------------------------- Cascade


def cascade_xlsx(table: SubmissionTable) -> bytes:
    return summary_xlsx(summary_table(table, generated_at=NOW, timezone=TZ, compiled_by="广东省科学技术协会"))


def cascade_table_docx(table: SubmissionTable) -> bytes:
    return summary_docx(summary_table(table, generated_at=NOW, timezone=TZ, compiled_by="广东省科学技术协会"))


def cascade_docx(table: SubmissionTable) -> bytes:
    return report_docx(summary_report(table, generated_at=NOW, timezone=TZ, compiled_by="广东省科学技术协会"))


# ---------------------------------------------------------------- the floors


HEADER = ["序号", "单位", "来源", "状态", "报送时间", "是否逾期", "是否采用", *LABELS]


def raw_xlsx(rows: list[list[Any]], write_only: bool = False) -> bytes:
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("汇总表") if write_only else wb.active
    assert ws is not None
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def raw_table_docx(rows: list[list[Any]]) -> bytes:
    doc = Document()
    table = doc.add_table(rows=1, cols=len(HEADER))
    for cell, text in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = text
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = str(value)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def raw_docx(rows: list[list[Any]]) -> bytes:
    doc = Document()
    doc.add_heading("特色亮点活动筹备方案汇总报告", 1)
    table = doc.add_table(rows=1, cols=6)
    for cell, text in zip(table.rows[0].cells, ["序号", "单位", "状态", "报送时间", "按时/逾期", "项数"], strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, [row[0], row[1], row[3], row[4], "逾期" if row[5] else "按时", 1], strict=True):
            cell.text = str(value)
    for n, row in enumerate((r for r in rows if r[6]), 1):
        doc.add_paragraph(f"（{n}）{row[1]}")
        item = doc.add_table(rows=len(LABELS), cols=2)
        for r, (label, value) in enumerate(zip(LABELS, row[7:], strict=True)):
            item.cell(r, 0).text = label
            item.cell(r, 1).text = str(value)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- measuring


@dataclass
class Figure:
    name: str
    wall: float
    cpu: float
    size: int


def best_of(name: str, rounds: int, work: Callable[[], bytes]) -> Figure:
    best: Figure | None = None
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        data = work()
        figure = Figure(name, time.perf_counter() - wall, time.process_time() - cpu, len(data))
        if best is None or figure.wall < best.wall:
            best = figure
    assert best is not None
    return best


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench documents", description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=3000, help="units that submitted (one item each)")
    parser.add_argument("--gaps", type=int, default=200, help="units that owe the ask and sent nothing")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; the best is shown")
    args = parser.parse_args(argv)

    print(f"machine: {machine()}", flush=True)
    table = table_of(args.submissions, args.gaps)
    rows = flat_rows(table)
    accepted = sum(1 for r in table.rows if r.status == "accepted")
    print(
        f"ask: {args.submissions} submissions ({accepted} accepted) + {args.gaps} owing; "
        f"{len(LABELS)} form fields; best of {args.rounds}",
        flush=True,
    )
    figures = [
        (
            best_of("table.xlsx  Cascade (summary_table + summary_xlsx)", args.rounds, lambda: cascade_xlsx(table)),
            [
                best_of("            floor: openpyxl ws.append, save", args.rounds, lambda: raw_xlsx(rows)),
                best_of("            floor: openpyxl write-only", args.rounds, lambda: raw_xlsx(rows, True)),
            ],
        ),
        (
            best_of(
                "table.docx  Cascade (summary_table + summary_docx)", args.rounds, lambda: cascade_table_docx(table)
            ),
            [best_of("            floor: python-docx add_row, cell.text", args.rounds, lambda: raw_table_docx(rows))],
        ),
        (
            best_of("report.docx Cascade (summary_report + report_docx)", args.rounds, lambda: cascade_docx(table)),
            [best_of("            floor: python-docx, same tables", args.rounds, lambda: raw_docx(rows))],
        ),
    ]
    # The ratio is of CPU time: on a shared machine the wall time carries the others' load.
    print(f"\n{'':52} {'wall s':>8} {'cpu s':>8} {'size KB':>9} {'cpu ×':>8}")
    for ours, floors in figures:
        print(f"{ours.name:52} {ours.wall:8.2f} {ours.cpu:8.2f} {ours.size / 1024:9.0f}")
        for floor in floors:
            ratio = ours.cpu / floor.cpu if floor.cpu else float("inf")
            print(f"{floor.name:52} {floor.wall:8.2f} {floor.cpu:8.2f} {floor.size / 1024:9.0f} {ratio:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
