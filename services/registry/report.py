"""The registry's facts for the bureau's figures: files, party members, 兵支书 and service stations."""
from __future__ import annotations

from datetime import timedelta

from chassis.envelope import RecordedEvent
from chassis.report_facts import Fact, Homes, day, recorded_day

# Counted up to the end of a period, not within it: how many files there are, not how many new.
STOCKS = frozenset({"files", "files_complete", "party_members", "village_party_secretaries",
                    "village_stations_planned", "stations_planned",
                    "stations_built", "stations_exemplary", "stations_fengqiao"})
_STATION_EVENTS = frozenset({"StationRegistered", "StationBuildRecorded", "StationRated"})


def _complete(home: dict) -> bool:
    # A file is complete when it holds the discharge and a grid worker answers for the veteran:
    # what the bureau's filing drive (一人一档, 红色网格员) asked of every file.
    return bool(home.get("discharged") and home.get("grid"))


def _effective(event: RecordedEvent):
    # A change after the registration states the day it took effect for the person (the
    # registry's upcaster fills it in for events stored before it: the day recorded); a
    # registration states one only for a file first registered before it was recorded here.
    on = event.data.get("effective_on")
    return day(on) if on else recorded_day(event)


def facts(event: RecordedEvent, homes: Homes) -> list[Fact]:
    if event.event_type in _STATION_EVENTS:
        return _station_facts(event, homes)
    data = event.data
    veteran = data.get("veteran_id")
    key = f"veteran:{veteran}"
    if event.event_type == "VeteranRegistered":
        home = {"station": data["service_station"], "township": data["township"],
                "category": data["discharge_category"],
                "discharged": data.get("discharged_on") is not None, "grid": False}
        homes.put(key, home)
        # A file counts from the day it was first registered: a paper file imported later states
        # that day (建档日期); any other registration, the day it was recorded.
        return [_fact("files", _effective(event), veteran, home)]
    home = homes.get(key)
    if home is None:
        return []
    out: list[Fact] = []
    was_complete = _complete(home)
    if event.event_type == "DischargeRecorded":
        home = {**home, "discharged": True, "category": data["discharge_category"]}
    elif event.event_type == "GridWorkerAssigned":
        home = {**home, "grid": True}
    elif event.event_type == "VillageSecretaryRecorded":
        # Serving from `since`, and no more from the day after `until`. Recorded again (a
        # correction, a term ended), the post as recorded before is taken back first.
        earlier = home.get("village_secretary")
        if earlier is not None:
            out += _term(veteran, home, earlier, -1)
        post = {"since": data["since"], "until": data.get("until")}
        out += _term(veteran, home, post, 1)
        home = {**home, "village_secretary": post}
    elif event.event_type == "PartyMembershipRecorded":
        joined = data["joined_on"]
        earlier = home.get("joined_on")
        if earlier != joined:
            if earlier is not None:
                # A membership recorded again with another day is a correction of the day:
                # taken back where it was counted, counted where it belongs.
                out.append(_fact("party_members", day(earlier), veteran, home, -1))
            out.append(_fact("party_members", day(joined), veteran, home))
            home = {**home, "joined_on": joined}
    else:
        return []
    if not was_complete and _complete(home):
        out.append(_fact("files_complete", _effective(event), veteran, home))
    homes.put(key, home)
    return out


def _term(veteran: str, home: dict, post: dict, sign: int) -> list[Fact]:
    out = [_fact("village_party_secretaries", day(post["since"]), veteran, home, sign)]
    if post.get("until"):
        out.append(_fact("village_party_secretaries", day(post["until"]) + timedelta(days=1),
                         veteran, home, -sign))
    return out


def _fact(metric: str, on, veteran: str, home: dict, delta: int = 1) -> Fact:
    return Fact(metric, on, delta, subject=veteran, station=home["station"],
                township=home["township"], category=home["category"])


def _station_facts(event: RecordedEvent, homes: Homes) -> list[Fact]:
    """Stations planned (every station in the plan, from the day it was planned), built (from the
    day it was built) and rated (exemplary 示范型, Fengqiao-style 枫桥式, from the day rated)."""
    data = event.data
    key = f"station:{data['station_id']}"
    if event.event_type == "StationRegistered":
        home = {"name": data["station_name"], "township": data.get("township"), "level": data["level"],
                "built": data["status"] == "built"}
        homes.put(key, home)
        out = [_station(home, "stations_planned", data["planned_on"], data["station_id"])]
        if data["level"] == "village":
            # Every village and community has its station in the plan: their number is the
            # number of village party secretaries the 兵支书 share is of.
            out.append(_station(home, "village_stations_planned", data["planned_on"],
                                data["station_id"]))
        if home["built"]:
            out.append(_station(home, "stations_built", data["built_on"], data["station_id"]))
        return out
    home = homes.get(key)
    if home is None:
        return []
    if event.event_type == "StationBuildRecorded":
        if data["status"] != "built" or home["built"]:
            return []
        homes.put(key, {**home, "built": True})
        return [_station(home, "stations_built", data["on"], data["station_id"])]
    return [_station(home, f"stations_{data['rating']}", data["rated_on"], data["station_id"])]


def _station(home: dict, metric: str, on, station_id: str) -> Fact:
    return Fact(metric, day(on), 1, subject=station_id, station=home["name"],
                township=home["township"], category=home["level"])
