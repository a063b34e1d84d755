"""The notices service's side of shared/file_sync.py: it keeps the node's files, so it sends and receives them."""

import asyncio
import base64
import logging
from datetime import timedelta

from shared.bus import RetryLater
from shared.events import BLOB_CHUNK_BYTES, BlobChunk, BlobWanted
from shared.file_sync import event_id

log = logging.getLogger("cascade.notices.files")

# A neighbour asking for a file this node does not have yet (it is on its way from further up) is answered
# once it arrives; one that has not arrived in this long is not coming.
WAIT_FOR_FILE = timedelta(days=7)


async def on_wanted(event: BlobWanted, d) -> int:
    """Send the file, in pieces, to the linked node that asked for it. Returns how many pieces."""
    to = event.origin_node
    if to == d.node or to not in d.reachable_nodes:
        return 0
    if not d.blobs.exists(event.sha256):
        if d.clock.now() - event.occurred_at < WAIT_FOR_FILE:
            raise RetryLater(f"file {event.sha256[:12]}… wanted by {to} is not here yet")
        log.warning("file %s wanted by %s never arrived here; not sent", event.sha256, to)
        return 0
    size = d.blobs.size(event.sha256)
    now = d.clock.now()
    pieces = 0
    for offset in range(0, size, BLOB_CHUNK_BYTES):
        data = await asyncio.to_thread(d.blobs.read, event.sha256, offset, BLOB_CHUNK_BYTES)
        await d.svc.publish(
            BlobChunk(
                event_id=event_id("chunk", event.sha256, to, offset),
                occurred_at=now,
                origin_node=d.node,
                sha256=event.sha256,
                size=size,
                offset=offset,
                data=base64.b64encode(data).decode("ascii"),
            ),
            dest=to,
        )
        pieces += 1
    return pieces


async def on_chunk(event: BlobChunk, d) -> bool:
    """Keep a piece of a file this node asked for; True once the file is whole."""
    if event.origin_node == d.node:
        return False
    done = await asyncio.to_thread(d.blobs.receive_part, event.sha256, event.size, event.offset, event.bytes())
    if done:
        log.info("file %s (%d bytes) arrived from %s", event.sha256, event.size, event.origin_node)
    return done
