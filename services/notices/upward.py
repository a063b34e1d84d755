"""How a forwarding level sends up what it accepts, per inherited ask (ForwardNotice.upward). Pure functions.

逐级汇总 (compile, the default): the level compiles its own answer (汇总). 直接上报 (direct): each submission it
accepts goes up by itself as soon as it is accepted, keeping its source unit. 择优上报 (select): its reviewer
picks up to ``limit`` accepted submissions to send up (seed 002: 择优精选1-2项); ``limit`` defaults to the
upstream ask's ``max_items``. The submissions service acts on it (services/submissions/handlers/upward.py).
"""

from collections.abc import Mapping, Sequence

from shared.errors import Invalid
from shared.schemas import Ask, UpwardMode, UpwardPolicy


def check_upward(policies: Mapping[str, UpwardPolicy], upstream: Sequence[Ask]) -> dict[str, UpwardPolicy]:
    """The policies a 转发 keeps: each names an inherited ask; 择优上报 gets its limit; 逐级汇总 is left out."""
    by_id = {a.ask_id: a for a in upstream}
    out: dict[str, UpwardPolicy] = {}
    for ask_id, policy in policies.items():
        ask = by_id.get(ask_id)
        if ask is None:
            raise Invalid(
                f"上级通知没有报送要求“{ask_id}”，不能为其设置上报方式", field=f"upward.{ask_id}", code="unknown_ask"
            )
        if policy.mode == UpwardMode.compile:
            if policy.limit is not None:
                raise Invalid("只有择优上报可以设置上报项数", field=f"upward.{ask_id}.limit", code="limit_not_select")
            continue
        if policy.mode == UpwardMode.direct and policy.limit is not None:
            raise Invalid("直接上报不限项数，请勿填写上报项数", field=f"upward.{ask_id}.limit", code="limit_not_select")
        if policy.mode == UpwardMode.select and policy.limit is None:
            policy = policy.model_copy(update={"limit": ask.max_items})
        out[ask_id] = policy
    return out
