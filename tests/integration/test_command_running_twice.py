"""One command running twice at once (a retry while the first copy waits in the queue) answers as a replay."""
import pytest

from chassis.commands import change_stream
from chassis.db import Database
from chassis.envelope import Metadata, NewEvent
from chassis.errors import StreamVersionConflict
from chassis.migrate import CHASSIS_MIGRATIONS
from chassis.store import PostgresEventStore
from tests.conftest import fresh_database, truncate


class AlreadyApproved(Exception):
    """What a service's domain raises for a step asked of a case that already took it."""


@pytest.fixture(scope="module")
def database_url():
    return fresh_database("vetlife_command_twice_test", [CHASSIS_MIGRATIONS])


@pytest.fixture
def store(database_url):
    db = Database(database_url, max_connections=4)
    truncate(db)
    yield PostgresEventStore(db, "command_twice_events")
    db.close()


def _approve(store, command_id, load, expected_version=None):
    def decide(state):
        if "Approved" in state:
            raise AlreadyApproved("this application is approved: approval needs it reviewed")
        return [NewEvent("Approved", {"approved_fen": 600_000})]

    return change_stream(store, "case-1", load=load, decide=decide,
                         to_new_events=lambda events: events, meta=Metadata(),
                         command_id=command_id, request="approve 600000",
                         expected_version=expected_version)


class Case(list):
    """A stream's event types, and its version as change_stream checks it."""

    @property
    def version(self) -> int:
        return len(self)


def _types(store, stream_id):
    return Case(e.event_type for e in store.read_stream(stream_id))


def test_the_second_copy_of_an_approval_gets_the_first_ones_result_not_a_refusal(store):
    store.append("case-1", [NewEvent("Reviewed", {})], 0, Metadata())
    plain = lambda s, sid: _types(s, sid)  # noqa: E731
    first = []

    def load_after_the_other_copy(s, sid):
        # The exact interleaving the benefits drill met: this copy found no record of the
        # command, then the other copy approved and recorded it, then this copy loads.
        if not first:
            first.append(_approve(s, "gateway:approver:key-1", plain))
        return plain(s, sid)

    second = _approve(store, "gateway:approver:key-1", load_after_the_other_copy)

    assert (first[0].replayed, second.replayed) == (False, True)
    assert second.version == first[0].version == 2
    assert _types(store, "case-1") == ["Reviewed", "Approved"]


def test_with_if_match_the_second_copy_is_a_replay_not_a_version_conflict(store):
    store.append("case-1", [NewEvent("Reviewed", {})], 0, Metadata())
    plain = lambda s, sid: _types(s, sid)  # noqa: E731
    first = []

    def load_after_the_other_copy(s, sid):
        if not first:
            first.append(_approve(s, "gateway:approver:key-1", plain, expected_version=1))
        return plain(s, sid)

    second = _approve(store, "gateway:approver:key-1", load_after_the_other_copy,
                      expected_version=1)
    assert (second.replayed, second.version) == (True, 2)
    with pytest.raises(StreamVersionConflict):  # another command with a stale If-Match
        _approve(store, "gateway:approver:key-2", plain, expected_version=1)


def test_a_different_command_on_the_changed_state_is_still_refused(store):
    store.append("case-1", [NewEvent("Reviewed", {})], 0, Metadata())
    plain = lambda s, sid: _types(s, sid)  # noqa: E731
    _approve(store, "gateway:approver:key-1", plain)
    with pytest.raises(AlreadyApproved):
        _approve(store, "gateway:approver:key-2", plain)
    assert _types(store, "case-1") == ["Reviewed", "Approved"]
