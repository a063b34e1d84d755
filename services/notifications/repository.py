"""The notifications database (``<node>_notifications``).

- ``deliveries``  the delivery log: one document per message to send, ``_id`` from the cause event;
                  written once (FerretDB v1 scans on every update), so its state lives beside it
                  (but for ``skipped``: no server for its channel when it was made, never queued):
- ``outcomes``    how a delivery ended (sent, failed, skipped), ``_id`` = delivery id, inserted once
- ``send_jobs``   sending jobs begun, ``_id`` = job id (a job met again is a redelivery: look at outcomes)
- ``send_retries`` jobs waiting for a server: attempts and last error, ``_id`` = job id, gone when done
- ``settings``    the node's channel settings: one document, ``_id`` = ``channels``
- ``templates``   message templates the admin changed, ``_id`` = ``<cause>:<channel>`` (absent: the default)
- ``contacts``    read model: a unit's name, node and contacts, ``_id`` = unit id, from the recipients of
                  notice events this node sees (deadline and return events name units, not contacts)
- ``notices``     read model: title, 文号, lead issuer and asks of each notice, ``_id`` = notice id
"""

from datetime import datetime

from pymongo import ASCENDING
from pymongo.errors import BulkWriteError

from shared.schemas import UnitRef
from shared.service import Service
from shared.storage import DUPLICATE_KEY, DocumentLocks, Index, insert_if_absent, insert_many_idempotent

from . import domain

INDEXES = [
    Index("deliveries", [("notice_id", ASCENDING)]),
    Index("deliveries", [("cause_event_id", ASCENDING)]),
]
CHANNELS_ID = "channels"


class DeliveriesRepository:
    def __init__(self, service: Service) -> None:
        self.svc = service
        self.locks = DocumentLocks()
        # unit id -> fingerprint of what the contacts read model holds, so an unchanged unit costs no write
        self._known: dict[str, tuple] = {}

    @property
    def db(self):
        return self.svc.db

    @property
    def deliveries(self):
        return self.db["deliveries"]

    # ------------------------------------------------------------ deliveries

    async def record(self, docs: list[dict]) -> int:
        return await insert_many_idempotent(self.deliveries, docs)

    async def for_notice(self, notice_id: str) -> list[dict]:
        return await self._with_state(self.deliveries.find({"notice_id": notice_id}).sort("_id", ASCENDING))

    async def for_cause(self, event_id: str) -> list[dict]:
        return await self._with_state(self.deliveries.find({"cause_event_id": event_id}).sort("_id", ASCENDING))

    async def _with_state(self, cursor) -> list[dict]:
        """Deliveries with where each stands: its outcome, else its job's retry, else pending."""
        docs = [d async for d in cursor]
        if not docs:
            return docs
        outcomes = {o["_id"]: o async for o in self.db["outcomes"].find({"_id": {"$in": [d["_id"] for d in docs]}})}
        jobs = list({d["job_id"] for d in docs if d.get("job_id") and d["_id"] not in outcomes})
        retries = {r["_id"]: r async for r in self.db["send_retries"].find({"_id": {"$in": jobs}})} if jobs else {}
        for d in docs:
            outcome, retry = outcomes.get(d["_id"]), retries.get(d.get("job_id"))
            if outcome:
                d.update(status=outcome["status"], error=outcome.get("error", ""), sent_at=outcome["at"],
                         attempts=outcome.get("attempts", 1))
            elif retry:
                d.update(status="retrying", error=retry["error"], attempts=retry["attempts"])
            elif d.get("status") != "skipped":  # skipped: no server for its channel when it was made
                d["status"] = "pending"
        return docs

    # ------------------------------------------------------------ sending

    async def begin_job(self, job_id: str) -> bool:
        """True the first time a job is met; False on a redelivery (some of it may be done)."""
        return await insert_if_absent(self.db["send_jobs"], {"_id": job_id})

    async def decided(self, delivery_ids: list[str]) -> set[str]:
        return {o["_id"] async for o in self.db["outcomes"].find({"_id": {"$in": delivery_ids}}, {"_id": 1})}

    async def record_outcomes(self, docs: list[dict]) -> int:
        return await insert_many_idempotent(self.db["outcomes"], docs)

    async def job_waits(self, job_id: str, attempts: int, error: str, at: datetime) -> None:
        await self.db["send_retries"].replace_one(
            {"_id": job_id}, {"_id": job_id, "attempts": attempts, "error": error, "at": at}, upsert=True)

    async def job_attempts(self, job_id: str) -> int:
        doc = await self.db["send_retries"].find_one({"_id": job_id})
        return doc["attempts"] if doc else 0

    async def job_done(self, job_id: str) -> None:
        await self.db["send_retries"].delete_one({"_id": job_id})

    # ------------------------------------------------------------ settings and templates

    async def channels(self) -> dict | None:
        return await self.db["settings"].find_one({"_id": CHANNELS_ID})

    async def save_channels(self, doc: dict) -> None:
        await self.db["settings"].replace_one({"_id": CHANNELS_ID}, {**doc, "_id": CHANNELS_ID}, upsert=True)

    async def templates(self) -> dict[str, dict]:
        return {d["_id"]: d async for d in self.db["templates"].find({})}

    async def templates_of(self, cause: str) -> dict[str, dict]:
        ids = [f"{cause}:{c}" for c in domain.CHANNELS]
        return {d["_id"].split(":", 1)[1]: d async for d in self.db["templates"].find({"_id": {"$in": ids}})}

    async def template(self, cause: str, channel: str) -> dict | None:
        return await self.db["templates"].find_one({"_id": f"{cause}:{channel}"})

    async def save_template(self, doc: dict) -> None:
        await self.db["templates"].replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def delete_template(self, cause: str, channel: str) -> bool:
        return (await self.db["templates"].delete_one({"_id": f"{cause}:{channel}"})).deleted_count > 0

    # ------------------------------------------------------------ read models

    async def remember_units(self, units: list[UnitRef], as_of: datetime) -> None:
        """Keep each unit's latest contacts; an older snapshot arriving late changes nothing.

        Most notices go to units already known with the same contacts: those
        cost no write. New units are one ``insert_many``; a unit whose
        contacts changed is replaced under its lock.
        """
        fresh = {}
        for unit in units:
            doc = domain.contact_doc(unit, as_of)
            print_ = domain.contact_fingerprint(doc["name"], doc["node_id"], doc["contacts"])
            if self._known.get(unit.unit_id) != print_:
                fresh[unit.unit_id] = (doc, print_)
        if not fresh:
            return
        contacts = self.db["contacts"]
        existing: list[str] = []
        try:
            await contacts.insert_many([doc for doc, _ in fresh.values()], ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            ids = list(fresh)
            existing = [ids[e["index"]] for e in errors]
        newer: set[str] = set()
        for unit_id in existing:
            doc, print_ = fresh[unit_id]
            async with self.locks.hold(f"contacts:{unit_id}"):
                stored = await contacts.find_one({"_id": unit_id})
                if stored is None or domain.contact_fingerprint(
                        stored.get("name"), stored.get("node_id"), stored.get("contacts") or []) == print_:
                    continue
                if stored.get("as_of") is not None and stored["as_of"] > as_of:
                    newer.add(unit_id)  # a newer snapshot is there: leave it
                    continue
                await contacts.replace_one({"_id": unit_id}, doc)
        for unit_id, (_, print_) in fresh.items():
            if unit_id not in newer:
                self._known[unit_id] = print_

    async def units(self, unit_ids: list[str]) -> list[dict]:
        if not unit_ids:
            return []
        if len(unit_ids) == 1:
            doc = await self.db["contacts"].find_one({"_id": unit_ids[0]})
            return [doc] if doc else []
        found = {d["_id"]: d async for d in self.db["contacts"].find({"_id": {"$in": list(unit_ids)}})}
        return [found[u] for u in unit_ids if u in found]

    async def remember_notice(self, doc: dict) -> None:
        """A notice's title, 文号 and asks; a correction (higher revision) replaces them."""
        notices = self.db["notices"]
        if await insert_if_absent(notices, doc):
            return
        async with self.locks.hold(f"notice:{doc['_id']}"):
            stored = await notices.find_one({"_id": doc["_id"]})
            if stored is None or stored.get("revision", 1) < doc["revision"]:
                await notices.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def notice(self, notice_id: str) -> dict | None:
        return await self.db["notices"].find_one({"_id": notice_id})
