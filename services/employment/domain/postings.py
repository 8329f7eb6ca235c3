"""Job postings (招聘岗位): published by an employer on file, open until closed."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from .commands import ClosePosting, PublishPosting
from .errors import NotFound, Refused
from .events import Event, PostingClosed, PostingPublished
from .rules import Problems, fen, not_in_future, required_text, tags
from .vocabulary import CLOSE_REASONS, MAX_HEADCOUNT, MAX_MONTHLY_PAY_FEN, MAX_REQUIREMENTS, POSTING_KINDS


@dataclass(frozen=True)
class Posting:
    """A posting as its events left it."""

    posting_id: str
    employer_id: str
    title: str
    kind: str
    township: str
    headcount: int
    published_on: date
    closed_on: date | None = None
    version: int = 0

    @property
    def open(self) -> bool:
        return self.closed_on is None

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> Posting:
        posting = None
        for version, event in enumerate(events, 1):
            if isinstance(event, PostingPublished):
                posting = cls(event.posting_id, event.employer_id, event.title, event.kind,
                              event.township, event.headcount, event.published_on,
                              version=version)
            elif isinstance(event, PostingClosed) and posting is not None:
                posting = replace(posting, closed_on=event.closed_on, version=version)
        if posting is None:
            raise NotFound("no posting with this id")
        return posting


def publish_posting(cmd: PublishPosting, posting_id: str, employer_known: bool,
                    today: date) -> list[Event]:
    problems = Problems()
    if not employer_known:
        problems.add("employer_id", "no employer with this id is on file: register it first")
    title = required_text(problems, "title", cmd.title)
    township = required_text(problems, "township", cmd.township)
    if cmd.kind not in POSTING_KINDS:
        problems.add("kind", f"must be one of {', '.join(POSTING_KINDS)}")
    fen(problems, "pay_min_fen", cmd.pay_min_fen, MAX_MONTHLY_PAY_FEN)
    fen(problems, "pay_max_fen", cmd.pay_max_fen, MAX_MONTHLY_PAY_FEN)
    if "pay_min_fen" not in problems.fields and "pay_max_fen" not in problems.fields \
            and cmd.pay_min_fen > cmd.pay_max_fen:
        problems.add("pay_max_fen", "must not be below pay_min_fen")
    if not 1 <= cmd.headcount <= MAX_HEADCOUNT:
        problems.add("headcount", f"must be between 1 and {MAX_HEADCOUNT}")
    requirements = tags(problems, "requirements", cmd.requirements, MAX_REQUIREMENTS)
    published_on = cmd.published_on or today
    not_in_future(problems, "published_on", published_on, today)
    problems.raise_if_any("the posting cannot be published as given")
    return [PostingPublished(
        posting_id=posting_id, employer_id=cmd.employer_id, title=title, kind=cmd.kind,
        township=township, pay_min_fen=cmd.pay_min_fen, pay_max_fen=cmd.pay_max_fen,
        requirements=requirements, headcount=cmd.headcount, published_on=published_on)]


def close_posting(posting: Posting, cmd: ClosePosting, today: date) -> list[Event]:
    if not posting.open:
        raise Refused(f"the posting was already closed on {posting.closed_on.isoformat()}")
    problems = Problems()
    if cmd.reason not in CLOSE_REASONS:
        problems.add("reason", f"must be one of {', '.join(CLOSE_REASONS)}")
    closed_on = cmd.closed_on or today
    not_in_future(problems, "closed_on", closed_on, today)
    if closed_on < posting.published_on:
        problems.add("closed_on", "must not be before the posting was published")
    problems.raise_if_any("the posting cannot be closed as given")
    return [PostingClosed(posting.posting_id, closed_on, cmd.reason)]
