"""导入公文: how exactly the seed notices are read, field by field (issue 13).

Each seed of ../shared/seeds is read as the notices service reads an import (``read_document``): text from the
file (the seed as .txt; with ``--formats`` also as a .docx and as a PDF with a text layer, built here with
python-docx and reportlab), parsed against the directory of the tests (tests/fixtures.py), a route that names
no department given its contacts' department. Every field is compared with what the seed says, written by
hand in tests/seeds_expected.py (文号, issuers, title, 主送 kinds, dates, 附件, contacts, each ask's kind,
title, deadline, unit kinds, limits and formats, each route); a ✗ line shows both. Goals: at least 95 % of the
fields exact, every deadline and every route exact (exit status 1 otherwise).

    python -m bench import [--formats txt,docx,pdf] [--all] [-h]
"""

import argparse
import sys
import time
from collections.abc import Callable

from services.notices.handlers.intake import directory_of, with_departments
from services.notices.intake import ImportedDraft, extract, parse_text
from tests.fixtures import DIRECTORY
from tests.seeds_expected import EXPECTED, TZ, Score, score, seed_text

GOAL = 0.95


def units() -> list[dict]:
    return [
        {"_id": u.unit_id, "name": u.name, "kind": u.kind.value, "mark_name": u.mark_name, "departments": u.departments}
        for u in DIRECTORY
    ]


def as_file(fmt: str, text: str) -> tuple[bytes, str]:
    """The seed as a file of ``fmt``: its text as UTF-8, or a .docx / PDF made of its lines."""
    if fmt == "txt":
        return text.encode("utf-8"), "seed.txt"
    from tests.unit.test_intake_extract import make_docx, make_pdf

    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if fmt == "docx":
        return make_docx(lines), "seed.docx"
    return make_pdf(lines), "seed.pdf"


def read(n: int, fmt: str, directory: list[dict]) -> tuple[ImportedDraft, float]:
    data, name = as_file(fmt, seed_text(n))
    t0 = time.perf_counter()
    text = extract(data, name).text
    draft = with_departments(parse_text(text, directory=directory_of(directory), tz=TZ), directory)
    return draft, time.perf_counter() - t0


def show(value: object) -> str:
    if isinstance(value, frozenset | set):
        return "{" + ", ".join(sorted(map(str, value))) + "}"
    return str(value)


def report(n: int, fmt: str, s: Score, seconds: float, everything: bool, out: Callable[[str], None]) -> None:
    out(f"seed {n:03d} ({fmt}): {s.exact}/{len(s.checks)} exact, read in {seconds * 1000:.0f} ms")
    for c in s.checks:
        if c.exact and everything:
            out(f"  ✓ {c.field}")
        elif not c.exact:
            out(f"  ✗ {c.field}: expected {show(c.expected)}, read {show(c.got)}")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench import", description=__doc__.split("\n\n")[0])
    ap.add_argument("--formats", default="txt", help="txt, docx, pdf, comma-separated (default: txt)")
    ap.add_argument("--all", action="store_true", help="list every field, not only those read wrong")
    args = ap.parse_args(argv)
    formats = [f for f in args.formats.split(",") if f]
    if not set(formats) <= {"txt", "docx", "pdf"}:
        ap.error("formats are txt, docx and pdf")
    directory = units()
    ok = True
    for fmt in formats:
        total = exact = 0
        kinds: dict[str, list[int]] = {}
        for n in sorted(EXPECTED):
            draft, seconds = read(n, fmt, directory)
            s = score(n, draft)
            report(n, fmt, s, seconds, args.all, print)
            total += len(s.checks)
            exact += s.exact
            for c in s.checks:
                k = kinds.setdefault(c.kind or "other", [0, 0])
                k[0] += c.exact
                k[1] += 1
        share = exact / total if total else 0.0
        by_kind = ", ".join(f"{k} {e}/{t}" for k, (e, t) in sorted(kinds.items()))
        print(f"{fmt}: {exact}/{total} fields exact ({share:.1%}); {by_kind}")
        met = share >= GOAL and all(e == t for k, (e, t) in kinds.items() if k in ("deadline", "route"))
        print(f"{fmt}: goals (≥ {GOAL:.0%} exact, every deadline and route exact) {'met' if met else 'NOT met'}")
        ok = ok and met
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
