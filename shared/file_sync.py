"""Files across linked nodes: asked for by the node that lacks them, sent in pieces by the one that has them.

What crosses a link names files by checksum only (a notice's attachments, the
files of a submission or a 汇总). A node that stores such a copy and lacks a
file's bytes asks the neighbour it came from (``blob.wanted``, addressed to
that node like any copy, so it waits out an outage and is delivered once);
the notices service there answers with the file in pieces (``blob.chunk``),
and the notices service here puts them together (shared/blobs.py) and keeps
the file once its checksum is right. A neighbour that does not have the file
yet (it is still coming from further away) answers once it has.
"""

import hashlib
from collections.abc import Iterable
from datetime import datetime

from .blobs import BlobStore
from .events import BlobWanted


def event_id(*parts: object) -> str:
    """A deterministic id, so that asking or sending again is dropped by JetStream as a repeat."""
    return "f" + hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:32]


def missing(blobs: BlobStore, files: Iterable[dict]) -> dict[str, int]:
    """``sha256 → size`` of the files named (attachment-shaped dicts) whose bytes this node lacks."""
    return {f["sha256"]: f["size"] for f in files if f.get("size") and not blobs.exists(f["sha256"])}


async def want(service, blobs: BlobStore, files: Iterable[dict], source: str, now: datetime) -> int:
    """Ask ``source`` (the linked node a copy came from) for the bytes of the named files not here."""
    if source == service.node:
        return 0
    wanted = missing(blobs, files)
    for sha, size in wanted.items():
        await service.publish(
            BlobWanted(
                event_id=event_id("want", sha, service.node, source),
                occurred_at=now,
                origin_node=service.node,
                sha256=sha,
                size=size,
            ),
            dest=source,
        )
    return len(wanted)
