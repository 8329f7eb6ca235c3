"""Placement's facts for the bureau's figures: officers, NCOs and spouses placed, and on which posts."""
from __future__ import annotations

from chassis.envelope import RecordedEvent
from chassis.report_facts import Fact, Homes, day

STOCKS: frozenset[str] = frozenset()
_NCO = frozenset({"senior_nco", "junior_nco"})


def facts(event: RecordedEvent, homes: Homes) -> list[Fact]:
    data, kind = event.data, event.event_type
    key = f"case:{data.get('case_id')}"
    if kind == "ReportedIn":
        homes.put(key, {"kind": data.get("case_kind", "soldier"), "rank": data.get("rank_class"),
                        "station": data.get("service_station"), "township": data.get("township")})
        return []
    if kind == "FactsAmended":
        home = homes.get(key)
        if home is not None and data.get("rank_class"):
            homes.put(key, {**home, "rank": data["rank_class"]})
        return []
    if kind == "SpouseReceived":
        homes.put(key, {"kind": "spouse", "rank": None, "station": data.get("service_station"),
                        "township": data.get("township")})
        return []
    if kind != "Placed":
        return []
    home = homes.get(key)
    if home is None:
        return []
    who = {"officer": "officer", "spouse": "spouse"}.get(home["kind"])
    if who is None:
        # 转业士官: soldiers of NCO rank given work; a conscript given work is not in the figure.
        who = "nco" if home.get("rank") in _NCO else "conscript"
    on, post = day(data["placed_on"]), data.get("post_kind")
    out = [_fact(f"placed_{who}", on, data, home, post)]
    if (who, post) in (("officer", "administrative"), ("nco", "institution")):
        out.append(_fact(f"placed_{who}_{post}", on, data, home, post))
    return out


def _fact(metric: str, on, data: dict, home: dict, post) -> Fact:
    return Fact(metric, on, 1, subject=data["veteran_id"], station=home.get("station"),
                township=home.get("township"), category=home.get("kind"), kind=post)
