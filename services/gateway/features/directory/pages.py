"""Directory admin pages (zh-CN, node admin): the org units, one unit's form, CSV/YAML import and export."""

import json
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from shared.contracts.common import Empty
from shared.contracts.notices import DeleteUnit, UnitQuery, UnitsQuery, UpsertUnit

from ...core import forms
from ...core.commands import send
from ...core.deps import Admin, BackendDep
from ...core.forms import REFUSALS, refused
from ...core.paging import page_query
from ...core.rendering import plain, render, see_other
from .importing import run_import

router = APIRouter(include_in_schema=False)


async def _directory_page(request: Request, status_code: int = 200, **context) -> HTMLResponse:
    context.setdefault("import_errors", [])
    context.setdefault("imported", None)
    context.setdefault("error", None)
    kind = request.query_params.get("kind") or None
    parent_id = request.query_params.get("parent_id") or None
    try:
        query = UnitsQuery.model_validate({"kind": kind, "parent_id": parent_id, "page": page_query(request)})
    except ValidationError:
        query = UnitsQuery(page=page_query(request))  # a filter no unit can match: show them all
        kind = parent_id = None
    found = plain(await request.app.state.backend.notices.units_page(query))
    return render(
        request,
        "directory.html",
        status_code=status_code,
        units=found["items"],
        page=found,
        kind=kind,
        parent_id=parent_id,
        **context,
    )


@router.get("/directory", response_class=HTMLResponse)
async def directory(request: Request, actor: Admin, imported: int | None = None) -> HTMLResponse:
    return await _directory_page(request, imported=imported)


async def _unit_page(request: Request, values: dict, errors: list[dict], *, new: bool, status_code: int = 200):
    units = plain(await request.app.state.backend.notices.all_units(Empty()))["items"]
    return render(
        request, "unit_form.html", status_code=status_code, values=values, errors=errors, new=new, units=units
    )


@router.get("/directory/new", response_class=HTMLResponse)
async def new_unit(request: Request, actor: Admin) -> HTMLResponse:
    return await _unit_page(request, {"contacts": [{}, {}], "departments": []}, [], new=True)


@router.get("/directory/{unit_id}", response_class=HTMLResponse)
async def edit_unit(request: Request, unit_id: str, b: BackendDep, actor: Admin) -> HTMLResponse:
    unit = plain(await b.notices.get_unit(UnitQuery(unit_id=unit_id)))
    values = {**unit, "unit_id": unit["id"], "contacts": [*(unit.get("contacts") or []), {}]}
    return await _unit_page(request, values, [], new=False)


@router.post("/directory/save", response_class=HTMLResponse)
async def save_unit(request: Request, b: BackendDep, actor: Admin) -> Response:
    data = forms.nested(await request.form())
    departments = data.get("departments")
    values = {
        **data,
        "contacts": data.get("contacts") or [{}],
        "departments": forms.words(departments) if isinstance(departments, str) else departments or [],
    }
    new = data.get("new") == "1"
    try:
        cmd = UpsertUnit.model_validate(
            {
                "unit_id": forms.text(data.get("unit_id")),
                "name": forms.text(data.get("name")),
                "kind": forms.text(data.get("kind")),
                "parent_id": forms.text(data.get("parent_id")) or None,
                "node_id": forms.text(data.get("node_id")) or None,
                "runs_own_node": bool(data.get("runs_own_node")),
                "requires_signing": bool(data.get("requires_signing")),
                "departments": values["departments"],
                "doc_number_template": forms.text(data.get("doc_number_template")) or None,
                "mark_name": forms.text(data.get("mark_name")) or None,
                "contacts": forms.contacts_of(data.get("contacts")),
            }
        )
        await send(request, b.notices.upsert_unit, cmd)
    except REFUSALS as exc:
        no = refused(request, exc)
        return await _unit_page(request, values, no.problems, new=new, status_code=no.status)
    return see_other("/directory")


@router.post("/directory/{unit_id}/delete", response_class=HTMLResponse)
async def delete_unit(request: Request, unit_id: str, b: BackendDep, actor: Admin) -> Response:
    try:
        await send(request, b.notices.delete_unit, DeleteUnit(unit_id=unit_id, actor=actor))
    except REFUSALS as exc:
        no = refused(request, exc)
        return await _directory_page(request, status_code=no.status, error=no.message)
    return see_other("/directory")


@router.post("/directory/import", response_class=HTMLResponse)
async def import_units(request: Request, actor: Admin) -> Response:
    form = await request.form()
    upload = form.get("file")
    fmt: Literal["csv", "yaml"] = "yaml" if form.get("format") == "yaml" else "csv"
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _directory_page(request, status_code=422, error="请选择要导入的文件")
    if upload.filename.lower().endswith((".yaml", ".yml")):
        fmt = "yaml"
    try:
        result = await run_import(request, actor, fmt, await upload.read())
    except REFUSALS as exc:
        no = refused(request, exc)
        return await _directory_page(request, status_code=no.status, error=no.message)
    if isinstance(result, JSONResponse):  # bad rows: show each with its line
        rows = json.loads(bytes(result.body))["detail"]
        errors = [
            {"line": r["line"], "field": forms.field_label(".".join(str(p) for p in r["loc"][3:])), "message": r["msg"]}
            for r in rows
        ]
        return await _directory_page(request, status_code=422, import_errors=errors, filename=upload.filename)
    return see_other(f"/directory?imported={result.imported}")
