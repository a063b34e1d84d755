"""What a route asks FastAPI for: the backend's typed clients, who is asking, and in which role.

    async def forward(notice_id: str, b: BackendDep, actor: Issuer) -> Issued: ...

Every route needs a login (app.py includes the feature routers with ``login_required``); a role alias
refuses with 403 an actor without the role. The unit scope is checked by the services (they get the actor
in every command and query) and, for what the gateway decides itself, by ``scope.py``.
"""

from typing import Annotated

from fastapi import Depends, Request

from shared.contracts.common import Actor
from shared.schemas import Role

from .auth import CurrentActor, require
from .backend import Backend

__all__ = [
    "Admin",
    "BackendDep",
    "CurrentActor",
    "Filer",
    "Issuer",
    "Reviewer",
    "Signer",
    "Submitter",
    "Tracker",
    "backend",
    "has",
]


def backend(request: Request) -> Backend:
    return request.app.state.backend


BackendDep = Annotated[Backend, Depends(backend)]  # backend.notices, .submissions, .reports, .notifications

Admin = Annotated[Actor, Depends(require(Role.admin))]  # the node admin (of the node's own unit: node_unit.py)
Issuer = Annotated[Actor, Depends(require(Role.issuer))]  # 发文, 转发, 更正, 撤回, 催办
Reviewer = Annotated[Actor, Depends(require(Role.reviewer))]  # 审核, 评选, 汇总
Submitter = Annotated[Actor, Depends(require(Role.submitter))]  # 签收 and 报送 for one's own unit
Signer = Annotated[Actor, Depends(require(Role.signer))]  # 签发 of its unit's drafts, 会签 of joint ones
Tracker = Annotated[Actor, Depends(require(Role.issuer, Role.reviewer))]  # follows what its unit issued
Filer = Annotated[Actor, Depends(require(Role.submitter, Role.reviewer))]  # uploads a submission's files


def has(actor: Actor, role: Role | str) -> bool:
    """Whether the actor holds ``role`` (what a page offers: a button the role may use)."""
    return Role(role) in actor.roles
