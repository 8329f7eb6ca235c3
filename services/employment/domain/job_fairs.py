"""Job fairs (招聘会): recorded once held, with the day's counts."""
from __future__ import annotations

from collections.abc import Container
from datetime import date

from .commands import RecordJobFair
from .events import Event, JobFairRecorded
from .rules import Problems, not_in_future, required_text


def record_job_fair(cmd: RecordJobFair, fair_id: str, known_employers: Container[str],
                    today: date) -> list[Event]:
    """A fair that took place. Attending employers not on file are counted, not named: many come
    to one fair only."""
    problems = Problems()
    name = required_text(problems, "name", cmd.name, 200)
    township = required_text(problems, "township", cmd.township)
    not_in_future(problems, "held_on", cmd.held_on, today)
    employer_ids = tuple(dict.fromkeys(cmd.employer_ids))
    unknown = [e for e in employer_ids if e not in known_employers]
    if unknown:
        problems.add("employer_ids", f"not on file: {', '.join(unknown[:5])}")
    for field in ("employers_attending", "posts_offered", "veterans_attending",
                  "intentions_reached"):
        if getattr(cmd, field) < 0:
            problems.add(field, "must not be negative")
    if cmd.employers_attending < len(employer_ids):
        problems.add("employers_attending",
                     "must count at least the employers named in employer_ids")
    problems.raise_if_any("the job fair cannot be recorded as given")
    return [JobFairRecorded(
        fair_id=fair_id, name=name, held_on=cmd.held_on, township=township,
        employer_ids=employer_ids, employers_attending=cmd.employers_attending,
        posts_offered=cmd.posts_offered, veterans_attending=cmd.veterans_attending,
        intentions_reached=cmd.intentions_reached)]
