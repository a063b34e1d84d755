"""The providers' limits, counted in the store so every replica of the service counts against the same windows.

- ``rate_windows``: a sliding window per key (a webhook, the SMS gateway, the SMTP server): ``slots``
  ``[{t: epoch seconds, n}]`` of what was let through, ``version``, and ``paused_until`` when the server said
  "rate limited". A take reads the document, drops the slots older than the window, grants what fits and writes
  under the version it read (compare and set): of two replicas taking at once one write lands and the other
  reads again. So no window of ``rate_window_seconds`` ever holds more than the limit, whoever sends, and a
  window is never "reset" at a minute's turn where two bursts could meet. A slot is counted a little longer than
  the window (``margin``: a tenth of it, at most a second), and once its messages have been answered it is moved
  to that moment (``settle``): it is taken before they are posted, one after the other, and a robot counts each
  as it arrives, so without the move the last of a slow burst would still be in the robot's window when the first
  of the next, a window after the take, arrived.
- ``rate_days``: one document per mobile number with its local ``day`` and count; a take is one conditional
  ``$inc`` (same day, under the limit), a new day resets it; SMS providers count per calendar day. A job's SMS
  take their numbers' days together (``take_daily_many``): one read, one insert of the numbers not seen yet (a
  notice to 3,000 units is mostly those), the one-by-one take for the rest.

Time here is the wall clock, not the service's ``Clock``: providers count real seconds, and a test that
stands the service's clock still must not hold its messages for ever.
"""

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.settings import NotificationsSettings

TRIES = 20
MARGIN_SHARE, MARGIN_MAX = 0.1, 1.0  # a slot stays counted this much past the window (see above)
PAUSE_DOUBLINGS = 4  # a server that keeps refusing is left alone up to 16 times the first pause (钉钉: 10 minutes)


def margin(window: float) -> float:
    return min(MARGIN_MAX, window * MARGIN_SHARE)


def chat_key(url: str) -> str:
    """A webhook's key: its URL holds the robot's secret, so only a digest of it is stored."""
    return "chat:" + hashlib.sha256(url.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Grant:
    granted: int
    wait: float = 0.0  # seconds until one more may go (0: all that were asked for went)
    at: float = 0.0  # the slot taken (its time), for ``settle`` once its messages are answered


class Limits:
    def __init__(self, db: Callable, settings: NotificationsSettings, now: Callable[[], float] = time.time) -> None:
        self._db = db  # the service's database, once started
        self.settings = settings
        self.now = now

    @property
    def windows(self):
        return self._db()["rate_windows"]

    @property
    def days(self):
        return self._db()["rate_days"]

    async def take(self, key: str, limit: int, want: int) -> Grant:
        """Up to ``want`` sends under ``limit`` per window for ``key``; how many may go now, and when the next may."""
        window = self.settings.rate_window_seconds
        window += margin(window)
        for _ in range(TRIES):
            doc = await self.windows.find_one({"_id": key}) or {}
            now = self.now()
            paused = float(doc.get("paused_until") or 0)
            if paused > now:
                return Grant(0, paused - now)
            version = int(doc.get("version") or 0)
            slots = sorted((s for s in doc.get("slots") or [] if s["t"] > now - window), key=lambda s: s["t"])
            free = limit - sum(int(s["n"]) for s in slots)
            if free <= 0:
                return Grant(0, max(0.05, slots[0]["t"] + window - now))
            granted = min(free, want)
            slots.append({"t": now, "n": granted})
            try:
                done = await self.windows.update_one(
                    {"_id": key, "version": version}, {"$set": {"slots": slots, "version": version + 1}}, upsert=True
                )
            except DuplicateKeyError:  # another sender wrote first (or made the document): read again
                continue
            if done.matched_count or done.upserted_id is not None:
                full = granted == free
                wait = max(0.05, slots[0]["t"] + window - now) if full and granted < want else 0.0
                return Grant(granted, wait, at=now)
        return Grant(0, 1.0)  # many senders at once: try again in a moment

    async def settle(self, key: str, at: float) -> None:
        """The slot taken at ``at`` counts from now on: its messages have all been answered (so have arrived)."""
        for _ in range(TRIES):
            doc = await self.windows.find_one({"_id": key}) or {}
            slots = doc.get("slots") or []
            if not any(slot["t"] == at for slot in slots):
                return  # already out of the window, or moved
            now = self.now()
            moved = [{**slot, "t": max(now, at)} if slot["t"] == at else slot for slot in slots]
            version = int(doc.get("version") or 0)
            done = await self.windows.update_one(
                {"_id": key, "version": version}, {"$set": {"slots": moved, "version": version + 1}}
            )
            if done.matched_count:
                return

    async def paused_for(self, key: str) -> float:
        """Seconds ``key`` is still paused for (0: not paused)."""
        doc = await self.windows.find_one({"_id": key}, {"paused_until": 1}) or {}
        return max(0.0, float(doc.get("paused_until") or 0) - self.now())

    async def pause(self, key: str, retry_after: float | None = None) -> float:
        """The server refused as "rate limited": let nothing through ``key`` for a while; how long."""
        base = self.settings.rate_limited_pause_seconds
        doc = await self.windows.find_one({"_id": key}, {"paused_until": 1, "strikes": 1}) or {}
        now = self.now()
        last = float(doc.get("paused_until") or 0)
        strikes = int(doc.get("strikes") or 0)
        if last > now:
            # Paused already: another refusal of the same burst (sent before the pause began) is not a new strike.
            until = max(last, now + (retry_after or 0.0))
        else:
            # Refused again soon after the last pause ended: the server keeps a longer block; wait longer.
            recent = now - last < base * 2**PAUSE_DOUBLINGS
            strikes = min(strikes + 1, PAUSE_DOUBLINGS) if recent else 0
            until = now + max(base * 2**strikes, retry_after or 0.0)
        try:
            await self.windows.update_one(
                {"_id": key}, {"$set": {"paused_until": until, "strikes": strikes}}, upsert=True
            )
        except DuplicateKeyError:  # made a moment ago by a take: pause that one
            await self.windows.update_one({"_id": key}, {"$set": {"paused_until": until, "strikes": strikes}})
        return until - now

    async def take_daily_many(self, keys: Sequence[str], limit: int) -> list[float]:
        """``take_daily`` for each of ``keys`` (a key may come more than once: two contacts sharing a mobile), in
        order: 0 for each that may go, else the seconds to midnight. Keys without a document yet are inserted at
        once with their count; the others (and any another replica inserted meanwhile) go one by one."""
        wanted = Counter(keys)
        found = {d["_id"] async for d in self.days.find({"_id": {"$in": list(wanted)}}, {"_id": 1})}
        new = [k for k in wanted if k not in found]
        granted: dict[str, int] = {}
        if new:
            day = datetime.fromtimestamp(self.now(), ZoneInfo(self.settings.timezone)).date().isoformat()
            docs = [{"_id": k, "day": day, "n": min(wanted[k], limit)} for k in new]
            taken = set(new)
            try:
                await self.days.insert_many(docs, ordered=False)
            except BulkWriteError as exc:  # made by another sender meanwhile: those take their turn below
                if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                    raise
                taken -= {docs[e["index"]]["_id"] for e in exc.details.get("writeErrors", [])}
            granted = {k: min(wanted[k], limit) for k in taken}
        waits: list[float] = []
        seen: Counter[str] = Counter()
        for k in keys:
            seen[k] += 1
            if k in granted:
                waits.append(0.0 if seen[k] <= granted[k] else await self.take_daily(k, limit))
            else:
                waits.append(await self.take_daily(k, limit))
        return waits

    async def take_daily(self, key: str, limit: int) -> float:
        """One send for ``key`` today (node's zone) under ``limit``: 0 if it may go, else seconds to midnight."""
        zone = ZoneInfo(self.settings.timezone)
        local = datetime.fromtimestamp(self.now(), zone)
        day = local.date().isoformat()
        for _ in range(TRIES):
            if (
                await self.days.update_one({"_id": key, "day": day, "n": {"$lt": limit}}, {"$inc": {"n": 1}})
            ).matched_count:
                return 0.0
            if (
                await self.days.update_one({"_id": key, "day": {"$ne": day}}, {"$set": {"day": day, "n": 1}})
            ).matched_count:
                return 0.0
            try:
                await self.days.insert_one({"_id": key, "day": day, "n": 1})
                return 0.0
            except DuplicateKeyError:
                if await self.days.find_one({"_id": key, "day": day, "n": {"$gte": limit}}, {"_id": 1}):
                    break  # full for today
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
        return max(1.0, (midnight - local).total_seconds())
