"""The staff workbench's relief queues on the real PostgreSQL: whose step, four eyes, days waiting, sort."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from chassis.clock import SHANGHAI, ManualClock
from chassis.store import PostgresEventStore
from contracts import benefits as contract
from services.benefits import handlers
from tests import benefits_fixtures
from tests.integration.test_benefits import (
    APPROVER,
    NOTICE,
    OFFICER,
    SECOND_APPROVER,
    WORKER,
    known_veteran,
    person,
)

benefits_database_url = benefits_fixtures.benefits_database_url
benefits_db = benefits_fixtures.benefits_db


@pytest.fixture
def clock():
    return ManualClock(datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
def benefits(benefits_db, clock):
    store = PostgresEventStore(benefits_db, "benefits_events", upcast=contract.upcast)
    return handlers.Benefits(store, benefits_fixtures.STANDARDS, clock=clock)


def ids(page):
    return [item["application_id"] for item in page["items"]]


def test_queues_follow_whose_step_it_is_and_four_eyes(benefits, benefits_db, clock):
    applied = [benefits.apply_relief({"veteran_id": known_veteran(benefits_db),
                                      "trigger": "illness", "amount_asked_fen": 100_000 * (n + 1),
                                      "circumstances": "住院"}, WORKER).id for n in range(3)]
    clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI))
    review = {"opinion": "support", "recommended_fen": 50_000, "notes": "属实",
              "objections": False, **NOTICE}
    benefits.review_relief(applied[0], review, OFFICER)
    # The approver who reviewed the second one may not decide it (four eyes).
    reviewer_approver = person("approver", "officer-1")
    benefits.review_relief(applied[1], review, OFFICER)

    assert set(ids(benefits.list_relief(APPROVER, queue="mine"))) == set(applied[:2])
    assert ids(benefits.list_relief(reviewer_approver, queue="mine")) == []
    assert set(ids(benefits.list_relief(reviewer_approver, queue="others"))) == set(applied)
    assert ids(benefits.list_relief(OFFICER, queue="mine")) == [applied[2]]
    assert benefits.get_relief(applied[0], APPROVER)["next_steps"] == ["decide"]
    assert benefits.get_relief(applied[0], reviewer_approver)["next_steps"] == []

    benefits.decide_relief(applied[0], {"decision": "reject", "reason": "不符合"}, SECOND_APPROVER)
    done = benefits.list_relief(OFFICER, queue="done")
    assert ids(done) == [applied[0]] and done["items"][0]["next_step"] is None
    # Days waiting count from the step that put it in its state, not from the application.
    rows = {i["application_id"]: i for i in benefits.list_relief(OFFICER)["items"]}
    assert rows[applied[2]]["state_since"] == date(2026, 11, 16)
    assert rows[applied[1]]["state_since"] == date(2026, 11, 27)
    assert rows[applied[2]]["yours"] and not rows[applied[1]]["yours"]

    by_amount = benefits.list_relief(OFFICER, sort="amount_asked_fen", order="desc",
                                     page_size=2)
    assert ids(by_amount) == [applied[2], applied[1]] and by_amount["total"] == 3
    assert ids(benefits.list_relief(OFFICER, sort="amount_asked_fen", order="desc",
                                    page=2, page_size=2)) == [applied[0]]
