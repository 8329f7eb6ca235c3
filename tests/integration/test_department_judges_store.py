"""The department drills read a real store: suffixed matter types, doubled approvals and overdues found."""
import json
import uuid

import psycopg2
import pytest

from chassis.migrate import CHASSIS_MIGRATIONS
from faults.department_judges import doubled, fired_once, matters_requested_once, read_events
from faults.departments import _move_due
from tests.conftest import fresh_database


@pytest.fixture(scope="module")
def store_url():
    return fresh_database("vetlife_faults_judges_test", [CHASSIS_MIGRATIONS])


def write(url, rows):
    """Rows as a service would have appended them: (stream, type, data), positions in order."""
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("TRUNCATE stored_events, deadlines")
        for position, (stream, event_type, data) in enumerate(rows, start=1):
            version = sum(1 for r in rows[:position] if r[0] == stream)
            cur.execute("INSERT INTO stored_events (position, event_id, stream_id, stream_version,"
                        " event_type, schema_version, data, occurred_at, recorded_at,"
                        " correlation_id, actor) VALUES (%s, %s, %s, %s, %s, 1, %s, now(), now(),"
                        " 'faults-test', 'faults')",
                        (position, str(uuid.uuid4()), stream, version, event_type,
                         json.dumps(data)))
    conn.close()


def test_a_doubled_approval_and_request_are_found_in_the_store(store_url):
    write(store_url, [("case-1", "ReliefApproved", {}), ("case-1", "ReliefApproved", {}),
                      ("b1", "MatterRequested.public_security", {"matter": "id_card",
                                                                  "attempt": 1}),
                      ("b1", "MatterRequested.public_security", {"matter": "id_card",
                                                                  "attempt": 1}),
                      ("b1", "MatterDone", {"matter": "id_card", "attempt": 1})])
    approvals = read_events(store_url, ("ReliefApproved",))
    assert doubled(approvals, {"case-1"}, ("ReliefApproved",)) == {("case-1", "ReliefApproved"): 2}
    # The routing suffix does not hide a request from the count.
    requested = read_events(store_url, ("MatterRequested",))
    assert [e.event_type for e in requested] == ["MatterRequested.public_security"] * 2
    assert matters_requested_once(requested, [], {"b1"}) == [
        "bundle b1 matter id_card attempt 1 requested 2 times"]


def test_a_doubled_overdue_is_found_and_moving_a_clock_touches_only_pending_rows(store_url):
    write(store_url, [("p1", "PetitionIntakeOverdue", {}), ("p1", "PetitionIntakeOverdue", {})])
    assert fired_once(read_events(store_url, ("PetitionIntakeOverdue",)), {"p1"},
                      "PetitionIntakeOverdue") == {"p1": 2}
    conn = psycopg2.connect(store_url)
    with conn, conn.cursor() as cur:
        for n, (stream, state) in enumerate([("p2", "pending"), ("p2", "met"), ("p3", "pending")]):
            cur.execute("INSERT INTO deadlines (deadline_id, stream_id, name, generation, due_at,"
                        " state, fire_type, fire_payload, correlation_id) VALUES (%s, %s,"
                        " 'intake', %s, now() + interval '5 days', %s, 'PetitionIntakeOverdue',"
                        " '{}', 'c')", (str(uuid.uuid4()), stream, n + 1, state))
    assert _move_due(store_url, ["p2"], 3.0, "intake") == 1
    with conn.cursor() as cur:
        cur.execute("SELECT stream_id, state, due_at < now() + interval '1 minute' FROM deadlines"
                    " ORDER BY stream_id, generation")
        assert cur.fetchall() == [("p2", "pending", True), ("p2", "met", False),
                                  ("p3", "pending", False)]
    conn.close()
