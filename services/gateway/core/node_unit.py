"""The node's own org unit: node admins belong to it, and only to it.

A user or token holding the admin role counts as node admin only when its
unit is the node's own unit. That unit is

1. ``org_unit_id`` of the gateway's settings (``CASCADE_ORG_UNIT_ID``, the
   node config's ``org_unit_id``) when it is set; otherwise
2. the unit of the node's first admin, recorded once in the gateway's
   database (collection ``node``, ``_id`` = ``org_unit``) by the command
   line that created it (``cascade create-admin --unit …``). A recorded unit
   never changes; configuring ``org_unit_id`` overrides it.

With neither, nobody is node admin: an admin role in a hosted unit never
runs the node, whatever the configuration.
"""

from datetime import UTC, datetime

from pymongo.asynchronous.database import AsyncDatabase

from shared.storage import insert_if_absent

COLLECTION = "node"
DOC_ID = "org_unit"


class NodeUnit:
    def __init__(self, db: AsyncDatabase, configured: str | None) -> None:
        self.db = db
        self.configured = configured or None
        self._recorded: str | None = None  # write-once, so a value read is good for the process's life

    @property
    def docs(self):
        return self.db[COLLECTION]

    async def get(self) -> str | None:
        if self.configured:
            return self.configured
        if self._recorded is None:
            doc = await self.docs.find_one({"_id": DOC_ID})
            self._recorded = doc["unit_id"] if doc else None
        return self._recorded

    async def claim(self, unit_id: str, *, by: str = "cli") -> str:
        """Record ``unit_id`` as the node's unit unless one is configured or recorded; return the node's unit."""
        if self.configured:
            return self.configured
        await insert_if_absent(
            self.docs, {"_id": DOC_ID, "unit_id": unit_id, "recorded_at": datetime.now(UTC), "recorded_by": by}
        )
        self._recorded = None
        return await self.get() or unit_id
