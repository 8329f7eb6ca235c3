"""The overview asked for a day: the file as it stood then, the other sections not shown as today's."""
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


def test_the_file_is_read_on_the_day_and_no_other_section_shows_todays_state_as_that_days():
    gateway, asked = FakeGateway(), []
    gateway.registry = dated_registry(asked)
    query = {"as_of": "2026-11-05", "effective_on": "2026-11-03"}
    response = overview.serve(gateway, call_as(["station_worker"], query, stations=(STATION,)),
                              VETERAN)
    body = json.loads(response.get_data())
    assert asked == [query]
    assert body["file"]["status"] == "ok"
    assert (body["file"]["file"]["as_of"], body["file"]["file"]["effective_on"],
            body["file"]["file"]["version"]) == ("2026-11-05", "2026-11-03", 2)
    for name in ("placement", "benefits", "petitions", "employment"):
        assert (body[name]["status"], body[name]["reason"]) == ("unavailable", "not_dated"), name
    assert gateway.placement.calls == gateway.benefits.calls == gateway.employment.calls == []
    assert gateway.disputes.calls == []
    (entry,) = gateway.audit.entries
    assert (entry.action, entry.as_of, entry.effective_on) == (
        "veteran_overview.file", "2026-11-05", "2026-11-03")


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
