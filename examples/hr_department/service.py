"""Human resources' subscriber to the registry: files each newly registered veteran exactly once."""
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
                "INSERT INTO hr_veterans (veteran_id, name, service_station, discharge_category, "
                "registry_position) VALUES (%s, %s, %s, %s, %s)",
                (data["veteran_id"], data["name"], data["service_station"],
                 data["discharge_category"], event.position),
            )
