"""Pages of a list: no page or reply grows with a node's history.

Every list a person reads (收文, 发文, 报送, 审核, the directory, deliveries,
the audit log) is answered one page at a time. A page is read by an indexed
filter, sorted on an indexed key and cut with skip/limit, so the store reads
about ``per_page`` documents whatever the history (the default store pushes
such a sort down to its index, deploy/ferretdb).

Totals are counted only where the set is bounded by the work outstanding
(what is still to sign or review) or by one notice; a history that keeps
growing answers ``has_more`` instead, from one document read past the page.

"Pending first" lists (审核: submitted before decided; 收文: unsigned before
signed) are *segments*: each its own filter and sort, read one after the
other as if concatenated, so each segment still reads by its index.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field
from pymongo.asynchronous.collection import AsyncCollection

from .schemas import Wire

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 10_000


class PageQuery(Wire):
    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="1 is the first page")
    per_page: int = Field(default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)

    @property
    def skip(self) -> int:
        return (self.page - 1) * self.per_page


class Page[T](BaseModel):
    """One page of a list. ``total`` is given where it is cheap to know; ``has_more`` always."""

    items: list[T]
    page: int
    per_page: int
    has_more: bool
    total: int | None = None

    @property
    def pages(self) -> int | None:
        return None if self.total is None else max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Segment:
    """One part of a list: its filter and its sort; ``count`` when its size is cheap to know (bounded), or its
    ``size`` when the caller knows it already (a counter it keeps)."""

    query: Mapping[str, Any]
    sort: Sequence[tuple[str, int]]
    count: bool = False
    size: int | None = None


async def read_page(
    collection: AsyncCollection[Any],
    segments: Sequence[Segment],
    pq: PageQuery,
    *,
    projection: Mapping[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], bool, int | None]:
    """Page ``pq`` of the segments read one after the other: its documents, whether more follow, and the
    total when every segment is counted.

    Reads one document past the page, so ``has_more`` is exact without a
    count. A segment left uncounted must be the last: where a later one
    starts would be unknown.
    """
    if any(not s.count and s.size is None for s in segments[:-1]):
        raise ValueError("only the last segment may go uncounted")
    docs: list[dict[str, Any]] = []
    skip, want = pq.skip, pq.per_page + 1
    total: int | None = 0
    for seg in segments:
        size = seg.size
        if size is None and seg.count:
            size = await collection.count_documents(dict(seg.query))
        total = None if size is None or total is None else total + size
        if want == 0 or (size is not None and skip >= size):
            skip = max(0, skip - (size or 0))
            continue
        cursor = collection.find(dict(seg.query), projection).sort(list(seg.sort)).skip(skip).limit(want)
        found = [d async for d in cursor]
        docs.extend(found)
        want -= len(found)
        skip = 0
    return docs[: pq.per_page], len(docs) > pq.per_page, total


def page_of[T](items: list[T], pq: PageQuery, has_more: bool, total: int | None) -> Page[T]:
    return Page[T](items=items, page=pq.page, per_page=pq.per_page, has_more=has_more, total=total)
