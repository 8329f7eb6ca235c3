"""The overview asked for a day: every section read as it stood then, the matches not shown under it."""
import json

import pytest
from marshmallow import ValidationError
from werkzeug.test import EnvironBuilder

from chassis.wire import ServiceError
from gateway import overview
from gateway.breaker import Breakers
from gateway.errors import GatewayError
from gateway.service import Call
from gateway.tokens import Principal
from tests.unit.test_overview import STATION, VETERAN, FakeGateway, _file


@pytest.fixture(autouse=True)
def fresh_breakers(monkeypatch):
    monkeypatch.setattr(overview, "BREAKERS", Breakers(failures=2, cool_down=30))
    monkeypatch.setattr(overview, "SECTION_TIMEOUT_SECONDS", 0.3)


def call_as(roles, query: dict, **claims) -> Call:
    request = EnvironBuilder(path=f"/api/v1/veterans/{VETERAN}/overview",
                             query_string=query).get_request()
    return Call("veteran_overview", Principal(subject="s-1", roles=tuple(roles), **claims),
                request)


class _Answer:
    def __init__(self, value):
        self.value = value

    def result(self):
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


class DatedRegistry:
    """The registry's get_veteran as the gateway calls it: the id, and the day(s) as keywords."""

    def __init__(self):
        self.asked = []
        self.get_veteran = self

    def call_async(self, veteran_id, **dates):
        self.asked.append(dates)
        if dates.get("as_of", "9999") < "2026-11-02":
            return _Answer(ServiceError("not_found", "no veteran file with this id on that day"))
        return _Answer({**_file(veteran_id), "version": 2})


def dated_registry(asked: list) -> DatedRegistry:
    registry = DatedRegistry()
    registry.asked = asked
    return registry


class DatedService:
    """A department service whose reads take the day(s) as keywords, as the overview sends them."""

    def __init__(self, **methods):
        self.methods, self.asked = methods, []

    def __getattr__(self, name):
        if name not in self.methods:
            raise AttributeError(name)
        service = self

        class Method:
            def call_async(self, *args, **dates):
                service.asked.append((name, dates))
                return _Answer(service.methods[name](*args))

        return Method()


def test_every_section_is_read_on_the_day_and_the_matches_are_not_shown_under_it():
    gateway, asked = FakeGateway(), []
    gateway.registry = dated_registry(asked)
    case = {"case_id": "c-1", "status": "reported_in"}
    gateway.placement = DatedService(
        placement_eligibility=lambda p, b, q, c: {"veteran_id": VETERAN, "case_id": "c-1",
                                                  "modes": []},
        get_placement_case=lambda p, b, q, c: case)
    gateway.benefits = DatedService(veteran_benefits=lambda p, b, q, c: {
        "veteran_id": VETERAN, "entitlements": [], "offers": [], "relief": []})
    gateway.disputes = DatedService(
        list_petitions=lambda p, b, q, c: {"items": [{"petition_id": "p-1",
                                                      "veteran_id": q["veteran_id"]}],
                                           "total": 1},
        list_proxy_cases=lambda p, b, q, c: {"items": [], "total": 0})
    gateway.employment = DatedService(
        get_job_seeker=lambda p, b, q, c: {"veteran_id": VETERAN, "status": "seeking"},
        match_postings=lambda p, b, q, c: {"items": ["today's"]})
    query = {"as_of": "2026-11-05", "effective_on": "2026-11-03"}
    response = overview.serve(gateway, call_as(["station_worker"], query, stations=(STATION,)),
                              VETERAN)
    body = json.loads(response.get_data())
    assert asked == [query]
    assert body["file"]["status"] == "ok"
    assert (body["file"]["file"]["as_of"], body["file"]["file"]["effective_on"],
            body["file"]["file"]["version"]) == ("2026-11-05", "2026-11-03", 2)
    for name in ("placement", "benefits", "petitions", "proxy_cases", "employment"):
        assert (body[name]["status"], body[name]["reason"]) == ("ok", None), name
    assert body["placement"]["case"] == case
    assert body["petitions"]["items"] == [{"petition_id": "p-1", "veteran_id": VETERAN}]
    # Every service read was asked for the day; the matches (today's postings) not at all.
    for service in (gateway.placement, gateway.benefits, gateway.disputes, gateway.employment):
        assert service.asked and all(dates == query for _, dates in service.asked), service
    assert [name for name, _ in gateway.employment.asked] == ["get_job_seeker"]
    assert body["employment"]["job_seeker"]["status"] == "seeking"
    assert body["employment"]["matches"] is None
    assert {entry.as_of for entry in gateway.audit.entries} == {"2026-11-05"}
    assert {entry.effective_on for entry in gateway.audit.entries} == {"2026-11-03"}


def test_a_section_whose_service_cannot_read_a_day_stays_not_dated(monkeypatch):
    gateway = FakeGateway()
    gateway.registry = dated_registry([])
    monkeypatch.setattr(overview, "DATED_SECTIONS", frozenset({"file"}))
    response = overview.serve(gateway, call_as(["station_worker"], {"as_of": "2026-11-05"},
                                               stations=(STATION,)), VETERAN)
    body = json.loads(response.get_data())
    for name in ("placement", "benefits", "petitions", "employment"):
        assert (body[name]["status"], body[name]["reason"]) == ("unavailable", "not_dated"), name
    assert gateway.placement.calls == gateway.benefits.calls == gateway.employment.calls == []
    (entry,) = gateway.audit.entries
    assert (entry.action, entry.as_of) == ("veteran_overview.file", "2026-11-05")


def test_without_a_day_every_section_is_read_as_before():
    gateway, asked = FakeGateway(), []
    gateway.registry = dated_registry(asked)
    response = overview.serve(gateway, call_as(["station_worker"], {}, stations=(STATION,)),
                              VETERAN)
    body = json.loads(response.get_data())
    assert asked == [{}] and body["placement"]["status"] == "ok"
    assert "as_of" not in body["file"]["file"]
    assert all(entry.as_of is None for entry in gateway.audit.entries)


def test_a_day_before_the_file_is_a_404_and_a_bad_day_a_400():
    gateway = FakeGateway()
    gateway.registry = dated_registry([])
    with pytest.raises(GatewayError) as missing:
        overview.serve(gateway, call_as(["registry_clerk"], {"as_of": "2026-11-01"}), VETERAN)
    assert missing.value.status == 404
    assert gateway.audit.entries[-1].as_of == "2026-11-01"
    for query in ({"as_of": "2026-11-31"}, {"effective_on": "2999-01-01"}):
        with pytest.raises(ValidationError) as bad:
            overview.serve(gateway, call_as(["registry_clerk"], query), VETERAN)
        assert list(bad.value.messages) == list(query)
