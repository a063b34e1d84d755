"""导入公文: what holds for every draft — spans inside the text, confidences in [0, 1], the same result every time,
and never anything but an ``Invalid`` for odd input."""

import random
from pathlib import Path

import pytest

from services.notices.intake import IntakeError, import_document, parse_text
from shared.errors import Invalid

pytestmark = pytest.mark.unit

SEEDS = sorted((Path(__file__).resolve().parents[3] / "shared" / "seeds").glob("*.txt"))


def walk(value, path="draft"):
    """Every (path, span, confidence) in a dumped draft."""
    if isinstance(value, dict):
        if "span" in value:
            yield path, value["span"], value.get("confidence")
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_spans_and_confidences_are_sane_and_parsing_is_deterministic(path):
    text = path.read_text(encoding="utf-8")
    draft = parse_text(text)
    n = 0
    for where, (start, end), conf in walk(draft.model_dump(mode="python")):
        assert 0 <= start <= end <= len(text), where
        assert conf is None or 0 <= conf <= 1, where
        n += 1
    assert n > 20
    assert parse_text(text) == draft
    assert draft.model_dump_json() == parse_text(text).model_dump_json()


def test_values_found_at_their_spans():
    text = SEEDS[0].read_text(encoding="utf-8")
    for d in parse_text(text).chain():
        f = d.fields
        assert text[f.doc_number.span[0] : f.doc_number.span[1]].replace(" ", "") == f.doc_number.value
        for i in f.issuers:
            assert text[i.span[0] : i.span[1]] == i.name
        for b in f.contacts:
            for p in b.people:
                assert text[p.span[0] : p.span[1]] == p.name


def test_random_and_hostile_text_gives_a_draft_or_an_invalid():
    rng = random.Random(13)
    alphabet = "各科协学会于前日月年报送〔〕号关于通知：，。、（）1234567890\n 附件联系人电话@."
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400)))
        try:
            parse_text(text)
        except IntakeError as exc:
            assert isinstance(exc, Invalid) and exc.message
    for data in (bytes(rng.randrange(256) for _ in range(2000)), b"%PDF-1.4\n" + bytes(300), b"PK\x03\x04" * 50):
        for name in ("a.txt", "a.pdf", "a.docx", None):
            try:
                import_document(data, name)
            except IntakeError as exc:
                assert 400 <= exc.problem().status < 500 and exc.message
