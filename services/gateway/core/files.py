"""Files through the gateway: an upload sent to the notices service in parts, a download streamed in parts.

Who may see a file is decided before (a notice the caller sees, a submission it sees); the bytes are read by
checksum. A part's base64 must fit in one NATS message (1 MB by default) with room to spare.
"""

import base64
import hashlib
import mimetypes
import tempfile
from collections.abc import AsyncIterator
from urllib.parse import quote

from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile  # what a form gives; FastAPI's UploadFile is one too

from shared.contracts.common import Actor
from shared.contracts.notices import AttachmentInfo, BeginUpload, FinishUpload, ReadBlob, UploadPart
from shared.errors import NotFound, TooLarge
from shared.schemas import Attachment

from .backend import Backend

PART_BYTES = 384 * 1024


async def upload(b: Backend, file: UploadFile, actor: Actor | None, max_bytes: int) -> Attachment:
    """Send an uploaded file to the notices service: checksum first, limits checked, then parts."""
    digest = hashlib.sha256()
    size = 0
    with tempfile.SpooledTemporaryFile(max_size=PART_BYTES) as spool:
        while chunk := await file.read(PART_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(
                    f"附件“{file.filename}”超过大小上限（{max_bytes // (1024 * 1024)} MB）",
                    field="file",
                    code="attachment_too_large",
                )
            digest.update(chunk)
            spool.write(chunk)
        content_type = file.content_type or ""
        if content_type in ("", "application/octet-stream"):
            content_type = mimetypes.guess_type(file.filename or "")[0] or "application/octet-stream"
        begun = await b.notices.begin_upload(
            BeginUpload(
                filename=(file.filename or "附件")[-200:],
                content_type=content_type,
                size=size,
                sha256=digest.hexdigest(),
                actor=actor,
            )
        )
        if begun.attachment is not None:
            return begun.attachment
        assert begun.upload_id is not None
        spool.seek(0)
        offset = 0
        while chunk := spool.read(PART_BYTES):
            await b.notices.upload_part(
                UploadPart(
                    upload_id=begun.upload_id,
                    offset=offset,
                    data=base64.b64encode(chunk).decode("ascii"),
                )
            )
            offset += len(chunk)
    done = await b.notices.finish_upload(FinishUpload(upload_id=begun.upload_id, actor=actor))
    return done.attachment


async def download(b: Backend, meta: AttachmentInfo) -> StreamingResponse:
    """Stream a file the caller may see."""
    if not meta.available:
        raise NotFound("附件内容尚未同步到本节点，请稍后再试", field="attachment_id", code="content_missing")

    async def chunks() -> AsyncIterator[bytes]:
        offset = 0
        while offset < meta.size:
            part = await b.notices.read_blob(ReadBlob(sha256=meta.sha256, offset=offset, length=PART_BYTES))
            data = base64.b64decode(part.data or "")
            if not data:
                break
            offset += len(data)
            yield data

    media = meta.content_type + ("; charset=utf-8" if meta.content_type == "text/plain" else "")
    return StreamingResponse(
        chunks(),
        media_type=media,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.filename)}",
            "Content-Length": str(meta.size),
        },
    )
