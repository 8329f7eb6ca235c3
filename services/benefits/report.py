"""Benefits' facts for the bureau's figures: visits and fen, martyr families visited, relief, social care."""
from __future__ import annotations

from chassis.envelope import RecordedEvent
from chassis.report_facts import Fact, Homes, day

STOCKS: frozenset[str] = frozenset()


def facts(event: RecordedEvent, homes: Homes) -> list[Fact]:
    data, kind = event.data, event.event_type
    if kind == "EntitlementApplied" and data.get("tie") == "martyr":
        # Benefits knows a veteran's family is a martyr's family from its own survivor
        # entitlements, and from the registry's survivor ties it keeps (SurvivorTieNoted).
        homes.put(f"martyr:{data['veteran_id']}", {"since": data["applied_on"]})
        return []
    if kind == "SurvivorTieNoted" and data["tie"] == "martyr":
        # As known from now on: a visit recorded before it is not counted again (the registry
        # does not publish the day a tie took effect, so benefits cannot tell whether the
        # family was a martyr's family on an earlier visit's day; docs/figures.md).
        homes.put(f"martyr:{data['veteran_id']}", {"since": data["noted_on"]})
        return []
    if kind == "ReliefApplied":
        homes.put(f"relief:{data['application_id']}",
                  {"station": data["station"], "township": data["township"]})
        return []
    if kind == "ReliefDisbursed":
        home = homes.get(f"relief:{data['application_id']}") or {}
        paid_on = day(data["paid_on"])
        return [_fact("relief_grants", paid_on, 1, data["veteran_id"], home),
                _fact("relief_amount_fen", paid_on, int(data["paid_fen"]), data["veteran_id"],
                      home)]
    if kind == "SocialCareProvided":
        return [Fact("social_care", day(data["provided_on"]), 1, subject=data["veteran_id"],
                     station=data["station"], township=data["township"], kind=data["service"])]
    if kind == "VisitRecorded":
        home = {"station": data["station"], "township": data["township"],
                "visited_on": data["visited_on"], "amount_fen": int(data["amount_fen"]),
                "martyr": homes.get(f"martyr:{data['veteran_id']}") is not None}
        homes.put(f"visit:{data['visit_id']}", home)
        return _visit(home, data["veteran_id"], 1)
    if kind == "VisitWithdrawn":
        home = homes.get(f"visit:{data['visit_id']}")
        if home is None or home.get("withdrawn"):
            return []
        homes.put(f"visit:{data['visit_id']}", {**home, "withdrawn": True})
        # Taken back on the day it was counted for, whenever the withdrawal is recorded.
        return _visit(home, data["veteran_id"], -1)
    return []


def _visit(home: dict, veteran: str, sign: int) -> list[Fact]:
    on = day(home["visited_on"])
    out = [_fact("visits", on, sign, veteran, home),
           _fact("visits_amount_fen", on, sign * home["amount_fen"], veteran, home)]
    if home["martyr"]:
        out.append(_fact("martyr_family_visits", on, sign, veteran, home))
    return out


def _fact(metric: str, on, delta: int, veteran: str, home: dict) -> Fact:
    return Fact(metric, on, delta, subject=veteran, station=home.get("station"),
                township=home.get("township"))
