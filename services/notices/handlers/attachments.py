"""Attachments: uploads in parts (limits checked before any byte moves), stored by checksum, read by who may see
them; files a copy names but this node lacks are asked of the node it came from (shared/file_sync.py)."""

import asyncio
import base64
from collections.abc import Sequence

from shared import file_sync
from shared.contracts.common import Actor
from shared.contracts.notices import (
    AttachmentInfo,
    BeginUpload,
    BlobPiece,
    FinishUpload,
    ReadAttachment,
    ReadBlob,
    UploadBegun,
    Uploaded,
    UploadPart,
    UploadProgress,
)
from shared.errors import Invalid, NotFound, TooLarge, Unsupported
from shared.ids import new_id
from shared.schemas import Attachment
from shared.scope import actor_name

from .. import domain
from .deps import Deps, visible_notice

STALE_UPLOAD_S = 24 * 3600.0


async def begin_upload(cmd: BeginUpload, d: Deps) -> UploadBegun:
    """Limits are checked before any byte travels; a content already stored is not sent again."""
    content_type = domain.base_content_type(cmd.content_type)
    limit = d.settings.max_attachment_bytes
    if cmd.size > limit:
        raise TooLarge(
            f"附件“{cmd.filename}”超过大小上限（{limit // (1024 * 1024)} MB）",
            field="file",
            code="attachment_too_large",
        )
    if cmd.size == 0:
        raise Invalid(f"附件“{cmd.filename}”是空文件", field="file", code="empty_attachment")
    if content_type not in d.settings.allowed_attachment_types:
        raise Unsupported(
            f"不支持的附件类型：{content_type}（允许 PDF、Word、Excel、图片、文本、ZIP）",
            field="file",
            code="attachment_type",
        )
    if d.blobs.exists(cmd.sha256):
        return UploadBegun(
            attachment=await _record_attachment(cmd.filename, content_type, cmd.size, cmd.sha256, cmd.actor, d)
        )
    upload_id = new_id()
    await asyncio.to_thread(d.blobs.start_upload, upload_id)
    await d.repo.start_upload(
        {
            "_id": upload_id,
            "filename": cmd.filename,
            "content_type": content_type,
            "size": cmd.size,
            "sha256": cmd.sha256,
            "started_at": d.clock.now(),
            "unit_id": cmd.actor.unit_id if cmd.actor else None,
        }
    )
    return UploadBegun(upload_id=upload_id)


async def upload_part(cmd: UploadPart, d: Deps) -> UploadProgress:
    upload = await d.repo.get_upload(cmd.upload_id)
    if upload is None:
        raise NotFound("上传不存在或已结束", field="upload_id")
    try:
        data = base64.b64decode(cmd.data, validate=True)
    except ValueError as exc:
        raise Invalid("数据不是有效的 base64", field="data") from exc
    if cmd.offset + len(data) > upload["size"]:
        raise Invalid("数据超出声明的文件大小", field="offset", code="beyond_size")
    await asyncio.to_thread(d.blobs.write_part, cmd.upload_id, cmd.offset, data)
    return UploadProgress(upload_id=cmd.upload_id, received=cmd.offset + len(data))


async def finish_upload(cmd: FinishUpload, d: Deps) -> Uploaded:
    upload = await d.repo.get_upload(cmd.upload_id)
    if upload is None:
        raise NotFound("上传不存在或已结束", field="upload_id")
    size, sha, head = await asyncio.to_thread(d.blobs.upload_digest, cmd.upload_id)

    async def refuse(exc: Exception) -> None:
        await asyncio.to_thread(d.blobs.discard_upload, cmd.upload_id)
        await d.repo.end_upload(cmd.upload_id)
        raise exc

    if size != upload["size"] or sha != upload["sha256"]:
        await refuse(Invalid("附件内容与声明的大小或校验值不符", field="file", code="checksum_mismatch"))
    if not domain.content_matches_type(upload["content_type"], head):
        await refuse(
            Unsupported(f"附件内容与声明的类型（{upload['content_type']}）不符", field="file", code="attachment_type")
        )
    await asyncio.to_thread(d.blobs.commit_upload, cmd.upload_id, sha)
    attachment = await _record_attachment(upload["filename"], upload["content_type"], size, sha, cmd.actor, d)
    await d.repo.end_upload(cmd.upload_id)
    return Uploaded(attachment=attachment)


async def _record_attachment(
    filename: str, content_type: str, size: int, sha: str, actor: Actor | None, d: Deps
) -> Attachment:
    att = Attachment(attachment_id=new_id(), filename=filename, content_type=content_type, size=size, sha256=sha)
    doc = att.model_dump(mode="python")
    doc["_id"] = doc.pop("attachment_id")
    doc.update(uploaded_at=d.clock.now(), uploaded_by=actor_name(actor), unit_id=actor.unit_id if actor else None)
    await d.repo.add_attachment(doc)
    return att


async def read_attachment(q: ReadAttachment, d: Deps) -> AttachmentInfo:
    """An attachment's metadata as listed on a notice the actor sees (or as its unit uploaded it)."""
    if q.notice_id:
        notice = await visible_notice(q.notice_id, q.actor, d)
        meta = next((a for a in notice.get("attachments", []) if a["attachment_id"] == q.attachment_id), None)
    else:
        doc = await d.repo.get_attachment(q.attachment_id)
        meta = None
        if doc is not None and (q.actor is None or doc.get("unit_id") == q.actor.unit_id):
            meta = {"attachment_id": doc["_id"], **{k: doc[k] for k in ("filename", "content_type", "size", "sha256")}}
    if meta is None:
        raise NotFound("附件不存在", field="attachment_id")
    return AttachmentInfo.model_validate({**meta, "available": d.blobs.exists(meta["sha256"])})


async def read_blob(q: ReadBlob, d: Deps) -> BlobPiece:
    """Whether a file's bytes are here, or one piece of them (base64). The caller has checked who may read."""
    available = d.blobs.exists(q.sha256)
    if not q.length:
        return BlobPiece(available=available)
    if not available:
        raise NotFound("附件内容尚未同步到本节点，请稍后再试", field="sha256", code="content_missing")
    data = await asyncio.to_thread(d.blobs.read, q.sha256, q.offset, q.length)
    return BlobPiece(available=True, data=base64.b64encode(data).decode("ascii"))


async def checked_attachments(
    attachments: list[Attachment], d: Deps, *, field: str = "attachments", already: Sequence[dict] = ()
) -> list[Attachment]:
    """Attachments a command names must have been uploaded here (or be on the notice already)."""
    known = {a["attachment_id"]: a for a in already}
    stored = await d.repo.attachments_by_id([a.attachment_id for a in attachments if a.attachment_id not in known])
    out = []
    for i, att in enumerate(attachments):
        if att.attachment_id in known:
            out.append(Attachment.model_validate(known[att.attachment_id]))
            continue
        doc = stored.get(att.attachment_id)
        if doc is None or doc["sha256"] != att.sha256 or doc["size"] != att.size:
            raise Invalid(f"附件不存在或未上传完成：{att.filename}", field=f"{field}.{i}", code="unknown_attachment")
        out.append(
            Attachment(
                attachment_id=doc["_id"],
                filename=doc["filename"],
                content_type=doc["content_type"],
                size=doc["size"],
                sha256=doc["sha256"],
            )
        )
    return out


async def want_files(attachments: list[Attachment], source: str, d: Deps) -> None:
    """Ask the node a copy came from for the attachments whose bytes are not here (shared/file_sync.py)."""
    await file_sync.want(d.svc, d.blobs, [a.model_dump() for a in attachments], source, d.clock.now())
