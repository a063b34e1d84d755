"""What one notices process remembers of the 文号 it hands out: a lock per lead issuer and year, and the number
it took last (issuing.py says why)."""

import asyncio

Key = tuple[str, int]  # lead issuer unit id, year


class Numbering:
    def __init__(self) -> None:
        self._locks: dict[Key, asyncio.Lock] = {}
        self._last: dict[Key, int] = {}

    def lock(self, key: Key) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    def next(self, key: Key) -> int | None:
        """The number to try first, if this process took one for ``key`` before (else the store's counter says)."""
        last = self._last.get(key)
        return None if last is None else last + 1

    def took(self, key: Key, seq: int) -> None:
        self._last[key] = max(seq, self._last.get(key, 0))
