"""The files of submissions, for the documents that carry them: the bytes of images for the 汇总报告's thumbnails,
and every submitted file as one ZIP, a folder per unit, the names kept in Chinese.

The bytes are read from the notices service by checksum, in parts (core/files.py): who may see them was
decided before (the 汇总表 the caller reviews). A file whose bytes have not reached this node yet is named in a
note inside the ZIP, never a failed download.
"""

import base64
import re
import tempfile
import zipfile
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import PurePosixPath
from typing import IO, Any

from shared.contracts.notices import ReadBlob
from shared.errors import TooLarge

from ...core.backend import Backend
from ...core.files import PART_BYTES

MAX_IMAGE_BYTES = 10 * 1024 * 1024  # larger photos are listed, not drawn
MAX_IMAGES = 300  # thumbnails in one 汇总报告
MAX_ZIP_BYTES = 2 * 1024 * 1024 * 1024
MISSING_NOTE = "未同步的文件.txt"
ZIP64_AT = 2**31 - 1  # an entry this large needs ZIP64 sizes, declared before it is written
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/bmp", "image/webp", "image/tiff")

_NOT_IN_A_NAME = re.compile(r'[\x00-\x1f\x7f\\/:*?"<>|]+')


async def available(b: Backend, sha256: str) -> bool:
    return (await b.notices.read_blob(ReadBlob(sha256=sha256))).available


async def parts_of(b: Backend, sha256: str, size: int) -> AsyncIterator[bytes]:
    """A stored file's bytes, a part at a time."""
    offset = 0
    while offset < size:
        piece = await b.notices.read_blob(ReadBlob(sha256=sha256, offset=offset, length=PART_BYTES))
        data = base64.b64decode(piece.data or "")
        if not data:
            return
        offset += len(data)
        yield data


async def read_bytes(b: Backend, sha256: str, size: int) -> bytes | None:
    """A stored file's bytes, or None when they are not on this node (yet)."""
    if not await available(b, sha256):
        return None
    return b"".join([part async for part in parts_of(b, sha256, size)])


def is_image(f: dict[str, Any]) -> bool:
    return str(f.get("content_type") or "").lower() in IMAGE_TYPES


async def images_of(b: Backend, files: Sequence[dict[str, Any]]) -> dict[str, bytes]:
    """sha256 → bytes of the images among ``files`` that are small enough to draw, at most ``MAX_IMAGES``."""
    out: dict[str, bytes] = {}
    for f in files:
        sha, size = str(f.get("sha256") or ""), f.get("size")
        if len(out) >= MAX_IMAGES or sha in out or not is_image(f) or not isinstance(size, int):
            continue
        if 0 < size <= MAX_IMAGE_BYTES and (data := await read_bytes(b, sha, size)) is not None:
            out[sha] = data
    return out


def safe_name(name: str, fallback: str) -> str:
    """A file or folder name every unzip accepts: no separators or control characters, no leading dots."""
    name = _NOT_IN_A_NAME.sub("_", PurePosixPath(name.replace("\\", "/")).name).strip().lstrip(".").strip()
    return name[:150] or fallback


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, "." + ext) if dot and stem else (name, "")
    n = 2
    while f"{stem}（{n}）{ext}" in taken:
        n += 1
    return f"{stem}（{n}）{ext}"


async def files_zip(b: Backend, files: Sequence[tuple[str, dict[str, Any]]], at: datetime) -> IO[bytes]:
    """Every file as ``<unit>/<file name>`` in a ZIP (stored: the files are mostly compressed already); ``at``,
    the office's local time, dates the entries.

    Answers a temporary file positioned at its start; the caller closes it. The same file sent twice by a
    unit is there once; two files of one name in a folder are told apart as 名称（2）.pdf."""
    chosen: list[tuple[str, dict[str, Any]]] = []
    seen: set[tuple[str, str, str]] = set()
    for unit, f in files:
        key = (unit, str(f["sha256"]), str(f.get("filename") or ""))
        if key not in seen:
            seen.add(key)
            chosen.append((unit, f))
    total = sum(int(f.get("size") or 0) for _, f in chosen)
    if total > MAX_ZIP_BYTES:
        raise TooLarge(
            f"报送的文件共 {total / 1024**3:.1f} GB，超过一次打包下载的上限（{MAX_ZIP_BYTES // 1024**3} GB），"
            "请在报送详情中逐个下载",
            field="format",
            code="zip_too_large",
        )
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115  # handed to the response
    try:
        await _write_zip(b, spool, chosen, at)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


async def _write_zip(b: Backend, spool: IO[bytes], chosen: list[tuple[str, dict[str, Any]]], at: datetime) -> None:
    taken: set[str] = set()
    missing: list[str] = []
    t = at.timetuple()
    stamp = (max(t.tm_year, 1980), t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for unit, f in chosen:
            sha, size = str(f["sha256"]), int(f.get("size") or 0)
            if not await available(b, sha):
                missing.append(f"{unit}：{f.get('filename') or ''}")
                continue
            folder = safe_name(unit, "单位")
            name = _unique(f"{folder}/{safe_name(str(f.get('filename') or ''), '文件')}", taken)
            taken.add(name)
            with zf.open(zipfile.ZipInfo(name, date_time=stamp), "w", force_zip64=size > ZIP64_AT) as entry:
                async for part in parts_of(b, sha, size):
                    entry.write(part)
        if missing:
            note = "以下文件尚未同步到本节点，请稍后重新下载：\r\n" + "\r\n".join(missing) + "\r\n"
            zf.writestr(zipfile.ZipInfo(MISSING_NOTE, date_time=stamp), note.encode("utf-8"))


async def chunks_of(spool: IO[bytes]) -> AsyncIterator[bytes]:
    """A temporary file's bytes in parts, closing it at the end."""
    try:
        while data := spool.read(PART_BYTES):
            yield data
    finally:
        spool.close()
