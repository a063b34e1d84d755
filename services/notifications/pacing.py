"""Sending within the providers' limits: what may go now goes, the rest waits for its turn, nothing is dropped.

Before a job's messages are handed to the servers (sending.py), each takes its place under the limits of the
node's settings (limits.py): per webhook ``chat_per_minute`` (or the robot's kind's own: ``dingtalk_per_minute``,
``wecom_per_minute``, ``feishu_per_minute``), ``sms_per_minute`` and ``email_per_minute`` for
the SMS gateway and the SMTP server, ``sms_per_number_per_day`` per mobile number. A message that does not fit
is a ``retry`` marked ``limited`` with the seconds until its window reopens: the job is offered again then, and
such a wait never counts towards ``send_give_up_hours``. A server that answers "rate limited" anyway (a robot
shared with another system, a provider's own count) pauses its key for ``rate_limited_pause_seconds``, longer
each time it does so again, and its messages wait likewise.
"""

from collections.abc import Iterable

from shared.settings import NotificationsSettings

from . import chat
from .limits import Grant, Limits, chat_key
from .sending import RETRY, OutgoingMessage, Result, Senders

SMS_KEY, EMAIL_KEY = "sms", "email"


def _waiting(wait: float, why: str) -> Result:
    return Result(RETRY, f"限速排队：{why}，约 {max(1, round(wait))} 秒后发送", limited=True, retry_after=wait)


class Pacer:
    def __init__(self, settings: NotificationsSettings, senders: Senders, limits: Limits) -> None:
        self.settings, self.senders, self.limits = settings, senders, limits

    async def send(self, messages: Iterable[OutgoingMessage]) -> dict[str, Result]:
        s = self.settings
        results: dict[str, Result] = {}
        go: list[OutgoingMessage] = []
        by_key: dict[str, list[OutgoingMessage]] = {}
        taken: dict[str, float] = {}  # the slot each key took, settled once its messages are answered
        for m in messages:
            if self.senders.missing(m.channel):
                go.append(m)  # not sent at all (no server): Senders says so; it takes no place in a window
            else:
                by_key.setdefault(chat_key(m.address) if m.channel == "chat" else m.channel, []).append(m)
        for key, queued in by_key.items():
            channel = queued[0].channel
            if channel == "chat":
                limit = s.chat_limit(queued[0].provider or chat.provider_of(None, queued[0].address))
            else:
                limit = s.sms_per_minute if channel == "sms" else s.email_per_minute
            window = f"{s.rate_window_seconds:g} 秒"
            if limit:
                grant = await self.limits.take(key, limit, len(queued))
                why = f"{_NAMES[channel]}每 {window}最多 {limit} 条"
                if grant.granted:
                    taken[key] = grant.at
            else:  # no limit of ours, but a server that said "too many" is still left alone for a while
                wait = await self.limits.paused_for(key)
                grant, why = Grant(0 if wait else len(queued), wait), f"{_NAMES[channel]}提示发送过快"
            for m in queued[grant.granted :]:
                results[m.delivery_id] = _waiting(grant.wait, why)
            queued = queued[: grant.granted]
            if channel == "sms" and s.sms_per_number_per_day:
                waits = await self.limits.take_daily_many(
                    [f"sms:{m.address}" for m in queued], s.sms_per_number_per_day
                )
                for m, wait in zip(list(queued), waits, strict=True):
                    if wait:
                        queued.remove(m)
                        results[m.delivery_id] = _waiting(wait, f"该号码今日短信已达 {s.sms_per_number_per_day} 条")
            go.extend(queued)
        for delivery_id, result in (await self.senders.send(go)).items():
            results[delivery_id] = result
        for key, at in taken.items():
            await self.limits.settle(key, at)
        await self._pause_refusing(go, results)
        return results

    async def _pause_refusing(self, sent: list[OutgoingMessage], results: dict[str, Result]) -> None:
        """A server said "rate limited": pause its key, and say when its messages are tried again."""
        paused: dict[str, float] = {}
        for m in sent:
            r = results.get(m.delivery_id)
            if r is None or not r.limited:
                continue
            key = chat_key(m.address) if m.channel == "chat" else m.channel
            if key not in paused:
                paused[key] = await self.limits.pause(key, r.retry_after)
            results[m.delivery_id] = Result(RETRY, r.error, limited=True, retry_after=paused[key])


_NAMES = {"chat": "群聊机器人", "sms": "短信网关", "email": "邮件服务器"}
