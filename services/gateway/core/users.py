"""Users of the node: accounts, passwords, roles, lock-out after repeated failed logins.

Collections (database ``<node>_gateway``):
- ``users``   one document per user, ``_id`` = username (lower-case), so a login is a lookup by ``_id``
- ``logins``  failed-login counter per username, ``_id`` = username; kept for unknown names too,
              so a locked name answers the same whether or not the account exists

Every change to a user is written to the audit log by the use case that makes it.
"""

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.clock import Clock
from shared.contracts.common import Actor
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.ids import is_slug
from shared.paging import PageQuery, Segment, read_page
from shared.schemas import Role
from shared.settings import GatewaySettings
from shared.storage import Index

from . import security
from .audit import AuditLog
from .node_unit import NodeUnit
from .sessions import SessionStore

# The admin's list of users, a page at a time by username, optionally of one unit.
INDEXES = [
    Index("users", [("unit_id", ASCENDING), ("_id", ASCENDING)]),
]

# Failed logins a day old no longer count: the count starts again after a quiet day.
FAILURE_MEMORY = timedelta(days=1)
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._@-]{1,63}$"
_USERNAME = re.compile(USERNAME_PATTERN)
DISPLAY_NAME_MAX = 60


def normalize_username(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise Invalid("用户名须为 2–64 个字符：小写字母、数字及 . _ @ -，以字母或数字开头", field="username")
    return name


def check_display_name(display_name: str) -> str:
    name = " ".join(display_name.split())
    if not name:
        raise Invalid("请填写姓名", field="display_name")
    if len(name) > DISPLAY_NAME_MAX:
        raise Invalid(f"姓名不能超过 {DISPLAY_NAME_MAX} 个字符", field="display_name")
    return name


def check_unit(unit_id: str) -> str:
    if not is_slug(unit_id):
        raise Invalid("单位编号无效", field="unit_id")
    return unit_id


def check_roles(roles: list[str]) -> list[Role]:
    try:
        out = sorted({Role(r) for r in roles}, key=list(Role).index)
    except ValueError as exc:
        raise Invalid(f"未知角色：{exc}", field="roles") from exc
    if not out:
        raise Invalid("至少选择一个角色", field="roles")
    return out


def actor_of(user: dict) -> Actor:
    return Actor(
        user_id=user["_id"],
        display_name=user["display_name"],
        unit_id=user["unit_id"],
        roles=[Role(r) for r in user["roles"]],
        department=user.get("department"),
    )


def public_user(user: dict) -> dict:
    """A user as pages and the API show it: never the password hash."""
    return {
        "username": user["_id"],
        "display_name": user["display_name"],
        "unit_id": user["unit_id"],
        "department": user.get("department"),
        "roles": list(user["roles"]),
        "disabled": bool(user.get("disabled")),
        "must_change_password": bool(user.get("must_change_password")),
        "created_at": user.get("created_at"),
        "updated_at": user.get("updated_at"),
        "last_login_at": user.get("last_login_at"),
    }


class LoginRefused(Exception):
    """A login that did not succeed; ``message`` is what the person sees."""

    def __init__(self, message: str, *, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.locked_until = locked_until


@dataclass
class UserStore:
    db: AsyncDatabase

    @property
    def users(self):
        return self.db["users"]

    @property
    def logins(self):
        return self.db["logins"]

    async def get(self, username: str) -> dict | None:
        return await self.users.find_one({"_id": username})

    async def insert(self, doc: dict) -> None:
        try:
            await self.users.insert_one(doc)
        except DuplicateKeyError as exc:
            raise Conflict(f"用户名已存在：{doc['_id']}", field="username", code="duplicate_username") from exc

    async def update(self, username: str, fields: dict) -> dict | None:
        return await self.users.find_one_and_update(
            {"_id": username}, {"$set": fields}, return_document=ReturnDocument.AFTER
        )

    async def all(self) -> list[dict]:
        return [d async for d in self.users.find({}).sort([("_id", ASCENDING)])]

    async def page(
        self, pq: PageQuery, *, search: str | None = None, unit_id: str | None = None
    ) -> tuple[list[dict], bool, int | None]:
        """A page of the users by username; ``search`` is the start of a username or part of a name.

        Counted: the users of a node grow with its units, not with time.
        """
        query: dict = {"unit_id": unit_id} if unit_id else {}
        if search:
            query["$or"] = [
                {"_id": {"$regex": "^" + re.escape(normalize_username(search))}},
                {"display_name": {"$regex": re.escape(search.strip())}},
            ]
        return await read_page(self.users, [Segment(query, [("_id", ASCENDING)], count=True)], pq)

    async def reviewer_departments(self, unit_id: str) -> set[str]:
        """The departments of a unit some active reviewer belongs to (read by the indexed ``unit_id``)."""
        return {
            u["department"]
            async for u in self.users.find({"unit_id": unit_id}, {"roles": 1, "department": 1, "disabled": 1})
            if u.get("department") and Role.reviewer.value in u.get("roles", []) and not u.get("disabled")
        }

    async def active_admins(self) -> list[str]:
        return [u["_id"] async for u in self.users.find({"roles": Role.admin.value, "disabled": {"$ne": True}})]

    # ------------------------------------------------------------ lock-out

    async def locked_until(self, username: str, now: datetime) -> datetime | None:
        doc = await self.logins.find_one({"_id": username})
        until = (doc or {}).get("locked_until")
        return until if until and until > now else None

    async def record_failure(
        self, username: str, now: datetime, max_failures: int, lockout: timedelta
    ) -> datetime | None:
        """Count a failed login; returns when the account is locked until, if this failure locked it."""
        await self.logins.update_one(
            {"_id": username, "last_failure_at": {"$lt": now - FAILURE_MEMORY}}, {"$set": {"failures": 0}}
        )
        doc = await self.logins.find_one_and_update(
            {"_id": username},
            {"$inc": {"failures": 1}, "$set": {"last_failure_at": now}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if doc["failures"] < max_failures:
            return None
        until = now + lockout
        await self.logins.update_one({"_id": username}, {"$set": {"failures": 0, "locked_until": until}})
        return until

    async def clear_failures(self, username: str) -> None:
        await self.logins.delete_one({"_id": username})

    async def forget_old_failures(self, now: datetime) -> None:
        """Names tried once and never again (guessed ones too) do not pile up."""
        await self.logins.delete_many(
            {"last_failure_at": {"$lt": now - FAILURE_MEMORY}, "locked_until": {"$not": {"$gt": now}}}
        )


def _default(name: str):
    return GatewaySettings.model_fields[name].default


@dataclass(frozen=True)
class Policy:
    """Password and lock-out rules (from GatewaySettings; the CLI uses their defaults)."""

    password_min_length: int = _default("password_min_length")
    max_failures: int = _default("login_max_failures")
    lockout: timedelta = timedelta(minutes=_default("login_lockout_minutes"))
    admin_unit: str | None = None  # the node's own org unit: node admins belong to it

    @classmethod
    def of(cls, settings: GatewaySettings) -> "Policy":
        return cls(
            password_min_length=settings.password_min_length,
            max_failures=settings.login_max_failures,
            lockout=timedelta(minutes=settings.login_lockout_minutes),
            admin_unit=settings.org_unit_id,
        )

    def check_admin_unit(self, unit_id: str, roles: list[Role], node_unit: str | None = None) -> None:
        """Node admins run the whole node, so they belong to the node's own organisation, not a hosted unit.

        ``node_unit`` is the node's unit as node_unit.py finds it (configured or recorded); with none
        known, no admin can be given out (the first one comes from ``cascade create-admin``).
        """
        if Role.admin not in roles:
            return
        unit = node_unit or self.admin_unit
        if not unit:
            raise Invalid(
                "本节点尚未确定本单位（节点配置 org_unit_id），不能设置管理员",
                field="roles",
                code="admin_without_node_unit",
            )
        if unit_id != unit:
            raise Invalid(f"管理员须属于本节点单位（{unit}）", field="roles", code="admin_outside_node_unit")


class Accounts:
    """Use cases on users: login, password changes, and what admins do to accounts."""

    def __init__(
        self,
        db: AsyncDatabase,
        *,
        clock: Clock,
        audit: AuditLog,
        policy: Policy = Policy(),
        sessions: SessionStore | None = None,
        node_unit: NodeUnit | None = None,
    ) -> None:
        self.store = UserStore(db)
        self.policy = policy
        self.node_unit = node_unit or NodeUnit(db, policy.admin_unit)
        self.clock = clock
        self.audit = audit
        self.sessions = sessions

    def check_password(self, password: str, username: str, field: str = "password") -> None:
        security.check_password(password, username=username, min_length=self.policy.password_min_length, field=field)

    async def _end_sessions(self, username: str, keep: str | None = None) -> None:
        if self.sessions is not None:
            await self.sessions.delete_for_user(username, keep=keep)

    # ------------------------------------------------------------ login

    async def login(self, username: str, password: str, *, ip: str | None = None) -> dict:
        """The user, if the password is right and the account usable; else ``LoginRefused``.

        A locked account is refused without checking the password, so guessing
        on stops working for the lock-out period even with the right password.
        """
        name = normalize_username(username)[:64]
        now = self.clock.now()
        locked = await self.store.locked_until(name, now)
        if locked:
            raise LoginRefused(_locked_message(locked, now), locked_until=locked)
        user = await self.store.get(name)
        ok = await asyncio.to_thread(security.verify_password, (user or {}).get("password_hash"), password)
        if not ok or user is None or user.get("disabled"):
            until = await self.store.record_failure(name, now, self.policy.max_failures, self.policy.lockout)
            await self.audit.append(
                "login.failed", by=None, target=name, ip=ip, details={"locked_until": until} if until else {}
            )
            if until:
                raise LoginRefused(_locked_message(until, now), locked_until=until)
            raise LoginRefused("用户名或密码错误，或账户已停用")
        await self.store.clear_failures(name)
        await self.store.forget_old_failures(now)
        fields: dict[str, datetime | str] = {"last_login_at": now}
        if security.needs_rehash(user["password_hash"]):
            fields["password_hash"] = await asyncio.to_thread(security.hash_password, password)
        user = await self.store.update(name, fields) or user
        await self.audit.append("login", by=actor_of(user), target=name, ip=ip)
        return user

    async def has_users(self) -> bool:
        return await self.store.users.find_one({}, {"_id": 1}) is not None

    async def active_user(self, username: str) -> dict | None:
        user = await self.store.get(username)
        return None if user is None or user.get("disabled") else user

    # ------------------------------------------------------------ own account

    async def change_password(self, actor: Actor, current: str, new: str, *, keep_session: str | None = None) -> None:
        """The user's own change; every other session of theirs ends (whoever knew the old password is out)."""
        user = await self.store.get(actor.user_id)
        if user is None:
            raise NotFound("用户不存在", field="username")
        if not await asyncio.to_thread(security.verify_password, user["password_hash"], current):
            raise Invalid("当前密码不正确", field="current_password", code="wrong_password")
        if current == new:
            raise Invalid("新密码不能与当前密码相同", field="new_password")
        self.check_password(new, user["_id"], field="new_password")
        await self._set_password(user["_id"], new, must_change=False)
        await self._end_sessions(user["_id"], keep=keep_session)
        await self.audit.append("user.password_changed", by=actor, target=user["_id"])

    # ------------------------------------------------------------ admin

    async def create(
        self,
        by: Actor | None,
        *,
        username: str,
        display_name: str,
        unit_id: str,
        roles: list[str],
        password: str | None = None,
        must_change_password: bool = True,
        department: str | None = None,
    ) -> tuple[dict, str | None]:
        """A new user; returns it and the generated one-time password when none was given."""
        name = check_username(username)
        generated = None
        if password is None:
            password = generated = security.generate_password()
        else:
            self.check_password(password, name)
        checked_roles = check_roles(roles)
        node_unit = await self.node_unit.get()
        # On a node without org_unit_id, the first admin made from the command line names the node's unit.
        bootstrap = by is None and node_unit is None and Role.admin in checked_roles
        self.policy.check_admin_unit(check_unit(unit_id), checked_roles, unit_id if bootstrap else node_unit)
        now = self.clock.now()
        doc = {
            "_id": name,
            "display_name": check_display_name(display_name),
            "unit_id": unit_id,
            "department": department or None,  # checked against the unit's departments by the caller
            "roles": [r.value for r in checked_roles],
            "password_hash": await asyncio.to_thread(security.hash_password, password),
            "must_change_password": must_change_password,
            "disabled": False,
            "created_at": now,
            "updated_at": now,
            "created_by": by.user_id if by else "cli",
        }
        await self.store.insert(doc)
        # Failures are counted for unknown names too (a locked name answers the same whether or not it exists);
        # those guesses were not against this account, so it starts unlocked.
        await self.store.clear_failures(name)
        if bootstrap:
            await self.node_unit.claim(unit_id)
        await self.audit.append(
            "user.created",
            by=by,
            target=name,
            via=None if by else "cli",
            details={
                "unit_id": doc["unit_id"],
                "department": doc["department"],
                "roles": doc["roles"],
                "display_name": doc["display_name"],
            },
        )
        return doc, generated

    async def update(
        self,
        by: Actor,
        username: str,
        *,
        display_name: str,
        unit_id: str,
        roles: list[str],
        department: str | None = None,
    ) -> dict:
        """``department``: checked against the unit's departments by the caller (the directory is not here)."""
        user = await self._existing(username)
        checked_roles = check_roles(roles)
        self.policy.check_admin_unit(check_unit(unit_id), checked_roles, await self.node_unit.get())
        new_roles = [r.value for r in checked_roles]
        if Role.admin.value in user["roles"] and Role.admin.value not in new_roles:
            await self._keep_an_admin(user["_id"], "不能移除最后一位管理员的管理员角色")
        fields = {
            "display_name": check_display_name(display_name),
            "unit_id": check_unit(unit_id),
            "department": department or None,
            "roles": new_roles,
        }
        changed = {k: v for k, v in fields.items() if user.get(k) != v}
        if not changed:
            return user
        updated = await self.store.update(user["_id"], {**changed, "updated_at": self.clock.now()})
        await self.audit.append(
            "user.updated",
            by=by,
            target=user["_id"],
            details={k: {"from": user.get(k), "to": v} for k, v in changed.items()},
        )
        return updated or user

    async def set_disabled(self, by: Actor, username: str, disabled: bool) -> dict:
        user = await self._existing(username)
        if disabled and user["_id"] == by.user_id:
            raise Forbidden("不能停用自己的账户", field="username", code="self_disable")
        if disabled and Role.admin.value in user["roles"]:
            await self._keep_an_admin(user["_id"], "不能停用最后一位管理员")
        if bool(user.get("disabled")) == disabled:
            return user
        updated = await self.store.update(user["_id"], {"disabled": disabled, "updated_at": self.clock.now()})
        if disabled:
            await self._end_sessions(user["_id"])
        await self.audit.append("user.disabled" if disabled else "user.enabled", by=by, target=user["_id"])
        return updated or user

    async def reset_password(self, by: Actor, username: str) -> str:
        """A new one-time password for the user (shown once to the admin); the user must change it."""
        user = await self._existing(username)
        password = security.generate_password()
        await self._set_password(user["_id"], password, must_change=True)
        await self._end_sessions(user["_id"])
        await self.store.clear_failures(user["_id"])
        await self.audit.append("user.password_reset", by=by, target=user["_id"])
        return password

    async def page(
        self, pq: PageQuery, *, search: str | None = None, unit_id: str | None = None
    ) -> tuple[list[dict], bool, int | None]:
        return await self.store.page(pq, search=search, unit_id=unit_id)

    async def list(self) -> list[dict]:
        """Every one at once: for checks over all of them (tests, the command line); pages use ``page``."""
        return await self.store.all()

    async def get(self, username: str) -> dict:
        return await self._existing(username)

    # ------------------------------------------------------------ helpers

    async def _existing(self, username: str) -> dict:
        user = await self.store.get(normalize_username(username))
        if user is None:
            raise NotFound("用户不存在", field="username")
        return user

    async def _keep_an_admin(self, username: str, message: str) -> None:
        if not [a for a in await self.store.active_admins() if a != username]:
            raise Conflict(message, field="roles", code="last_admin")

    async def _set_password(self, username: str, password: str, *, must_change: bool) -> None:
        password_hash = await asyncio.to_thread(security.hash_password, password)
        await self.store.update(
            username,
            {
                "password_hash": password_hash,
                "must_change_password": must_change,
                "password_changed_at": self.clock.now(),
                "updated_at": self.clock.now(),
            },
        )


def _locked_message(until: datetime, now: datetime) -> str:
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return f"登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试"
