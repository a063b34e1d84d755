"""File contents on disk, addressed by SHA-256.

Documents keep only metadata (name, type, size, checksum); the bytes live in
``<root>/<sha[:2]>/<sha>``, written once and never changed, so the same file
attached twice is stored once and a checksum names exactly one content.
Files arrive in parts into ``<root>/uploads/<upload id>`` and are moved into
place (an atomic rename) only once their size and checksum are verified.

Every replica of a service must see the same ``root`` (the node's data dir).
"""

import hashlib
import os
import time
from pathlib import Path

HASH_CHUNK = 1024 * 1024


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def upload_path(self, upload_id: str) -> Path:
        return self.root / "uploads" / upload_id

    def start_upload(self, upload_id: str) -> None:
        path = self.upload_path(upload_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

    def write_part(self, upload_id: str, offset: int, data: bytes) -> None:
        # Writing at an offset makes a repeated part (a retried request) harmless.
        with open(self.upload_path(upload_id), "r+b") as f:
            f.seek(offset)
            f.write(data)

    def upload_digest(self, upload_id: str) -> tuple[int, str, bytes]:
        """Size, SHA-256 and the first bytes (for type sniffing) of an upload."""
        digest = hashlib.sha256()
        size = 0
        head = b""
        with open(self.upload_path(upload_id), "rb") as f:
            while chunk := f.read(HASH_CHUNK):
                if not head:
                    head = chunk[:4096]
                digest.update(chunk)
                size += len(chunk)
        return size, digest.hexdigest(), head

    def commit_upload(self, upload_id: str, sha256: str) -> None:
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.upload_path(upload_id), target)

    def discard_upload(self, upload_id: str) -> None:
        self.upload_path(upload_id).unlink(missing_ok=True)

    def discard_stale_uploads(self, older_than_s: float) -> int:
        folder = self.root / "uploads"
        if not folder.is_dir():
            return 0
        cutoff = time.time() - older_than_s
        removed = 0
        for p in folder.iterdir():
            if p.stat().st_mtime < cutoff:
                p.unlink(missing_ok=True)
                removed += 1
        return removed

    def put(self, data: bytes) -> str:
        """Store bytes directly (small generated files); returns their SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f"{sha}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        return sha

    def read(self, sha256: str, offset: int, length: int) -> bytes:
        with open(self.path(sha256), "rb") as f:
            f.seek(offset)
            return f.read(length)
