"""Service stations in the registry: registered with their level and place, built, rated."""
from datetime import date

import pytest

from services.registry.domain import stations as s

TODAY = date(2020, 12, 31)


def _station(level="township", status="built", built_on=date(2020, 5, 1), **kw):
    events = s.register("s1", "多湖街道退役军人服务站", level, kw.get("parent"), kw.get(
        "township", "多湖街道"), status, date(2020, 1, 1), built_on, TODAY)
    station = s.Station("s1")
    for event in events:
        station = station.apply(event)
    return station


def test_a_station_registers_with_its_level_under_the_level_above():
    centre = _station(level="district", township=None)
    assert (centre.level, centre.township, centre.version) == ("district", None, 1)
    township = s.Station("t", 1, "多湖街道退役军人服务站", "township", "多湖街道", "built")
    village = s.register("v", "驿头社区退役军人服务站", "village", township, "多湖街道", "planned",
                         None, None, TODAY)
    assert village[0].parent_id == "t" and village[0].planned_on == TODAY
    with pytest.raises(s.InvalidStationData) as refused:
        s.register("v", "x", "village", centre, "多湖街道", "planned", None, None, TODAY)
    assert "parent_id" in refused.value.fields
    with pytest.raises(s.InvalidStationData) as refused:
        s.register("v", "x", "village", township, None, "built", None, None, TODAY)
    assert {"township", "built_on"} <= set(refused.value.fields)


def test_a_build_goes_forward_only_and_a_repeat_changes_nothing():
    planned = _station(status="planned", built_on=None)
    building = planned.apply(s.record_build(planned, "building", date(2020, 6, 1), TODAY)[0])
    built = building.apply(s.record_build(building, "built", date(2020, 9, 1), TODAY)[0])
    assert (built.status, built.built_on) == ("built", date(2020, 9, 1))
    assert s.record_build(built, "built", date(2020, 10, 1), TODAY) == []
    with pytest.raises(s.InvalidStationData):
        s.record_build(built, "building", date(2020, 10, 1), TODAY)
    with pytest.raises(s.InvalidStationData):
        s.record_build(planned, "built", date(2021, 1, 1), TODAY)   # after today
    with pytest.raises(s.StationNotFound):
        s.record_build(s.Station("none"), "built", TODAY, TODAY)


def test_only_a_built_station_is_rated_and_each_rating_once():
    built = _station()
    rated = built.apply(s.rate(built, "exemplary", date(2020, 12, 1), TODAY)[0])
    assert rated.ratings == ("exemplary",)
    assert s.rate(rated, "exemplary", date(2020, 12, 2), TODAY) == []
    assert s.rate(rated, "fengqiao", date(2020, 12, 2), TODAY)[0].rating == "fengqiao"
    with pytest.raises(s.InvalidStationData):
        s.rate(_station(status="planned", built_on=None), "exemplary", TODAY, TODAY)
    with pytest.raises(s.InvalidStationData):
        s.rate(built, "exemplary", date(2020, 4, 1), TODAY)     # before it was built
