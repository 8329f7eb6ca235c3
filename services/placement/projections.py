"""Placement's read models: the case list (status, clocks, outcomes) and the post quotas with their holders."""
from __future__ import annotations

from collections.abc import Mapping

from chassis.envelope import RecordedEvent
from contracts import placement as contract
from services.placement.domain import events as ev
from services.placement.domain.case import next_status
from services.placement.domain.clocks import clock_changes
from services.placement.domain.vocabulary import PLACEMENT_CLOCK

POST_EVENT_TYPES = frozenset(cls.event_type for cls in ev.POST_EVENTS)


def _domain(event: RecordedEvent) -> ev.Event:
    return ev.EVENT_TYPES[event.event_type](**contract.load_data(event))


# The business day each status-changing event carries (the day of the step: chosen, paid,
# issued, placed, on post, signed); a queue's days waiting count from it.
_STEP_DAYS = ("on", "paid_on", "issued_on", "placed_on", "on_post_on", "signed_on")


def _day_of(domain: ev.Event):
    return next((getattr(domain, name) for name in _STEP_DAYS if hasattr(domain, name)), None)


class CaseList:
    """One row per case. Its status follows the same function the case itself does
    (domain.case.next_status), so the list never disagrees with the case. `state_since` is the
    day of the step that put the case in its status."""

    name = "placement_cases"
    tables = ("placement_cases",)

    def __init__(self, table: str = "placement_cases"):
        self.table = table

    def into(self, tables: Mapping[str, str]) -> CaseList:
        return CaseList(tables[self.table])

    def apply(self, cur, event: RecordedEvent) -> None:
        if event.event_type in POST_EVENT_TYPES:
            return
        domain = _domain(event)
        if isinstance(domain, ev.ReportedIn | ev.SpouseReceived):
            self._open(cur, domain, event.position)
            return
        cur.execute(f"SELECT kind, reported_on FROM {self.table} WHERE case_id = %s",
                    (event.stream_id,))
        row = cur.fetchone()
        if row is None:
            return
        kind, reported_on = row
        sets, args = ["last_position = %s"], [event.position]
        status = next_status(kind, domain)
        if status is not None:
            sets += ["status = %s", "state_since = %s"]
            args += [status, _day_of(domain)]
        due = clock_changes(reported_on, [domain]).set.get(PLACEMENT_CLOCK)
        if due is not None:
            sets.append("placement_due_on = %s")
            args.append(due)
        match domain:
            case ev.ModeChosen():
                sets.append("mode = %s")
                args.append(domain.mode)
            case ev.PostOffered():
                sets.append("planned_kind = %s")
                args.append(domain.post_kind)
            case ev.TransferAssigned():
                sets.append("planned_kind = %s")
                args.append(domain.planned_kind)
            case ev.Placed():
                sets += ["placed_on = %s", "placed_kind = %s"]
                args += [domain.placed_on, domain.post_kind]
            case ev.ReferralLetterIssued():
                sets.append("on_post_due_on = %s")
                args.append(domain.on_post_due_on)
        cur.execute(f"UPDATE {self.table} SET {', '.join(sets)} WHERE case_id = %s",
                    [*args, event.stream_id])

    def _open(self, cur, domain, position: int) -> None:
        if isinstance(domain, ev.ReportedIn):
            row = (domain.case_id, domain.veteran_id, domain.case_kind, "reported",
                   domain.service_station, domain.reported_on, None, domain.reported_on)
        else:
            due = clock_changes(domain.received_on, [domain]).set.get(PLACEMENT_CLOCK)
            row = (domain.case_id, domain.veteran_id, "spouse", "awaiting_assignment",
                   domain.service_station, domain.received_on, due, domain.received_on)
        cur.execute(
            f"INSERT INTO {self.table} (case_id, veteran_id, kind, status, service_station, "
            "reported_on, placement_due_on, state_since, last_position) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", (*row, position))


class PostQuotas:
    """Each post quota, and which cases hold its positions."""

    name = "post_quotas"
    tables = ("post_quotas", "post_holders")

    def __init__(self, quotas: str = "post_quotas", holders: str = "post_holders"):
        self.quotas, self.holders = quotas, holders

    def into(self, tables: Mapping[str, str]) -> PostQuotas:
        return PostQuotas(tables[self.quotas], tables[self.holders])

    def apply(self, cur, event: RecordedEvent) -> None:
        data = event.data
        if event.event_type == "PostQuotaRegistered":
            cur.execute(
                f"INSERT INTO {self.quotas} (post_id, unit, post_kind, title, year, positions, "
                "version) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (data["post_id"], data["unit"], data["post_kind"], data["title"], data["year"],
                 data["positions"], event.stream_version))
            return
        if event.event_type == "PostHeld":
            cur.execute(f"INSERT INTO {self.holders} (post_id, case_id, state) VALUES "
                        "(%s, %s, 'offered') ON CONFLICT (post_id, case_id) DO UPDATE SET "
                        "state = 'offered'", (data["post_id"], data["case_id"]))
        elif event.event_type == "PostFilled":
            cur.execute(f"UPDATE {self.holders} SET state = 'filled' WHERE post_id = %s AND "
                        "case_id = %s", (data["post_id"], data["case_id"]))
        elif event.event_type == "PostReleased":
            cur.execute(f"DELETE FROM {self.holders} WHERE post_id = %s AND case_id = %s",
                        (data["post_id"], data["case_id"]))
        else:
            return
        cur.execute(f"UPDATE {self.quotas} SET version = %s WHERE post_id = %s",
                    (event.stream_version, data["post_id"]))


PROJECTIONS = {CaseList.name: CaseList(), PostQuotas.name: PostQuotas()}
