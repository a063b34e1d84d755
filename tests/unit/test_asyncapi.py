"""docs/asyncapi/*.yaml are generated from the services' wiring: a contract or subscription changed without
regenerating them (`make docs`) fails here."""

import subprocess
import sys

from cascade.processes import REPO_ROOT


def test_the_asyncapi_documents_match_the_code():
    proc = subprocess.run(
        [sys.executable, "-m", "cascade.asyncapi", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


def test_every_request_and_event_a_service_handles_is_in_its_document():
    import yaml

    from shared.contracts.notices import Notices

    doc = yaml.safe_load((REPO_ROOT / "docs" / "asyncapi" / "notices.yaml").read_text(encoding="utf-8"))
    subjects = {channel["address"] for channel in doc["channels"].values()}
    assert {f"rpc.node.notices.{action.name}" for action in Notices.actions()} <= subjects
    assert "evt.notice.*.node.issued" in subjects
