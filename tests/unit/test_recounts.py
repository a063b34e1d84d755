"""Recounts of delivery counts: named by handlers, made once per key per round, kept when they fail."""

import asyncio

from services.notifications.recounts import Recounts


class Repo:
    def __init__(self, fail: int = 0) -> None:
        self.made: list[tuple[str, str, str]] = []
        self.fail = fail
        self.first: list[list[str]] = []  # the deliveries counted as they were recorded, a list per call
        self.there: set[str] = set()  # channels whose counts another replica made already

    async def count_recorded(self, docs: list[dict]) -> set[str]:
        """As the store would: the channels whose counts were not there yet are counted."""
        self.first.append(sorted(d["_id"] for d in docs))
        return {d["channel"] for d in docs} - self.there

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


def delivery(i: int, channel: str) -> dict:
    return {"_id": f"e{i}:{channel}", "channel": channel}


async def test_a_causes_first_deliveries_are_counted_as_recorded_and_later_ones_recounted():
    repo = Repo()
    r = Recounts(repo, delay=3600)  # type: ignore[arg-type]
    await r.recorded("n1", "notice.issued", [delivery(1, "email"), delivery(1, "sms")], all_new=True)
    assert repo.first == [["e1:email", "e1:sms"]] and r.pending == set()
    # The same cause again (a notice's next 报送 to the reviewer): its counts are there, known without asking.
    await r.recorded("n1", "notice.issued", [delivery(2, "email")], all_new=True)
    assert len(repo.first) == 1 and r.pending == {("n1", "notice.issued", "email")}


async def test_a_redelivery_or_counts_made_elsewhere_are_recounted():
    repo = Repo()
    r = Recounts(repo, delay=3600)  # type: ignore[arg-type]
    await r.recorded("n1", "notice.issued", [delivery(1, "email")], all_new=False)  # some were there: recount
    assert repo.first == [] and r.pending == {("n1", "notice.issued", "email")}
    repo.there = {"sms"}  # another replica counted this channel first
    await r.recorded("n2", "notice.issued", [delivery(3, "email"), delivery(3, "sms")], all_new=True)
    assert repo.first == [["e3:email", "e3:sms"]]
    assert r.pending == {("n1", "notice.issued", "email"), ("n2", "notice.issued", "sms")}
    await r.recorded(None, "notice.issued", [delivery(4, "chat")], all_new=True)  # a cause of no notice
    assert len(repo.first) == 1 and len(r.pending) == 2
