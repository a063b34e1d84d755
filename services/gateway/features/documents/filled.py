"""报送 by a filled 样表: the .xlsx or .docx a unit downloaded, filled offline and uploads (the API's multipart
submission and the 报送 page's upload).

The file is read into items (officedocs/formread.py, in a worker thread) and submitted as typed items are: the
submissions service checks them the same way and stores nothing unless all is valid. Every refusal says where
in the file: a problem of the file itself as the reader found it (the cell, the row, the item's table), a
problem the service found in an item told at that item's place (“第5行 B5 单元格：“主题活动名称”不超过50字”).
"""

import re

from fastapi import Request
from starlette.datastructures import UploadFile

from shared.contracts.common import Actor
from shared.contracts.notices import NoticeView
from shared.contracts.submissions import SubmissionView, SubmitItems
from shared.errors import DomainError, Invalid, Problems, TooLarge, Unsupported, one_or_all

from ...core.backend import Backend
from ...core.commands import send
from ...officedocs import FilledForm, FormFileError, read_form
from .build import ask_of, blank_form
from .output import off_loop

MAX_FORM_BYTES = 10 * 1024 * 1024
_ITEM = re.compile(r"^items\.(\d+)(?:\.([^.]+))?")


async def read_upload(file: UploadFile, limit: int = MAX_FORM_BYTES) -> bytes:
    """The uploaded file's bytes, refused past ``limit`` without reading it all."""
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(
            f"样表文件超过 {limit // (1024 * 1024)} MB：请删去表格外的图片等内容后重新上传",
            field="file",
            code="form_too_large",
        )
    if not data:
        raise Invalid("请选择填好的样表文件（.xlsx 或 .docx）", field="file", code="empty_file")
    return data


def refusal(err: FormFileError) -> DomainError:
    """The reader's problems as the gateway answers them: 415 not an Office file, 413, or 422; each in Chinese."""
    cls = {415: Unsupported, 413: TooLarge}.get(err.status, Invalid)
    return one_or_all([cls(p.text(), field="file", code=p.code) for p in err.problems])


def located(exc: DomainError, filled: FilledForm) -> DomainError:
    """A problem the submissions service found in the items, told where it is in the file."""
    out: list[DomainError] = []
    for e in exc.all():
        match = _ITEM.match(e.field or "")
        if match is None and e.field == "items":
            message = f"{e.message}（样表中填写了{len(filled.items)}项）"
        elif match is not None:
            message = f"{filled.where(int(match[1]), match[2])}：{e.message}"
            if e.code == "required" and "文件" in e.message:
                message += "（文件请在报送页面上传）"
        else:
            out.append(e)
            continue
        err = type(e)(message, field="file", code=e.code)
        err.status = e.status
        out.append(err)
    return out[0] if len(out) == 1 else Problems(out)


async def submit_filled_form(
    request: Request, b: Backend, actor: Actor, notice: NoticeView, ask_id: str, file: UploadFile
) -> SubmissionView:
    """Read the 样表 and submit its items for the actor's unit; a refusal names the places in the file."""
    ask = ask_of(notice, ask_id)
    form = blank_form(notice, ask, request.app.state.settings.timezone)
    data = await read_upload(file)
    others = {a.ask_id: a.title for a in notice.asks if a.ask_id != ask_id}
    try:
        filled = await off_loop(request, read_form, form, data, others)
    except FormFileError as err:
        raise refusal(err) from None
    cmd = SubmitItems(notice_id=notice.id, ask_id=ask_id, unit_id=actor.unit_id, items=filled.items, actor=actor)
    try:
        return await send(request, b.submissions.submit, cmd)
    except DomainError as exc:
        raise located(exc, filled) from None
