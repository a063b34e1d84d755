"""Importing org units from a CSV or YAML file: shared by the API (the body is the file) and the directory page."""

from typing import Literal

from fastapi import Request
from fastapi.responses import JSONResponse

from shared.contracts.common import Actor
from shared.contracts.notices import Imported, ImportUnits
from shared.errors import Invalid, TooLarge

from ...core.commands import record

IMPORT_MAX_BYTES = 900_000


async def run_import(
    request: Request, actor: Actor, fmt: Literal["csv", "yaml"], raw: bytes
) -> JSONResponse | Imported:
    """422 listing every bad row, or the count imported."""
    if len(raw) > IMPORT_MAX_BYTES:
        raise TooLarge(f"导入文件超过 {IMPORT_MAX_BYTES // 1000} KB，请分批导入", field="file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")  # spreadsheets saved on Chinese Windows
        except UnicodeDecodeError as exc:
            raise Invalid("导入文件不是 UTF-8 或 GB18030 编码的文本", field="file") from exc
    cmd = ImportUnits(format=fmt, content=text, actor=actor)
    result = await request.app.state.backend.notices.import_units(cmd)
    if result.errors:
        detail = [
            {
                "loc": ["body", "line", e.line, *([e.field] if e.field else [])],
                "msg": e.message,
                "type": "invalid_row",
                "line": e.line,
            }
            for e in result.errors
        ]
        return JSONResponse({"detail": detail}, status_code=422)
    # Recorded only when it took effect: a refused file answers with its errors, not with an error.
    await record(request, "notices.import_units", {"format": fmt}, {"imported": result.imported})
    return result
