"""The registry's read models: the veteran list staff filter by station, category and life stage."""
from __future__ import annotations

from collections.abc import Mapping

import psycopg2.extras

from chassis.envelope import RecordedEvent
from chassis.pii import mask_id_number
from services.registry.stations import StationListView


def _row(event: RecordedEvent) -> tuple:
    data = event.data
    return (data["veteran_id"], data["name"], mask_id_number(data["id_number"]), data["sex"],
            data["township"], data["service_station"], data["discharge_category"],
            data["life_stage"], data["area_code_known"], event.position)


class VeteranList:
    """One row per file, for listing and paging; masked ID numbers only."""

    name = "veteran_list"
    tables = ("veteran_list",)

    def __init__(self, table: str = "veteran_list"):
        # The table written: the live one, or the one a rebuild fills beside it (into()).
        self.table = table
        self._insert = (
            f"INSERT INTO {table} (veteran_id, name, id_number_masked, sex, township, "
            "service_station, discharge_category, life_stage, area_code_known, registered_at) "
            "VALUES %s ON CONFLICT DO NOTHING")

    def into(self, tables: Mapping[str, str]) -> VeteranList:
        """The same read model written into other tables, as `tables` renames them."""
        return VeteranList(tables[self.table])

    def apply_batch(self, cur, events: list[RecordedEvent]) -> None:
        """Registrations go in one multi-row insert; other events in order between them, so a
        discharge recorded in the same batch still lands after its registration."""
        pending: list[tuple] = []
        for event in events:
            if event.event_type == "VeteranRegistered":
                pending.append(_row(event))
                continue
            if pending:
                psycopg2.extras.execute_values(cur, self._insert, pending, page_size=1000)
                pending = []
            self.apply(cur, event)
        if pending:
            psycopg2.extras.execute_values(cur, self._insert, pending, page_size=1000)

    def apply(self, cur, event: RecordedEvent) -> None:
        data = event.data
        if event.event_type == "VeteranRegistered":
            psycopg2.extras.execute_values(cur, self._insert, [_row(event)])
        elif event.event_type == "DischargeRecorded":
            cur.execute(
                f"UPDATE {self.table} SET discharge_category = %s, life_stage = CASE "
                "WHEN life_stage IN ('enlistment', 'service') THEN 'discharge' ELSE life_stage END "
                "WHERE veteran_id = %s",
                (data["discharge_category"], data["veteran_id"]),
            )


# The service stations' list lives beside its commands (services/registry/stations.py).
PROJECTIONS = {VeteranList.name: VeteranList(), StationListView.name: StationListView()}


def list_veterans(cur, service_station=None, discharge_category=None, life_stage=None,
                  page=1, page_size=20, within_stations=None) -> dict:
    where, args = [], []
    if within_stations is not None:  # the caller's reach: a station worker sees their stations
        where.append("service_station = ANY(%s)")
        args.append(list(within_stations))
    for column, value in (("service_station", service_station),
                          ("discharge_category", discharge_category),
                          ("life_stage", life_stage)):
        if value is not None:
            where.append(f"{column} = %s")
            args.append(value)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    cur.execute(f"SELECT count(*) FROM veteran_list {clause}", args)
    total = cur.fetchone()[0]
    cur.execute(
        "SELECT veteran_id, name, id_number_masked, sex, township, service_station, "
        f"discharge_category, life_stage, area_code_known FROM veteran_list {clause} "
        "ORDER BY registered_at LIMIT %s OFFSET %s",
        [*args, page_size, (page - 1) * page_size],
    )
    columns = [d[0] for d in cur.description]
    items = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    return {"items": items, "page": page, "page_size": page_size, "total": total}
