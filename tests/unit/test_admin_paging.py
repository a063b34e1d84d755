"""Paging helpers of the admin's lists: dead letters by stream sequence, audit actions by prefix."""

import random
import re
from pathlib import Path

import pytest

from services.gateway.core.audit import ACTION_LABELS, actions_under
from services.gateway.features.admin.dead_letters import newest_first

GATEWAY = Path(__file__).resolve().parents[2] / "services" / "gateway"


def brute(first: int, last: int, deleted: list[int], skip: int, count: int) -> list[int]:
    held = [s for s in range(last, first - 1, -1) if s not in set(deleted)]
    return held[skip : skip + count]


@pytest.mark.parametrize("seed", range(30))
def test_a_page_of_a_stream_with_gaps_is_the_same_as_counting_every_message(seed):
    rng = random.Random(seed)
    first = rng.randint(1, 50)
    last = first + rng.randint(-1, 120)
    deleted = (
        sorted(rng.sample(range(first, last + 1), rng.randint(0, max(0, last - first + 1)))) if last >= first else []
    )
    for skip in range(0, 130, 7):
        for count in (1, 3, 50):
            assert newest_first(first, last, deleted, skip, count) == brute(first, last, deleted, skip, count)


def test_a_stream_with_nothing_left_has_no_pages():
    assert newest_first(5, 4, [], 0, 50) == []
    assert newest_first(1, 3, [1, 2, 3], 0, 50) == []
    assert newest_first(1, 3, [], 3, 50) == []


def test_an_action_prefix_is_the_codes_under_it_and_an_exact_code_is_itself():
    assert actions_under("notices.issue") == "notices.issue"
    assert actions_under("login") == {"$in": ["login", "login.failed"]}
    assert set(actions_under("notices")["$in"]) >= {"notices", "notices.issue", "notices.upsert_unit"}
    assert actions_under("user")["$in"] == [
        "user",
        "user.created",
        "user.updated",
        "user.disabled",
        "user.enabled",
        "user.password_reset",
        "user.password_changed",
    ]
    assert actions_under("nothing.here") == "nothing.here"


def test_every_action_the_gateway_audits_has_a_label():
    """A prefix filter finds the codes ACTION_LABELS knows (an index answers a list of codes, not a pattern)."""
    audited = set()
    for path in GATEWAY.rglob("*.py"):
        text = path.read_text()
        # send(request, b.notices.issue, …) records "notices.issue"; record() and audit.append() name theirs.
        audited |= {
            f"{s}.{a}"
            for s, a in re.findall(
                r"send\(\s*request,\s*[\w.]*?\b(notices|submissions|reports|notifications)\.(\w+)\b", text
            )
        }
        audited |= set(re.findall(r'(?:audit\.append|record)\(\s*(?:request,\s*)?"([a-z_.]+)"', text))
    assert {"notices.issue", "submissions.commend", "notices.import_units", "dead_letter.dismissed"} <= audited
    assert audited <= set(ACTION_LABELS), sorted(audited - set(ACTION_LABELS))
