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

from chassis.consumer import subscribe
from chassis.envelope import RecordedEvent
from chassis.nameko_deps import Inbox, WorkerLog


class HrDepartment:
    """What a department copies to follow vetlife: an Inbox and one `@subscribe` per event type."""

    name = "hr_department"

    inbox = Inbox()
    log = WorkerLog()

    @subscribe("registry", "VeteranRegistered")
    def on_veteran_registered(self, event: RecordedEvent) -> None:
        with self.inbox.once(event) as cur:
            if cur is None:
                return  # handled before: a redelivery or a catch-up repeat changes nothing
            data = event.data
            cur.execute(
                "INSERT INTO hr_veterans (veteran_id, service_station, discharge_category, "
                "registry_position) VALUES (%s, %s, %s, %s)",
                (data["veteran_id"], data["service_station"], data["discharge_category"],
                 event.position),
            )
