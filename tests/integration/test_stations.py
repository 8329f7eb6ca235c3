"""Service stations on the registry's real database: commands, the one-name claim, the list, the figures."""
from datetime import date

import pytest

from chassis.envelope import Metadata
from chassis.projection import ProjectionRunner
from chassis.report_facts import read_figures
from services.registry import report, stations
from services.registry.domain import stations as rules

TODAY = date(2020, 12, 31)


def _register(store, name, level="township", **body):
    body = {"name": name, "level": level, "township": "多湖街道", "status": "planned", **body}
    return stations.register(store, body, Metadata(actor="registry_clerk"), None, TODAY)


def test_stations_are_registered_built_rated_listed_and_counted(registry_store, registry_db):
    with registry_db.transaction() as cur:
        cur.execute("TRUNCATE station_list, report_facts, report_homes")
    centre = _register(registry_store, "金东区退役军人服务中心", level="district", township=None,
                       status="built", planned_on=date(2019, 1, 1), built_on=date(2019, 6, 1))
    duohu = _register(registry_store, "多湖街道退役军人服务站", parent_id=centre.stream_id,
                      planned_on=date(2020, 1, 1))
    village = _register(registry_store, "驿头社区退役军人服务站", level="village",
                        parent_id=duohu.stream_id, planned_on=date(2020, 2, 1))
    with pytest.raises(rules.StationNameTaken):
        _register(registry_store, "多湖街道退役军人服务站")
    with pytest.raises(rules.StationNotFound):
        _register(registry_store, "x站", parent_id="2d7bd3a8-2f5e-4a53-9d0b-3c6f2f2e9b10")

    def change(station_id, decide):
        return stations.change(registry_store, station_id, decide, {}, Metadata(), None, None)

    change(duohu.stream_id, lambda s: rules.record_build(s, "built", date(2020, 10, 1), TODAY))
    change(duohu.stream_id, lambda s: rules.rate(s, "exemplary", date(2020, 12, 1), TODAY))
    done = change(duohu.stream_id, lambda s: rules.rate(s, "fengqiao", date(2020, 12, 2), TODAY))
    assert done.version == 4

    ProjectionRunner(registry_store, stations.StationListView()).catch_up()
    with registry_db.transaction() as cur:
        listed = stations.list_stations(cur, status="built")
        mine = stations.list_stations(cur, names=["驿头社区退役军人服务站"])
    assert [i["name"] for i in listed["items"]] == ["金东区退役军人服务中心", "多湖街道退役军人服务站"]
    assert listed["items"][1]["ratings"] == ["exemplary", "fengqiao"]
    assert mine["total"] == 1 and mine["items"][0]["station_id"] == village.stream_id

    figures = read_figures(registry_store, report.facts, {"from": "2020-01-01",
                                                          "to": "2020-12-31"})["to_date"]
    assert figures["stations_planned"]["subjects"] == 3
    assert figures["stations_built"]["subjects"] == 2
    assert figures["stations_exemplary"]["subjects"] == 1
    before = read_figures(registry_store, report.facts, {"from": "2020-01-01",
                                                         "to": "2020-06-30"})["to_date"]
    assert before["stations_built"]["subjects"] == 1 and "stations_exemplary" not in before
