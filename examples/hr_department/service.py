"""Human resources' subscriber to the registry: files each newly registered veteran exactly once.

What comes over the bus identifies no one: a pseudonymous `veteran_id` and non-identifying facts
(station, category, years, states; contracts/registry.py's public schemas, listed in
contracts/asyncapi.json). HR keeps only those. A department that needs identity fields (a name,
the ID number, a phone) reads them through the gateway with its own bearer token:
`GET /api/v1/veterans/{veteran_id}` with `Authorization: Bearer <token>` for a `department`
role token. The reply holds only the fields that department is entitled to, lists the rest in
`withheld`, and the read is audited. Fetch them when a person's work needs them, not to mirror
the registry: a copy of identity here would be a second register to protect and keep current.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from chassis.consumer import subscribe
from chassis.envelope import RecordedEvent
from chassis.nameko_deps import Inbox, WorkerLog

# For tests of the faults checks only: an inbox that records every event but turns none away,
# as a broken one would, so a repeat is handled twice (tests/integration/test_faults_invariants.py).
BROKEN_INBOX = "HR_DEPARTMENT_BROKEN_INBOX"


class HrDepartment:
    """What a department copies to follow vetlife: an Inbox and one `@subscribe` per event type.

    Beyond that, HR writes down how each event reached it (`self.inbox.arrived_by`: the bus,
    catch-up from the registry's log, or a person's requeue) in two append-only tables, for
    `make faults` to judge: every handling in hr_handlings, every delivery the inbox turned away
    in hr_repeats. A department needs neither to work.
    """

    name = "hr_department"

    inbox = Inbox()
    log = WorkerLog()

    @subscribe("registry", "VeteranRegistered")
    def on_veteran_registered(self, event: RecordedEvent) -> None:
        arrived_by = self.inbox.arrived_by
        with self._once(event) as cur:
            if cur is not None:
                data = event.data
                # The inbox makes this run once per event; no error on a repeat all the same,
                # so a repeat that got through shows as a second handling below, not as a
                # rolled-back transaction nobody sees.
                cur.execute(
                    "INSERT INTO hr_veterans (veteran_id, service_station, discharge_category, "
                    "registry_position) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (data["veteran_id"], data["service_station"], data["discharge_category"],
                     event.position),
                )
                cur.execute("INSERT INTO hr_handlings (event_id, veteran_id, arrived_by) "
                            "VALUES (%s, %s, %s)", (event.event_id, data["veteran_id"], arrived_by))
                return
        # Handled before (a redelivery, a catch-up repeat): nothing changes but the record
        # that this copy came, and by which path.
        with self.inbox.db.statement() as cur:
            cur.execute("INSERT INTO hr_repeats (event_id, arrived_by) VALUES (%s, %s)",
                        (event.event_id, arrived_by))

    @contextmanager
    def _once(self, event: RecordedEvent) -> Iterator[object | None]:
        if os.environ.get(BROKEN_INBOX) != "1":
            with self.inbox.once(event) as cur:
                yield cur
            return
        with self.inbox.db.transaction() as cur:
            cur.execute("INSERT INTO inbox (consumer, event_id, source, position) "
                        "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        (self.inbox.consumer, event.event_id, event.stream_id, event.position))
            yield cur
