"""What an audit entry says about a command: its own fields, and what its answer names that the command did not."""

from services.gateway.core.commands import _summary
from shared.contracts.notices import ApproveDraft


def test_a_drafts_signature_names_the_notice_by_its_title_from_the_answer():
    cmd = ApproveDraft(draft_id="01HZDRAFT")
    answer = {
        "id": "01HZDRAFT",
        "title": "关于开展科普月活动的通知",
        "notice_id": "01HZDRAFT",
        "doc_number": "粤科协联〔2026〕3号",
    }
    assert _summary(cmd, answer) == {
        "draft_id": "01HZDRAFT",
        "notice_id": "01HZDRAFT",
        "doc_number": "粤科协联〔2026〕3号",
        "title": "关于开展科普月活动的通知",
    }


def test_the_commands_own_title_wins_over_the_answers():
    class Cmd:
        def model_dump(self, mode: str) -> dict:
            return {"notice_id": "n1", "title": "更正后的标题"}

    assert _summary(Cmd(), {"title": "原标题"})["title"] == "更正后的标题"
