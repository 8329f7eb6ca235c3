"""A service station's life in the registry: registered with its level and place, built, rated."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import ClassVar

from .errors import RegistryError

LEVELS = ("district", "township", "village")
PARENT_LEVEL = {"township": "district", "village": "township"}
RATINGS = ("exemplary", "fengqiao")   # 示范型, 新时代枫桥式
# Where a build may go from where it stands (a planned station may be recorded built at once).
NEXT_STATUS = {"planned": ("building", "built"), "building": ("built",), "built": ()}


class InvalidStationData(RegistryError):
    """Raised when a station command carries what the station cannot take."""

    code = "invalid_input"


class StationNotFound(RegistryError):
    """Raised when no station has the id given (or the station above it does not exist)."""

    code = "not_found"


class StationNameTaken(RegistryError):
    """Raised when another station already has the name."""

    code = "conflict"


@dataclass(frozen=True)
class StationRegistered:
    event_type: ClassVar[str] = "StationRegistered"
    schema_version: ClassVar[int] = 1
    station_id: str
    station_name: str
    level: str
    parent_id: str | None
    township: str | None
    status: str
    planned_on: date
    built_on: date | None


@dataclass(frozen=True)
class StationBuildRecorded:
    event_type: ClassVar[str] = "StationBuildRecorded"
    schema_version: ClassVar[int] = 1
    station_id: str
    status: str
    on: date


@dataclass(frozen=True)
class StationRated:
    event_type: ClassVar[str] = "StationRated"
    schema_version: ClassVar[int] = 1
    station_id: str
    rating: str
    rated_on: date


@dataclass(frozen=True)
class Station:
    """A station as its events left it (version 0: none yet)."""

    station_id: str
    version: int = 0
    name: str = ""
    level: str = ""
    township: str | None = None
    status: str = ""
    planned_on: date | None = None
    built_on: date | None = None
    ratings: tuple[str, ...] = field(default=())

    def apply(self, event) -> Station:
        version = self.version + 1
        if isinstance(event, StationRegistered):
            return replace(self, version=version, name=event.station_name, level=event.level,
                           township=event.township, status=event.status,
                           planned_on=event.planned_on, built_on=event.built_on)
        if isinstance(event, StationBuildRecorded):
            built_on = event.on if event.status == "built" else self.built_on
            return replace(self, version=version, status=event.status, built_on=built_on)
        if isinstance(event, StationRated):
            return replace(self, version=version, ratings=(*self.ratings, event.rating))
        return replace(self, version=version)


def _not_after_today(problems: dict, name: str, value: date | None, today: date) -> None:
    if value is not None and value > today:
        problems.setdefault(name, []).append("must not be after today")


def register(station_id: str, name: str, level: str, parent: Station | None,
             township: str | None, status: str, planned_on: date | None, built_on: date | None,
             today: date) -> list:
    problems: dict[str, list[str]] = {}
    if level not in LEVELS:
        problems["level"] = [f"must be one of {', '.join(LEVELS)}"]
    elif level == "district":
        if parent is not None:
            problems["parent_id"] = ["the district's centre has no station above it"]
    else:
        if not township:
            problems["township"] = ["a township's or village's station names its township"]
        if parent is not None and parent.level != PARENT_LEVEL[level]:
            problems["parent_id"] = [f"a {level} station sits under a {PARENT_LEVEL[level]} one"]
        if level == "village" and parent is not None and parent.township != township:
            problems.setdefault("township", []).append("must be its township station's")
    if status not in NEXT_STATUS:
        problems["status"] = ["must be planned, building or built"]
    if status == "built" and built_on is None:
        problems["built_on"] = ["a built station needs the day it was built"]
    if status != "built" and built_on is not None:
        problems["built_on"] = ["only a built station has the day it was built"]
    planned_on = planned_on or today
    _not_after_today(problems, "planned_on", planned_on, today)
    _not_after_today(problems, "built_on", built_on, today)
    if built_on is not None and built_on < planned_on:
        problems.setdefault("built_on", []).append("must not be before it was planned")
    if problems:
        raise InvalidStationData("the station cannot be registered as given", problems)
    return [StationRegistered(station_id, name, level, parent.station_id if parent else None,
                              township if level != "district" else None, status, planned_on,
                              built_on)]


def record_build(station: Station, status: str, on: date, today: date) -> list:
    if station.version == 0:
        raise StationNotFound("no station with this id")
    if status == station.status:
        return []   # recorded already: a repeat changes nothing
    problems: dict[str, list[str]] = {}
    if status not in NEXT_STATUS.get(station.status, ()):
        problems["status"] = [f"a {station.status} station cannot become {status}"]
    _not_after_today(problems, "on", on, today)
    if station.planned_on is not None and on < station.planned_on:
        problems.setdefault("on", []).append("must not be before it was planned")
    if problems:
        raise InvalidStationData("the station's build cannot be recorded as given", problems)
    return [StationBuildRecorded(station.station_id, status, on)]


def rate(station: Station, rating: str, rated_on: date, today: date) -> list:
    if station.version == 0:
        raise StationNotFound("no station with this id")
    if rating in station.ratings:
        return []
    problems: dict[str, list[str]] = {}
    if rating not in RATINGS:
        problems["rating"] = [f"must be one of {', '.join(RATINGS)}"]
    if station.status != "built":
        problems["rating"] = problems.get("rating", []) + ["only a built station is rated"]
    _not_after_today(problems, "rated_on", rated_on, today)
    if station.built_on is not None and rated_on < station.built_on:
        problems.setdefault("rated_on", []).append("must not be before it was built")
    if problems:
        raise InvalidStationData("the rating cannot be recorded as given", problems)
    return [StationRated(station.station_id, rating, rated_on)]
