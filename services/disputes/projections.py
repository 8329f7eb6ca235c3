"""The disputes service's read models: the petition list, every case's home, and the facts figures count."""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from chassis.envelope import RecordedEvent

# A petition event's new state in the list; ReviewWindowClosed and ReviewAnswered are decided
# with the row's stage below.
_STATES = {
    "PetitionAccepted": "accepted", "PetitionRefused": "refused",
    "PetitionTransferred": "transferred", "PetitionRoutedOut": "routed_out",
    "OpinionIssued": "answered",
}
_INTAKE_FACTS = {"PetitionAccepted": "accepted", "PetitionRefused": "refused",
                 "PetitionTransferred": "transferred", "PetitionRoutedOut": "routed_out"}
_OVERDUE = ("PetitionIntakeOverdue", "PetitionOpinionOverdue", "PetitionReviewOverdue",
            "LegalAidDecisionOverdue", "LawyerAssignmentOverdue")
_CASE_IDS = ("petition_id", "dispute_id", "proxy_case_id")


def _case_id(data: dict) -> str:
    for name in _CASE_IDS:
        if data.get(name):
            return data[name]
    raise ValueError("an event without a case id")


class DisputesReadModel:
    """The petition list (`petition_list`), every case's station (`case_index`) and the
    countable facts by day (`disputes_facts`)."""

    name = "disputes_read_model"
    tables = ("petition_list", "case_index", "disputes_facts")

    def __init__(self, petitions: str = "petition_list", cases: str = "case_index",
                 facts: str = "disputes_facts"):
        self.petitions, self.cases, self.facts = petitions, cases, facts

    def into(self, tables: Mapping[str, str]) -> DisputesReadModel:
        return DisputesReadModel(tables["petition_list"], tables["case_index"],
                                 tables["disputes_facts"])

    # -- writing ---------------------------------------------------------------------------------

    def _fact(self, cur, event: RecordedEvent, fact: str, day: str | date, station: str | None,
              detail: dict | None = None) -> None:
        case_id = _case_id(event.data) if event.event_type != "HardshipReferred" \
            else event.data["source_id"]
        if station is None:
            cur.execute(f"SELECT service_station FROM {self.cases} WHERE case_id = %s",
                        (case_id,))
            row = cur.fetchone()
            if row is None:
                return  # a case this model never saw open: nothing to count it under
            station = row[0]
        cur.execute(
            f"INSERT INTO {self.facts} (position, fact, day, service_station, case_id, detail) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (event.position, fact, day, station, case_id,
             json.dumps(detail) if detail is not None else None))

    def _case(self, cur, case_id: str, kind: str, station: str, veteran_id: str | None) -> None:
        cur.execute(f"INSERT INTO {self.cases} (case_id, kind, service_station, veteran_id) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (case_id, kind, station, veteran_id))

    def _petition(self, cur, petition_id: str, **changes) -> None:
        assignments = ", ".join(f"{column} = {value}" for column, value in changes.items())
        cur.execute(f"UPDATE {self.petitions} SET {assignments} WHERE petition_id = %s",
                    (petition_id,))

    def apply(self, cur, event: RecordedEvent) -> None:
        d, kind = event.data, event.event_type
        if kind == "PetitionLodged":
            self._case(cur, d["petition_id"], "petition", d["service_station"], d["veteran_id"])
            cur.execute(
                f"INSERT INTO {self.petitions} (petition_id, veteran_id, service_station, "
                "category, channel, matter_key, state, first_time, closed_matter, received_on, "
                "intake_due_on, lodged_at) VALUES (%s, %s, %s, %s, %s, %s, 'registered', %s, %s, "
                "%s, %s, %s) ON CONFLICT DO NOTHING",
                (d["petition_id"], d["veteran_id"], d["service_station"], d["category"],
                 d["channel"], d["matter_key"], d["first_time"], d["closed_matter"],
                 d["received_on"], d["intake_due_on"], event.position))
            self._fact(cur, event, "petition_lodged", d["received_on"], d["service_station"])
            if d["first_time"]:
                self._fact(cur, event, "first_time", d["received_on"], d["service_station"])
        elif kind == "RepeatPetitionLinked":
            self._petition(cur, d["petition_id"], repeats="repeats + 1")
            self._fact(cur, event, "repeat_linked", d["received_on"], None)
        elif kind in _INTAKE_FACTS:
            if kind == "PetitionAccepted":
                cur.execute(f"UPDATE {self.petitions} SET state = 'accepted', "
                            "opinion_due_on = %s WHERE petition_id = %s",
                            (d["opinion_due_on"], d["petition_id"]))
            else:
                self._petition(cur, d["petition_id"], state=f"'{_STATES[kind]}'")
            self._fact(cur, event, _INTAKE_FACTS[kind], d["decided_on"], None)
            if d["intake_late"]:
                self._fact(cur, event, "intake_late", d["decided_on"], None)
        elif kind == "HandlerAssigned":
            cur.execute(f"UPDATE {self.petitions} SET handler = %s WHERE petition_id = %s",
                        (d["handler"], d["petition_id"]))
        elif kind == "OpinionExtensionApproved":
            cur.execute(f"UPDATE {self.petitions} SET opinion_due_on = %s WHERE petition_id = %s",
                        (d["opinion_due_on"], d["petition_id"]))
            self._fact(cur, event, "extended", d["approved_on"], None)
        elif kind == "OpinionIssued":
            self._petition(cur, d["petition_id"], state="'answered'")
            self._fact(cur, event, "opinion", d["issued_on"], None)
            if d["late"]:
                self._fact(cur, event, "opinion_late", d["issued_on"], None)
        elif kind == "ReviewRequested":
            state = "under_review" if d["stage"] == "review" else "under_re_review"
            self._petition(cur, d["petition_id"], state=f"'{state}'")
            self._fact(cur, event, f"{d['stage']}_requested", d["requested_on"], None)
        elif kind == "ReviewAnswered":
            state = "reviewed" if d["stage"] == "review" else "final"
            self._petition(cur, d["petition_id"], state=f"'{state}'")
        elif kind == "ReviewWindowClosed":
            open_state = "answered" if d["stage"] == "review" else "reviewed"
            cur.execute(f"UPDATE {self.petitions} SET state = 'final' WHERE petition_id = %s "
                        "AND state = %s", (d["petition_id"], open_state))
        elif kind == "PetitionEscalated":
            self._petition(cur, d["petition_id"], escalations="escalations + 1")
            self._fact(cur, event, "escalation", d["escalated_on"], None,
                       {"level": d["level"], "reason": d["reason_code"]})
        elif kind in _OVERDUE:
            self._fact(cur, event, "overdue", d["due_on"], None, {"event_type": kind})
        elif kind == "DisputeOpened":
            self._case(cur, d["dispute_id"], "dispute", d["service_station"], d["veteran_id"])
            self._fact(cur, event, "dispute_opened", d["opened_on"], d["service_station"])
        elif kind == "MediationSessionHeld":
            self._fact(cur, event, "mediation_session", d["held_on"], None)
            if d["agreement_reached"]:
                self._fact(cur, event, "agreement", d["held_on"], None)
        elif kind == "LegalAidReferred":
            self._fact(cur, event, "legal_aid_referred", d["referred_on"], None)
        elif kind == "LegalAidDecided" and d["granted"]:
            self._fact(cur, event, "legal_aid_granted", d["decided_on"], None)
        elif kind == "DisputeResolved":
            self._fact(cur, event, f"dispute_{d['outcome']}", d["resolved_on"], None)
        elif kind == "ProxyCaseOpened":
            self._case(cur, d["proxy_case_id"], "proxy_case", d["service_station"],
                       d["veteran_id"])
            self._fact(cur, event, "proxy_opened", d["opened_on"], d["service_station"])
        elif kind == "ProxyCaseClosed":
            self._fact(cur, event, f"proxy_{d['outcome']}", d["closed_on"], None)
        elif kind == "HardshipReferred":
            self._fact(cur, event, "hardship_referred", d["referred_on"], d["service_station"])


class ProxyCaseList:
    """One row per proxy case: for whom, where, what kind, by what kind of agent, its state,
    its dates and how many steps; never what or by whom (the case's read has those). A read
    model of its own, so it fills itself from the first event wherever it is added."""

    name = "proxy_case_list"
    tables = ("proxy_case_list",)

    def __init__(self, table: str = "proxy_case_list"):
        self.table = table

    def into(self, tables: Mapping[str, str]) -> ProxyCaseList:
        return ProxyCaseList(tables["proxy_case_list"])

    def apply(self, cur, event: RecordedEvent) -> None:
        d, kind = event.data, event.event_type
        if kind == "ProxyCaseOpened":
            cur.execute(
                f"INSERT INTO {self.table} (proxy_case_id, veteran_id, service_station, "
                "matter_kind, agent_kind, state, opened_on, opened_at) "
                "VALUES (%s, %s, %s, %s, %s, 'open', %s, %s) ON CONFLICT DO NOTHING",
                (d["proxy_case_id"], d["veteran_id"], d["service_station"], d["matter_kind"],
                 d["agent_kind"], d["opened_on"], event.position))
        elif kind == "ProxyStepRecorded":
            cur.execute(f"UPDATE {self.table} SET steps = greatest(steps, %s) "
                        "WHERE proxy_case_id = %s", (d["step"], d["proxy_case_id"]))
        elif kind == "ProxyCaseClosed":
            cur.execute(f"UPDATE {self.table} SET state = %s, closed_on = %s "
                        "WHERE proxy_case_id = %s",
                        (d["outcome"], d["closed_on"], d["proxy_case_id"]))


PROJECTIONS = {DisputesReadModel.name: DisputesReadModel(), ProxyCaseList.name: ProxyCaseList()}


# -- queries ----------------------------------------------------------------------------------------

# A petition is overdue while one of its clocks ran out unmet: fired, or due and not yet fired
# (the runner has not got to it).
_OVERDUE_CLOCKS = (
    "SELECT d.stream_id, array_agg(DISTINCT d.name ORDER BY d.name) FROM deadlines d "
    "WHERE d.stream_id = ANY(%s) AND (d.state = 'fired' OR (d.state = 'pending' AND "
    "d.due_at <= %s)) GROUP BY d.stream_id")
_IS_OVERDUE = ("EXISTS (SELECT 1 FROM deadlines d WHERE d.stream_id = p.petition_id AND "
               "(d.state = 'fired' OR (d.state = 'pending' AND d.due_at <= %s)))")


def matter_history(cur, matter_key: str) -> list[tuple[str, str]]:
    """The petitions on a matter, oldest first: (petition id, state)."""
    cur.execute("SELECT petition_id, state FROM petition_list WHERE matter_key = %s "
                "ORDER BY lodged_at", (matter_key,))
    return cur.fetchall()


def _reach(within_stations, own_veteran_id) -> tuple[list[str], list]:
    """The caller's reach as a condition: their stations, their own cases, or both."""
    if within_stations is None and own_veteran_id is None:
        return [], []
    reach, args = [], []
    if within_stations is not None:
        reach.append("p.service_station = ANY(%s)")
        args.append(list(within_stations))
    if own_veteran_id is not None:
        reach.append("p.veteran_id = %s")
        args.append(own_veteran_id)
    return ["(" + " OR ".join(reach) + ")"], args


def list_petitions(cur, now, overdue=None, handler=None, station=None, state=None,
                   veteran_id=None, page=1, page_size=20, within_stations=None,
                   own_veteran_id=None) -> dict:
    where, args = _reach(within_stations, own_veteran_id)
    for column, value in (("p.handler", handler), ("p.service_station", station),
                          ("p.state", state), ("p.veteran_id", veteran_id)):
        if value is not None:
            where.append(f"{column} = %s")
            args.append(value)
    if overdue is not None:
        where.append(_IS_OVERDUE if overdue else f"NOT {_IS_OVERDUE}")
        args.append(now)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    cur.execute(f"SELECT count(*) FROM petition_list p {clause}", args)
    total = cur.fetchone()[0]
    cur.execute(
        "SELECT petition_id, veteran_id, service_station, category, channel, state, first_time, "
        "closed_matter, handler, received_on, intake_due_on, opinion_due_on, escalations, "
        f"repeats FROM petition_list p {clause} ORDER BY lodged_at LIMIT %s OFFSET %s",
        [*args, page_size, (page - 1) * page_size])
    columns = [c[0] for c in cur.description]
    items = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    clocks = overdue_clocks(cur, [item["petition_id"] for item in items], now)
    for item in items:
        item["overdue"] = clocks.get(item["petition_id"], [])
    return {"items": items, "page": page, "page_size": page_size, "total": total}


# A kind's list and its order, for one veteran's cases on a day (handlers._cases_on).
_LISTS = {"petition": ("petition_list", "petition_id", "lodged_at"),
          "proxy_case": ("proxy_case_list", "proxy_case_id", "opened_at")}


def veteran_cases(cur, kind: str, veteran_id: str) -> list[str]:
    """The ids of one veteran's cases of a kind, in the order its list shows them."""
    table, key, order = _LISTS[kind]
    cur.execute(f"SELECT {key} FROM {table} WHERE veteran_id = %s ORDER BY {order}",
                (veteran_id,))
    return [row[0] for row in cur.fetchall()]


def list_proxy_cases(cur, veteran_id=None, station=None, state=None, queue=None, page=1,
                     page_size=20, within_stations=None, own_veteran_id=None) -> dict:
    where, args = _reach(within_stations, own_veteran_id)
    if queue is not None:
        # The workbench's queues: open cases wait on whoever works them; closed ones are done.
        where.append("p.state = 'open'" if queue == "mine" else "p.state <> 'open'")
    for column, value in (("p.veteran_id", veteran_id), ("p.service_station", station),
                          ("p.state", state)):
        if value is not None:
            where.append(f"{column} = %s")
            args.append(value)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    cur.execute(f"SELECT count(*) FROM proxy_case_list p {clause}", args)
    total = cur.fetchone()[0]
    cur.execute(
        "SELECT proxy_case_id, veteran_id, service_station, matter_kind, agent_kind, state, "
        f"opened_on, closed_on, steps FROM proxy_case_list p {clause} "
        "ORDER BY opened_at LIMIT %s OFFSET %s", [*args, page_size, (page - 1) * page_size])
    columns = [c[0] for c in cur.description]
    items = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    return {"items": items, "page": page, "page_size": page_size, "total": total}


def overdue_clocks(cur, case_ids: list[str], now) -> dict[str, list[str]]:
    if not case_ids:
        return {}
    cur.execute(_OVERDUE_CLOCKS, (case_ids, now))
    return dict(cur.fetchall())


def figures(cur, first: date, last: date, now, stations=None) -> dict:
    """Counts of the facts between `first` and `last` (inclusive), and each escalation."""
    where, args = "day BETWEEN %s AND %s", [first, last]
    if stations is not None:
        where += " AND service_station = ANY(%s)"
        args.append(list(stations))
    cur.execute(f"SELECT fact, count(*) FROM disputes_facts WHERE {where} GROUP BY fact", args)
    n = dict(cur.fetchall())
    cur.execute(f"SELECT case_id, service_station, detail->>'level', detail->>'reason', day "
                f"FROM disputes_facts WHERE {where} AND fact = 'escalation' "
                "ORDER BY day, position", args)
    items = [{"petition_id": case_id, "service_station": station, "level": level,
              "reason": reason, "escalated_on": day}
             for case_id, station, level, reason, day in cur.fetchall()]
    reach = "" if stations is None else " AND p.service_station = ANY(%s)"
    cur.execute(f"SELECT count(*) FROM petition_list p WHERE {_IS_OVERDUE}{reach}",
                [now] + ([] if stations is None else [list(stations)]))
    overdue_now = cur.fetchone()[0]
    levels = {level: sum(1 for item in items if item["level"] == level)
              for level in ("city", "province", "capital")}
    to_target = levels["province"] + levels["capital"]
    return {
        "petitions": {
            "lodged": n.get("petition_lodged", 0), "first_time": n.get("first_time", 0),
            "repeats_linked": n.get("repeat_linked", 0), "accepted": n.get("accepted", 0),
            "refused": n.get("refused", 0), "transferred": n.get("transferred", 0),
            "routed_out": n.get("routed_out", 0), "intake_late": n.get("intake_late", 0),
            "extended": n.get("extended", 0), "opinions": n.get("opinion", 0),
            "opinions_late": n.get("opinion_late", 0),
            "reviews_requested": n.get("review_requested", 0),
            "re_reviews_requested": n.get("re_review_requested", 0),
            "overdue_events": n.get("overdue", 0), "overdue_now": overdue_now,
        },
        "escalations": {"total": len(items), **levels, "to_province_or_capital": to_target,
                        "target_met": to_target == 0, "items": items},
        "disputes": {
            "opened": n.get("dispute_opened", 0), "resolved": n.get("dispute_resolved", 0),
            "unresolved": n.get("dispute_unresolved", 0),
            "mediation_sessions": n.get("mediation_session", 0),
            "agreements": n.get("agreement", 0),
            "legal_aid_referrals": n.get("legal_aid_referred", 0),
            "legal_aid_granted": n.get("legal_aid_granted", 0),
        },
        "proxy_cases": {"opened": n.get("proxy_opened", 0),
                        "completed": n.get("proxy_completed", 0),
                        "not_completed": n.get("proxy_not_completed", 0)},
        "hardship_referrals": n.get("hardship_referred", 0),
    }
