"""Directory files: CSV and YAML parsing with line numbers, and export that imports back unchanged."""

from services.notices import directory_io as io

from ..fixtures import DIRECTORY


def docs() -> list[dict]:
    out = []
    for u in DIRECTORY:
        d = u.model_dump(mode="python", exclude={"actor"})
        d["_id"] = d.pop("unit_id")
        d["node_id"] = d["node_id"] or "gd"
        out.append(d)
    return out


def as_commands(rows) -> list[dict]:
    return [r.unit.model_dump(mode="json", exclude={"actor"}) for r in rows]


def test_export_then_parse_gives_the_same_units_in_both_formats():
    expected = [{**u.model_dump(mode="json", exclude={"actor"}), "node_id": u.node_id or "gd"} for u in DIRECTORY]
    for fmt, dump in (("csv", io.to_csv), ("yaml", io.to_yaml)):
        rows, errors = io.parse(fmt, dump(docs()))
        assert errors == []
        assert sorted(as_commands(rows), key=lambda u: u["unit_id"]) == sorted(expected, key=lambda u: u["unit_id"])


def test_csv_accepts_chinese_headers_kind_names_and_list_separators():
    text = "单位编号,单位名称,类别,部门,自建节点,节点,联系人1姓名,联系人1邮箱\nqh,青海省科协,kexie,办公室、组人部；调宣部,是,qh,李想,a@b.cn\n"
    [row], errors = io.parse_csv(text)
    assert errors == []
    assert row.unit.kind == "科协" and row.unit.departments == ["办公室", "组人部", "调宣部"]
    assert row.unit.runs_own_node and row.unit.node_id == "qh"
    assert row.unit.contacts[0].email == "a@b.cn"


def test_csv_errors_name_the_line_where_the_record_starts():
    text = 'unit_id,name,kind\na,"两行\n名称",科协\nb,乙,不存在\n'
    rows, errors = io.parse_csv(text)
    assert [r.unit.unit_id for r in rows] == ["a"]
    assert [(e.line, e.field) for e in errors] == [(4, "kind")]


def test_bad_boolean_is_an_error_on_its_line():
    rows, errors = io.parse_csv("unit_id,name,kind,runs_own_node\na,甲,科协,也许\n")
    assert rows == [] and [(e.line, e.field) for e in errors] == [(2, "runs_own_node")]


def test_yaml_top_level_list_or_units_key():
    for text in ("- {unit_id: a, name: 甲, kind: 科协}\n", "units:\n  - {unit_id: a, name: 甲, kind: 科协}\n"):
        rows, errors = io.parse_yaml(text)
        assert errors == [] and rows[0].unit.unit_id == "a"
    rows, errors = io.parse_yaml("units: 5\n")
    assert rows == [] and errors[0].line == 1
