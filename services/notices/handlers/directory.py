"""The directory: org units, one at a time or imported whole from CSV/YAML, and exported."""

from shared.contracts.common import Empty
from shared.contracts.notices import (
    DeleteUnit,
    Exported,
    ExportUnits,
    Imported,
    ImportUnits,
    RowProblem,
    Unit,
    UnitDeleted,
    UnitQuery,
    Units,
    UnitsQuery,
    UpsertUnit,
)
from shared.errors import Conflict, Invalid, NotFound
from shared.ids import new_id
from shared.paging import Page, page_of
from shared.scope import actor_name
from shared.storage import public

from .. import directory_io, domain
from .deps import Deps
from .known_units import known_unit


async def upsert_unit(cmd: UpsertUnit, d: Deps) -> Unit:
    domain.check_unit(cmd)
    if cmd.parent_id:
        current = await d.repo.get_unit(cmd.parent_id)
        if current is None and await known_unit(cmd.parent_id, d) is not None:
            current = None  # a unit of the level above, known from a notice received: no cycle through it
        elif current is None:
            raise NotFound(
                f"上级单位不存在：{cmd.parent_id}（须为名录中的单位，或本节点收到的通知中的上级单位）",
                field="parent_id",
            )
        # Walk up from the new parent: meeting the unit itself would make it its own ancestor.
        seen: set[str] = set()
        while current is not None and current["_id"] not in seen:
            if current["_id"] == cmd.unit_id:
                raise Invalid("上级单位形成循环", field="parent_id", code="parent_cycle")
            seen.add(current["_id"])
            current = await d.repo.get_unit(current["parent_id"]) if current.get("parent_id") else None
    doc = unit_document(cmd, d.node)
    await d.repo.upsert_unit(doc)
    return Unit.model_validate(public(doc))


def unit_document(cmd: UpsertUnit, node: str) -> dict:
    doc = cmd.model_dump(mode="python")
    doc["_id"] = doc.pop("unit_id")
    doc["node_id"] = cmd.node_id or node
    return doc


async def delete_unit(cmd: DeleteUnit, d: Deps) -> UnitDeleted:
    if await d.repo.get_unit(cmd.unit_id) is None:
        raise NotFound(f"单位不存在：{cmd.unit_id}", field="unit_id")
    children = await d.repo.children_of(cmd.unit_id)
    if children:
        raise Conflict(f"该单位还有下级单位：{'、'.join(children[:5])}", field="unit_id", code="has_children")
    await d.repo.delete_unit(cmd.unit_id)
    return UnitDeleted(unit_id=cmd.unit_id, deleted=True)


async def all_units(q: Empty, d: Deps) -> Units:
    return Units(items=[Unit.model_validate(public(u)) for u in await d.repo.list_units()])


async def units_page(q: UnitsQuery, d: Deps) -> Page[Unit]:
    docs, more, total = await d.repo.units_page(q.page, kind=q.kind, parent_id=q.parent_id)
    return page_of([Unit.model_validate(public(u)) for u in docs], q.page, more, total)


async def get_unit(q: UnitQuery, d: Deps) -> Unit:
    """A directory entry, or a unit of another level known from a notice received (``external``: by name)."""
    doc = await d.repo.get_unit(q.unit_id) or await known_unit(q.unit_id, d)
    if doc is None:
        raise NotFound(f"单位不存在：{q.unit_id}", field="unit_id")
    return Unit.model_validate(public(doc))


async def import_units(cmd: ImportUnits, d: Deps) -> Imported:
    """All rows or none: every row is checked (with the directory as it is) before anything is written."""
    rows, errors = directory_io.parse(cmd.format, cmd.content)
    existing = {u["_id"]: u for u in await d.repo.list_units()}
    parents = {uid: u.get("parent_id") for uid, u in existing.items()}
    seen: dict[str, int] = {}
    for row in rows:
        unit = row.unit
        if unit.unit_id in seen:
            errors.append(directory_io.RowError(row.line, "unit_id", f"单位编号重复（与第{seen[unit.unit_id]}行）"))
        seen.setdefault(unit.unit_id, row.line)
        try:
            domain.check_unit(unit)
        except Invalid as exc:
            errors.append(directory_io.RowError(row.line, exc.field, exc.message))
        parents[unit.unit_id] = unit.parent_id
    for above in {r.unit.parent_id for r in rows if r.unit.parent_id and r.unit.parent_id not in parents}:
        if await known_unit(above, d) is not None:  # the level above, known from a notice received
            parents[above] = None
    for row in rows:
        parent = row.unit.parent_id
        if parent and parent not in parents:
            errors.append(directory_io.RowError(row.line, "parent_id", f"上级单位不存在：{parent}"))
        elif parent and domain.parent_cycle(row.unit.unit_id, parents):
            errors.append(directory_io.RowError(row.line, "parent_id", "上级单位形成循环"))
    if not rows and not errors:
        errors.append(directory_io.RowError(1, None, "文件中没有单位"))
    if errors:
        errors.sort(key=lambda e: e.line)
        return Imported(imported=0, errors=[RowProblem(**e.as_dict()) for e in errors])
    staged = {
        "_id": new_id(),
        "status": "pending",
        "at": d.clock.now(),
        "by": actor_name(cmd.actor),
        "units": [unit_document(r.unit, d.node) for r in rows],
    }
    await d.repo.stage_import(staged)
    written = await d.repo.apply_import(staged)
    return Imported(imported=len(rows), written=written)


async def export_units(cmd: ExportUnits, d: Deps) -> Exported:
    units = await d.repo.list_units()
    content = directory_io.to_csv(units) if cmd.format == "csv" else directory_io.to_yaml(units)
    return Exported(format=cmd.format, content=content, count=len(units))
