"""Use cases of the reports service: each event writes a few small documents, then refreshes the statistics
rows it changed. Every handler is idempotent and commutes with the others (events arrive in any order, more
than once, and on several replicas at once)."""

from shared.contracts.common import NoticeQuery
from shared.contracts.reports import (
    Completeness,
    CompletenessQuery,
    NoticeStatus,
    Statistics,
    StatisticsQuery,
    UnitStatistics,
)
from shared.errors import NotFound
from shared.events import (
    DeadlineApproaching,
    NoticeAcknowledged,
    NoticeCorrected,
    NoticeForwarded,
    NoticeIssued,
    NoticeWithdrawn,
    PlanSubmitted,
    ReportCompiled,
    SubmissionReviewed,
)
from shared.paging import page_of

from . import domain
from .repository import ReportsRepository


class Reports:
    def __init__(self, repo: ReportsRepository, node: str, tz: str) -> None:
        self.repo, self.node, self.tz = repo, node, tz

    # ------------------------------------------------------------ notices

    async def notice_arrived(self, event: NoticeIssued | NoticeForwarded | NoticeCorrected) -> None:
        """A 下发, 转发 or 更正 (one part of its recipients): the header, then one document per recipient."""
        notice = event.notice
        if isinstance(event, NoticeCorrected):
            await self.repo.set_notice(notice.notice_id, notice.revision, domain.correction_fields(event, self.tz))
        else:
            await self.repo.set_notice(
                notice.notice_id,
                notice.revision,
                {**domain.notice_fields(notice, self.tz), "status": "issued"},
                domain.part_fields(event.part, len(notice.recipients)),
            )
        docs = [domain.unit_fields(notice, r, self.tz) for r in notice.recipients]
        after = await self.repo.fan_out(docs, [a.ask_id for a in notice.asks])
        if isinstance(event, NoticeCorrected) and event.changed and "asks" not in event.changed:
            return  # a new title or text changes no unit's figures
        await self.repo.count_into_rows(after)

    async def acknowledged(self, event: NoticeAcknowledged) -> None:
        doc = await self.repo.merge_unit(event.notice_id, event.unit_id, domain.receipt_fields(event))
        await self.repo.count_into_rows([doc])

    async def withdrawn(self, event: NoticeWithdrawn) -> None:
        await self.repo.merge_header(event.notice_id, domain.withdrawal_fields(event))
        # A unit document that has no row yet (the 下发 not handled here yet) is counted when it comes, withdrawn.
        marked = await self.repo.mark_withdrawn(event.notice_id, event.recipient_unit_ids)
        await self.repo.count_into_rows(marked)

    async def chased(self, event: DeadlineApproaching) -> None:
        if event.origin_node == self.node:
            await self.repo.merge_header(event.notice_id, domain.chase_fields(event))

    # ------------------------------------------------------------ submissions (the issuer's view)

    async def submission(self, event: PlanSubmitted | ReportCompiled | SubmissionReviewed) -> None:
        """Completeness is the issuer's view: kept on the issuer's node, where submissions are reviewed."""
        issuer_node = event.origin_node if isinstance(event, SubmissionReviewed) else event.issuer_node
        if issuer_node != self.node:
            return
        part, revision, fields = domain.submission_state(event)
        source = domain.item_source(event)  # an item sent up by itself: kept apart, under its source unit
        _, doc = await self.repo.merge_part(
            event.notice_id, event.ask_id, event.unit_id, part, revision, fields, item_of=source
        )
        # Counted even when the part was not newer: a first delivery may have written it and died before this.
        await self.repo.count_into_rows([doc])

    # ------------------------------------------------------------ queries

    async def notice(self, notice_id: str) -> dict:
        header = await self.repo.header(notice_id)
        if header is None or "revision" not in header:  # nothing of the notice itself has arrived yet
            raise NotFound("该通知尚无状态记录", field="notice_id")
        return header

    async def notice_status(self, q: NoticeQuery) -> NoticeStatus:
        header = await self.notice(q.notice_id)
        return NoticeStatus.model_validate(
            domain.status_view(header, await self.repo.units_of(q.notice_id, {"subs": 0}))
        )

    async def completeness(self, q: CompletenessQuery) -> Completeness:
        """报送情况: per ask the counts over every unit that owes it and one page of those units (``q.page``; the
        same page of every ask), pending first."""
        header = await self.notice(q.notice_id)
        asks = []
        for ask_id, ask in header.get("asks", {}).items():
            counts, late, units = await self.repo.ask_answers(q.notice_id, ask_id, q.page)
            view = domain.ask_completeness(ask_id, ask, header, counts, late, units)
            view["more"] = q.page.skip + q.page.per_page < view["owed"]
            asks.append(view)
        return Completeness.model_validate(domain.completeness_head(header, asks))

    async def unit_statistics(self, q: StatisticsQuery) -> Statistics:
        """One page of the issuer unit's rows of the year (units by name), and how many notices it sent."""
        rows, has_more, total = await self.repo.statistics_page(q.unit_id, q.year, q.page)
        units = page_of([UnitStatistics.model_validate(domain.row_view(r)) for r in rows], q.page, has_more, total)
        return Statistics(
            unit_id=q.unit_id, year=q.year, notices=await self.repo.notices_of_year(q.unit_id, q.year), units=units
        )
