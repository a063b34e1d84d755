"""Files out of the gateway: the format a path asks for, rendering off the event loop, the response with its
Chinese file name. Rendering takes CPU (a PDF a second or two): it runs in a worker thread, a few at a time,
so the gateway keeps answering; nothing rendered is kept."""

import asyncio
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response

from shared.contracts.notices import NoticeView
from shared.errors import NotFound, Unavailable

from ...officedocs import FontsMissing, document_docx, document_pdf
from .build import document_filename, official_document

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
ZIP = "application/zip"
MEDIA = {"docx": DOCX, "xlsx": XLSX, "pdf": PDF, "zip": ZIP}
NAMES = {"docx": "Word", "xlsx": "Excel", "pdf": "PDF", "zip": "压缩包"}
CONCURRENT_RENDERS = 2


def chosen_format(given: str, offered: tuple[str, ...]) -> str:
    """The format asked for by the path's extension, or a 404 naming the ones there are."""
    fmt = given.strip().lower()
    if fmt not in offered:
        there = "、".join(f".{f}（{NAMES[f]}）" for f in offered)
        raise NotFound(f"没有这种格式：.{given[:20]}，可下载 {there}", field="format", code="unknown_format")
    return fmt


def disposition(filename: str, fallback: str, *, inline: bool = False) -> str:
    """Content-Disposition with the Chinese name (RFC 5987) and a plain-ASCII one for old clients."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", fallback).strip("-") or "document"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _slots(request: Request) -> asyncio.Semaphore:
    state = request.app.state
    slots = getattr(state, "document_slots", None)
    if slots is None:
        slots = state.document_slots = asyncio.Semaphore(CONCURRENT_RENDERS)
    return slots


async def off_loop[**P, R](request: Request, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``work(...)`` in a worker thread, sharing the renderings' few slots (reading an uploaded 样表)."""
    async with _slots(request):
        return await asyncio.to_thread(work, *args, **kwargs)


async def rendered[M](request: Request, render: Callable[[M], bytes], model: M) -> bytes:
    """``render(model)`` in a worker thread, at most a few at a time per gateway."""
    async with _slots(request):
        try:
            return await asyncio.to_thread(render, model)
        except FontsMissing as exc:
            raise Unavailable(
                "本节点缺少排版公文所需的中文字体或排版库，暂时无法生成 PDF；请管理员运行 make setup（或 python "
                "deploy/system_packages.py）安装后重试，Word 版可先下载使用",
                field="format",
                code="fonts_missing",
            ) from exc


def file_response(data: bytes, fmt: str, filename: str, fallback: str) -> Response:
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={
            "Content-Disposition": disposition(filename, fallback, inline=fmt == "pdf"),
            "Cache-Control": "private, no-store",
        },
    )


async def notice_file(request: Request, notice: NoticeView, fmt: str, fallback: str) -> Response:
    doc = official_document(notice, request.app.state.settings.timezone)
    data = await rendered(request, document_pdf if fmt == "pdf" else document_docx, doc)
    return file_response(data, fmt, document_filename(notice.doc_number, notice.title, fmt), fallback)


def responses(*formats: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {MEDIA[f]: {} for f in formats}}}
