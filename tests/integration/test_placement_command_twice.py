"""A placement step running twice at once (a retry while the first copy waits in the queue) is a replay."""
from datetime import date, datetime

import pytest

from chassis.clock import SHANGHAI, ManualClock
from chassis.db import Database
from chassis.envelope import Metadata, new_id
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from chassis.store import PostgresEventStore
from contracts import placement as contract
from services.placement import handlers
from services.placement.domain.commands import ReportIn
from services.placement.domain.errors import WrongState
from services.placement.domain.money import Standards, YearStandard
from tests.conftest import fresh_database, truncate

STANDARDS = Standards({2026: YearStandard(2026, 249000, 450000)})


@pytest.fixture(scope="module")
def database_url():
    return fresh_database("vetlife_placement_twice_test",
                          [CHASSIS_MIGRATIONS, service_migrations("placement")])


@pytest.fixture
def store(database_url):
    db = Database(database_url, max_connections=4)
    truncate(db, "deadlines", "placement_cases", "post_quotas", "post_holders", "registry_facts")
    yield PostgresEventStore(db, "placement_events", upcast=contract.upcast)
    db.close()


@pytest.fixture
def clock():
    return ManualClock(datetime(2026, 9, 18, 9, 0, tzinfo=SHANGHAI))


def reported(store, clock) -> str:
    cmd = ReportIn(veteran_id=new_id(), discharge_approved_on=date(2026, 9, 1),
                   rank_class="conscript", years_of_service=2,
                   service_station="多湖街道退役军人服务站", township="多湖街道")
    return handlers.report_in(store, cmd, Metadata(actor="station_worker:w"), clock).case_id


def choose(store, clock, case_id, key):
    return handlers.choose_mode(store, case_id, "self_employment", STANDARDS,
                                Metadata(actor="station_worker:w"), clock, command_id=key)


def test_the_second_copy_of_a_mode_choice_gets_the_first_ones_result(store, clock, monkeypatch):
    case_id = reported(store, clock)
    load = handlers.load_case
    first = []

    def load_after_the_other_copy(s, cid):
        # What drill 8 of make faults met: this copy found no record of the command, then the
        # other copy chose the mode and committed, then this copy loads the case.
        if not first:
            first.append(None)  # the other copy loads the plain way
            first[0] = choose(store, clock, case_id, "gateway:w:mode-1")
        return load(s, cid)

    monkeypatch.setattr(handlers, "load_case", load_after_the_other_copy)
    second = choose(store, clock, case_id, "gateway:w:mode-1")

    assert (first[0].replayed, second.replayed) == (False, True)
    assert second.version == first[0].version
    types = [e.event_type for e in store.read_stream(case_id)]
    assert types.count("ModeChosen") == 1


def test_another_command_on_the_changed_case_is_still_refused(store, clock):
    case_id = reported(store, clock)
    choose(store, clock, case_id, "gateway:w:mode-1")
    with pytest.raises(WrongState):
        choose(store, clock, case_id, "gateway:w:mode-2")
