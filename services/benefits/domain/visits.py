"""Condolence visits 走访慰问: campaigns with a budget, each visit its own stream (visits never conflict)."""

from dataclasses import dataclass
from datetime import date

from .case import Actor, Case, Clocks, VeteranFacts, not_after, one_of, text
from .errors import NotFound, Problems, WrongState
from .events import CampaignClosed, CampaignOpened, Event, VisitRecorded, VisitWithdrawn
from .vocabulary import CAMPAIGN_KINDS

OPEN, CLOSED = "open", "closed"
RECORDED, WITHDRAWN = "recorded", "withdrawn"


@dataclass(frozen=True)
class OpenCampaign:
    name: str
    kind: str
    starts_on: date
    ends_on: date
    budget_fen: int
    actor: Actor


@dataclass(frozen=True)
class RecordVisit:
    veteran: VeteranFacts
    visited_on: date
    visitors: str
    amount_fen: int
    actor: Actor
    goods: str | None = None
    goods_value_fen: int = 0
    hardship_found: bool = False
    notes: str | None = None


@dataclass(frozen=True)
class WithdrawVisit:
    reason: str
    actor: Actor


def open_campaign(cmd: OpenCampaign, campaign_id: str) -> list[Event]:
    problems = Problems()
    name = text(problems, "name", cmd.name)
    kind = one_of(problems, "kind", cmd.kind, CAMPAIGN_KINDS)
    if cmd.ends_on < cmd.starts_on:
        problems.add("ends_on", "must not be before starts_on")
    if cmd.budget_fen <= 0:
        problems.add("budget_fen", "must be more than 0 fen")
    problems.raise_if_any()
    return [CampaignOpened(campaign_id=campaign_id, name=name, kind=kind,
                           starts_on=cmd.starts_on, ends_on=cmd.ends_on,
                           budget_fen=cmd.budget_fen, opened_by=cmd.actor.subject)]


class Campaign(Case):
    """A campaign: its name, period and budget. Its totals are a projection of its visits, so
    recording a visit never writes here."""

    what = "campaign"

    def __init__(self, case_id: str):
        super().__init__(case_id)
        self.name: str | None = None
        self.kind: str | None = None
        self.starts_on: date | None = None
        self.ends_on: date | None = None
        self.budget_fen = 0

    def _on_CampaignOpened(self, e: CampaignOpened) -> None:
        self.state, self.name, self.kind = OPEN, e.name, e.kind
        self.starts_on, self.ends_on, self.budget_fen = e.starts_on, e.ends_on, e.budget_fen

    def _on_CampaignClosed(self, e: CampaignClosed) -> None:
        self.state = CLOSED

    def close(self, actor: Actor, today: date) -> list[Event]:
        self.require_state("closing", OPEN)
        return [CampaignClosed(campaign_id=self.case_id, closed_by=actor.subject,
                               closed_on=today)]

    def record_visit(self, cmd: RecordVisit, visit_id: str, today: date) -> list[Event]:
        """A visit during the campaign, open; the campaign itself is only read."""
        if not self.exists:
            raise NotFound("no campaign with this id")
        if self.state != OPEN:
            raise WrongState("this campaign is closed: no more visits are recorded in it")
        problems = Problems()
        not_after(problems, "visited_on", cmd.visited_on, today)
        if not self.starts_on <= cmd.visited_on <= self.ends_on:
            problems.add("visited_on", f"must be within the campaign ({self.starts_on} to "
                                       f"{self.ends_on})")
        visitors = text(problems, "visitors", cmd.visitors)
        goods = text(problems, "goods", cmd.goods, required=False)
        if cmd.amount_fen < 0:
            problems.add("amount_fen", "must be 0 or more")
        if cmd.goods_value_fen < 0:
            problems.add("goods_value_fen", "must be 0 or more")
        if cmd.goods_value_fen and not goods:
            problems.add("goods", "say what the goods were")
        notes = text(problems, "notes", cmd.notes, required=False)
        problems.raise_if_any()
        return [VisitRecorded(
            visit_id=visit_id, campaign_id=self.case_id, veteran_id=cmd.veteran.veteran_id,
            station=cmd.veteran.station, township=cmd.veteran.township,
            visited_on=cmd.visited_on, visitors=visitors, amount_fen=cmd.amount_fen,
            goods=goods, goods_value_fen=cmd.goods_value_fen, hardship_found=cmd.hardship_found,
            notes=notes, recorded_by=cmd.actor.subject)]

    def clocks(self, events: list[Event]) -> Clocks:
        return Clocks()


class Visit(Case):
    what = "visit"

    def __init__(self, case_id: str):
        super().__init__(case_id)
        self.campaign_id: str | None = None
        self.amount_fen = 0

    def _on_VisitRecorded(self, e: VisitRecorded) -> None:
        self.state, self.campaign_id, self.veteran_id, self.station = (
            RECORDED, e.campaign_id, e.veteran_id, e.station)
        self.amount_fen = e.amount_fen

    def _on_VisitWithdrawn(self, e: VisitWithdrawn) -> None:
        self.state = WITHDRAWN

    def withdraw(self, cmd: WithdrawVisit, today: date) -> list[Event]:
        """Take back a visit recorded in error: it leaves the campaign's totals."""
        self.require_state("withdrawal", RECORDED)
        problems = Problems()
        reason = text(problems, "reason", cmd.reason)
        problems.raise_if_any()
        return [VisitWithdrawn(visit_id=self.case_id, campaign_id=self.campaign_id,
                               veteran_id=self.veteran_id, reason=reason,
                               withdrawn_by=cmd.actor.subject, withdrawn_on=today)]

    def clocks(self, events: list[Event]) -> Clocks:
        return Clocks()
