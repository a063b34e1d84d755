"""Recounts of delivery counts: named by handlers, made once per key per round, kept when they fail."""

import asyncio

from services.notifications.recounts import Recounts


class Repo:
    def __init__(self, fail: int = 0) -> None:
        self.made: list[tuple[str, str, str]] = []
        self.fail = fail

    async def recount(self, notice_id: str, cause: str, channel: str) -> dict:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("store away")
        self.made.append((notice_id, cause, channel))
        return {}


async def test_many_events_touching_one_count_make_one_recount_per_round():
    repo = Repo()
    r = Recounts(repo, delay=3600)  # type: ignore[arg-type]
    for _ in range(300):
        r.soon("n1", "submission.arrived", {"email", "sms"})
    r.soon("n2", "notice.issued", ["chat"])
    r.soon(None, "notice.issued", ["chat"])  # a cause of no notice is not counted
    await r.flush()
    assert sorted(repo.made) == [
        ("n1", "submission.arrived", "email"),
        ("n1", "submission.arrived", "sms"),
        ("n2", "notice.issued", "chat"),
    ]
    await r.flush()
    assert len(repo.made) == 3  # nothing new was named


async def test_a_failed_recount_is_tried_again_and_a_stop_counts_what_is_named():
    repo = Repo(fail=1)
    r = Recounts(repo, delay=0.01)  # type: ignore[arg-type]
    r.soon("n1", "notice.issued", ["email"])
    await r.flush()
    assert repo.made == [] and r.pending == {("n1", "notice.issued", "email")}
    task = asyncio.create_task(r.run())
    await asyncio.sleep(0.05)
    assert repo.made == [("n1", "notice.issued", "email")]
    r.delay = 3600
    await asyncio.sleep(0.02)
    r.soon("n3", "notice.issued", ["sms"])
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert repo.made[-1] == ("n3", "notice.issued", "sms")
