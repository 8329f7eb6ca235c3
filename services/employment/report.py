"""Employment's facts for the bureau's figures: postings and their employers, job fairs."""
from __future__ import annotations

from chassis.envelope import RecordedEvent
from chassis.report_facts import Fact, Homes, day

STOCKS: frozenset[str] = frozenset()
# A job fair's recorded counts, each its own figure (amounts, not one fact per person).
_FAIR = {"employers_attending": "job_fair_employers", "posts_offered": "job_fair_posts",
         "veterans_attending": "job_fair_attendees", "intentions_reached": "job_fair_intentions"}


def facts(event: RecordedEvent, homes: Homes) -> list[Fact]:
    data, kind = event.data, event.event_type
    if kind == "PostingPublished":
        # The subject is the employer: the figure "employers" counts those who published.
        return [Fact("postings", day(data["published_on"]), 1, subject=data["employer_id"],
                     township=data.get("township"))]
    if kind == "JobFairRecorded":
        held_on = day(data["held_on"])
        return [Fact(metric, held_on, int(data.get(field) or 0), subject=data["fair_id"],
                     township=data.get("township"))
                for field, metric in _FAIR.items()]
    return []
