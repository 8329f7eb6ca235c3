"""chassis.on_a_day: which of a stream's events were known by the end of a day, and in effect on one."""
from datetime import UTC, date, datetime

import pytest

from chassis.envelope import RecordedEvent
from chassis.on_a_day import OnADay, effective_day


def recorded(version: int, at: datetime, **data) -> RecordedEvent:
    return RecordedEvent(event_id=f"e{version}", event_type="Step", schema_version=1,
                         stream_id="s", stream_version=version, position=version,
                         occurred_at=at, recorded_at=at, correlation_id="c", causation_id=None,
                         actor="a", data=data)


# Opened on 2 November, a step on the 4th, one at 00:30 on the 6th in Shanghai (still the 5th
# in UTC), and one recorded on the 8th stating it took effect on the 3rd.
STREAM = [recorded(1, datetime(2026, 11, 2, 2, tzinfo=UTC)),
          recorded(2, datetime(2026, 11, 4, 2, tzinfo=UTC)),
          recorded(3, datetime(2026, 11, 5, 16, 30, tzinfo=UTC)),
          recorded(4, datetime(2026, 11, 8, 2, tzinfo=UTC), effective_on="2026-11-03")]


def versions(day: OnADay) -> list[int]:
    return [e.stream_version for e in day.events(STREAM)]


def test_as_known_at_the_end_of_a_shanghai_day():
    assert versions(OnADay(as_of=date(2026, 11, 1))) == []
    assert versions(OnADay(as_of=date(2026, 11, 2))) == [1]
    assert versions(OnADay(as_of=date(2026, 11, 5))) == [1, 2]
    assert versions(OnADay(as_of=date(2026, 11, 6))) == [1, 2, 3]
    assert versions(OnADay(as_of=date(2026, 11, 8))) == [1, 2, 3, 4]


def test_in_effect_on_a_day_an_undated_step_from_the_day_it_was_recorded():
    assert effective_day(STREAM[2]) == date(2026, 11, 6)
    assert effective_day(STREAM[3]) == date(2026, 11, 3)
    assert versions(OnADay(effective_on=date(2026, 11, 3))) == [1, 4]
    assert versions(OnADay(effective_on=date(2026, 11, 5))) == [1, 2, 4]
    # Both: what was known on the 7th about the 5th (the late step was not known yet).
    assert versions(OnADay(as_of=date(2026, 11, 7), effective_on=date(2026, 11, 5))) == [1, 2]


def test_the_day_a_view_stands_on():
    both = OnADay(as_of=date(2026, 11, 7), effective_on=date(2026, 11, 5))
    assert both.day == date(2026, 11, 5)
    assert OnADay(as_of=date(2026, 11, 7)).day == date(2026, 11, 7)
    with pytest.raises(ValueError):
        OnADay()


# -- a case's clocks on a day, replayed from its events ----------------------------------------------

def _step(day: int, set_=(), met=(), cancelled=(), fired=()):
    from chassis.deadlines import Deadline, DeadlineChanges
    from chassis.on_a_day import ClockStep
    when = datetime(2026, 11, day, 2, tzinfo=UTC)
    return ClockStep(DeadlineChanges(
        set=[Deadline.on(name, date(2026, 11, due), "Overdue") for name, due in set_],
        met=met, cancelled=cancelled, at=when), tuple(fired))


def _shown(steps, day: int, now=datetime(2026, 12, 31, tzinfo=UTC)):
    from chassis.on_a_day import clocks_on, end_of_day
    on = OnADay(as_of=date(2026, 11, day))
    # The caller replays the steps the day keeps, as the service keeps the events.
    kept = [s for s in steps if s.changes.at < end_of_day(on.as_of)]
    return [(c["name"], c["generation"], c["due_on"].day, c["state"], c["late"])
            for c in clocks_on(kept, on.instant(now))]


def test_a_clock_is_pending_on_its_last_day_and_overdue_the_day_after():
    steps = [_step(2, set_=[("answer", 5)])]
    assert _shown(steps, 5) == [("answer", 1, 5, "pending", False)]
    assert _shown(steps, 6) == [("answer", 1, 5, "overdue", False)]
    # Today, before the end of the day, the view stands at now.
    early = datetime(2026, 11, 5, 23, 0, tzinfo=UTC)  # 07:00 on the 6th in Shanghai
    assert _shown(steps, 6, now=early) == [("answer", 1, 5, "overdue", False)]
    assert _shown(steps, 6, now=datetime(2026, 11, 5, 15, 0, tzinfo=UTC)) == [
        ("answer", 1, 5, "pending", False)]


def test_fired_then_met_is_late_and_a_cancelled_clock_set_again_is_its_second_generation():
    steps = [_step(2, set_=[("answer", 5)]), _step(7, fired=["answer"]),
             _step(9, met=["answer"]), _step(10, set_=[("review", 20)]),
             _step(12, cancelled=["review"]), _step(13, set_=[("review", 25)])]
    assert _shown(steps, 8) == [("answer", 1, 5, "overdue", False)]
    assert _shown(steps, 9) == [("answer", 1, 5, "met", True)]
    assert _shown(steps, 11) == [("answer", 1, 5, "met", True), ("review", 1, 20, "pending", False)]
    assert _shown(steps, 12) == [("answer", 1, 5, "met", True)]
    assert _shown(steps, 13) == [("answer", 1, 5, "met", True), ("review", 2, 25, "pending", False)]
