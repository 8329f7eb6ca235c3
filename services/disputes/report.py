"""Disputes' facts for the bureau's figures: proxy cases completed, disputes resolved, escalations."""
from __future__ import annotations

from chassis.envelope import RecordedEvent
from chassis.report_facts import Fact, Homes, day

STOCKS: frozenset[str] = frozenset()
# Where each kind of case states its station when it opens, and the key it is remembered by.
_OPENINGS = {"PetitionLodged": "petition_id", "DisputeOpened": "dispute_id",
             "ProxyCaseOpened": "proxy_case_id"}


def facts(event: RecordedEvent, homes: Homes) -> list[Fact]:
    data, kind = event.data, event.event_type
    if kind in _OPENINGS:
        homes.put(f"case:{data[_OPENINGS[kind]]}",
                  {"station": data.get("service_station"), "veteran": data.get("veteran_id")})
        return []
    if kind == "ProxyCaseClosed" and data["outcome"] == "completed":
        return [_fact("proxy_cases_completed", data["closed_on"], homes,
                      data["proxy_case_id"])]
    if kind == "DisputeResolved" and data["outcome"] == "resolved":
        return [_fact("disputes_resolved", data["resolved_on"], homes, data["dispute_id"])]
    if kind == "PetitionEscalated":
        return [_fact("escalations", data["escalated_on"], homes, data["petition_id"],
                      kind=data["level"])]
    return []


def _fact(metric: str, on, homes: Homes, case_id: str, kind: str | None = None) -> Fact:
    home = homes.get(f"case:{case_id}") or {}
    return Fact(metric, day(on), 1, subject=case_id, station=home.get("station"), kind=kind)
