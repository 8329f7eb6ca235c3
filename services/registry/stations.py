"""The registry's service stations: the commands on their streams, the station list, the RPC methods."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict

from chassis.commands import Accepted, change_stream
from chassis.envelope import Metadata, NewEvent, RecordedEvent
from chassis.errors import ClaimTaken
from chassis.store import PostgresEventStore, request_digest
from contracts import instance
from contracts import stations as contract
from services.registry.domain import stations as domain

NAME_CLAIM = "station_name"
_DOMAIN = {"StationRegistered": domain.StationRegistered,
           "StationBuildRecorded": domain.StationBuildRecorded,
           "StationRated": domain.StationRated}


def _new_event(event) -> NewEvent:
    data = instance(contract.EVENT_SCHEMAS[event.event_type]).dump(asdict(event))
    return NewEvent(event_type=event.event_type, schema_version=event.schema_version, data=data)


def _domain(event: RecordedEvent):
    data = instance(contract.EVENT_SCHEMAS[event.event_type]).load(event.data)
    return _DOMAIN[event.event_type](**data)


def load(store: PostgresEventStore, station_id: str) -> domain.Station:
    station = domain.Station(station_id)
    for event in store.read_stream(station_id):
        if event.event_type in _DOMAIN:
            station = station.apply(_domain(event))
    return station


def _canonical(station_id: str) -> str:
    try:
        return str(uuid.UUID(station_id))
    except ValueError:
        raise domain.StationNotFound("no station with this id") from None


def register(store: PostgresEventStore, body: dict, meta: Metadata, command_id: str | None,
             today) -> Accepted:
    parent = None
    if body.get("parent_id"):
        parent = load(store, _canonical(body["parent_id"]))
        if parent.version == 0:
            raise domain.StationNotFound("no station above it with this id",
                                         {"parent_id": ["no such station"]})
    station_id = str(uuid.uuid4())
    events = domain.register(station_id, body["name"], body["level"], parent,
                             body.get("township"), body.get("status", "planned"),
                             body.get("planned_on"), body.get("built_on"), today)
    try:
        result = store.append(station_id, [_new_event(e) for e in events], 0, meta,
                              command_id=command_id, request=request_digest(body),
                              claims=[(NAME_CLAIM, body["name"])])
    except ClaimTaken as taken:
        raise domain.StationNameTaken(f"a station with this name exists: {taken.stream_id}",
                                      {"name": ["another station has this name"]}) from None
    return Accepted(result.stream_id, result.stream_version, result.replayed)


def change(store: PostgresEventStore, station_id: str, decide, body: dict, meta: Metadata,
           command_id: str | None, expected_version: int | None) -> Accepted:
    station_id = _canonical(station_id)
    return change_stream(
        store, station_id, load=load, decide=decide,
        to_new_events=lambda events: [_new_event(e) for e in events], meta=meta,
        command_id=command_id, request=request_digest({"station_id": station_id, **body}),
        expected_version=expected_version)


# -- the station list ------------------------------------------------------------------------------

class StationListView:
    """One row per station, for listing; its ratings as an array."""

    name = "station_list"
    tables = ("station_list",)

    def __init__(self, table: str = "station_list"):
        self.table = table

    def into(self, tables: Mapping[str, str]) -> StationListView:
        return StationListView(tables[self.table])

    def apply(self, cur, event: RecordedEvent) -> None:
        if event.event_type not in _DOMAIN:
            return
        e = _domain(event)
        if isinstance(e, domain.StationRegistered):
            cur.execute(
                f"INSERT INTO {self.table} (station_id, version, name, level, parent_id, "
                "township, status, planned_on, built_on, ratings, position) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, '{}', %s) ON CONFLICT DO NOTHING",
                (e.station_id, event.stream_version, e.station_name, e.level, e.parent_id, e.township,
                 e.status, e.planned_on, e.built_on, event.position))
        elif isinstance(e, domain.StationBuildRecorded):
            cur.execute(
                f"UPDATE {self.table} SET version = %s, status = %s, built_on = CASE WHEN %s = "
                "'built' THEN %s ELSE built_on END WHERE station_id = %s",
                (event.stream_version, e.status, e.status, e.on, e.station_id))
        else:
            cur.execute(f"UPDATE {self.table} SET version = %s, ratings = array_append(ratings, "
                        "%s) WHERE station_id = %s", (event.stream_version, e.rating,
                                                       e.station_id))


def list_stations(cur, level=None, status=None, township=None, page=1, page_size=50,
                  names=None) -> dict:
    where, args = [], []
    for column, value in (("level", level), ("status", status), ("township", township)):
        if value is not None:
            where.append(f"{column} = %s")
            args.append(value)
    if names is not None:   # a station worker's reach: their own stations
        where.append("name = ANY(%s)")
        args.append(list(names))
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    cur.execute(f"SELECT count(*) FROM station_list {clause}", args)
    total = cur.fetchone()[0]
    cur.execute("SELECT station_id, version, name, level, parent_id, township, status, planned_on, "
                f"built_on, ratings FROM station_list {clause} ORDER BY position "
                "LIMIT %s OFFSET %s", [*args, page_size, (page - 1) * page_size])
    columns = [d[0] for d in cur.description]
    items = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    return {"items": items, "page": page, "page_size": page_size, "total": total}
