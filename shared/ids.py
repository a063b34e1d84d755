"""Identifiers. ULIDs sort by creation time, which keeps listings in issue order."""

import re

from ulid import ULID

# Node ids and unit ids appear inside NATS subjects, stream names and MongoDB
# field paths, so they may not contain '.', '*', '>', '$' or spaces.
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_SLUG = re.compile(SLUG_PATTERN)


def new_id() -> str:
    return str(ULID())


def is_slug(value: str) -> bool:
    return bool(_SLUG.match(value))


def submission_id(notice_id: str, ask_id: str, unit_id: str) -> str:
    """One submission per unit and ask of a notice, on every node that keeps it: deterministic."""
    return f"{notice_id}:{ask_id}:{unit_id}"
