"""File contents on disk, addressed by SHA-256.

Documents keep only metadata (name, type, size, checksum); the bytes live in
``<root>/<sha[:2]>/<sha>``, written once and never changed, so the same file
attached twice is stored once and a checksum names exactly one content.
Files arrive in parts into ``<root>/uploads/<upload id>`` and are moved into
place (an atomic rename) only once their size and checksum are verified.

Files from a linked node (shared/file_sync.py) arrive in pieces, in any
order and perhaps twice, into ``<root>/incoming/<sha>``, and are moved into
place once the whole content has its checksum.

Every replica of a service must see the same ``root`` (the node's data dir).
"""

import contextlib
import fcntl
import hashlib
import os
import time
from pathlib import Path

HASH_CHUNK = 1024 * 1024


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def of_node(cls, data_dir: Path) -> "BlobStore":
        """The node's one store, whichever service opens it."""
        return cls(Path(data_dir) / "blobs")

    def size(self, sha256: str) -> int:
        return self.path(sha256).stat().st_size

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

    def receive_part(self, sha256: str, size: int, offset: int, data: bytes) -> bool:
        """Write a piece of a file coming from another node; True once the file is whole and in place.

        Pieces may come in any order, more than once, and at the same time (a
        fetched batch is handled concurrently, replicas share the data dir):
        each is written at its offset under an exclusive lock on the partial
        file, and the one that finds it at full size checks the checksum (a
        piece still missing leaves a hole, so the checksum tells) and moves it
        into place while still holding the lock.
        """
        partial = self.root / "incoming" / sha256
        if self.exists(sha256):
            return True
        partial.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(partial, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if self.exists(sha256):  # finished while this piece waited for the lock
                with contextlib.suppress(FileNotFoundError):
                    if os.stat(partial).st_ino == os.fstat(fd).st_ino:
                        partial.unlink()  # a partial this piece made again after the file was moved: not needed
                return True
            os.pwrite(fd, data, offset)
            if os.fstat(fd).st_size < size or _digest(fd) != sha256:
                return False
            target = self.path(sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(partial, target)  # the locked file is the one at ``partial``: movers hold its lock
            return True
        finally:
            os.close(fd)  # releases the lock


def _digest(fd: int) -> str:
    digest = hashlib.sha256()
    offset = 0
    while chunk := os.pread(fd, HASH_CHUNK, offset):
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()
