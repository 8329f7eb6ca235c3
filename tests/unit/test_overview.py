"""The veteran's overview in-process, against fake services: sections concurrent, each on its own, audited."""
import dataclasses
import json
import time
import uuid

import eventlet
import pytest
from marshmallow import Schema, fields
from werkzeug.test import EnvironBuilder

from chassis.wire import ServiceError
from gateway import overview
from gateway.audit import AuditUnavailable
from gateway.breaker import Breakers
from gateway.errors import GatewayError
from gateway.service import Call, GatewayService
from gateway.tokens import Principal

STATION = "多湖街道退役军人服务站"
VETERAN = str(uuid.uuid4())
CASE = str(uuid.uuid4())


class _Method:
    def __init__(self, service, name):
        self.service, self.name = service, name

    def call_async(self, *args):
        service, name = self.service, self.name

        class Reply:
            def result(self):
                service.calls.append(name)
                if service.down:
                    eventlet.sleep(30)  # a stopped service: the request waits in its queue
                return service.methods[name](*args)

        return Reply()


class FakeService:
    def __init__(self, **methods):
        self.methods = methods
        self.calls = []
        self.down = False

    def __getattr__(self, name):
        if name not in self.methods:
            raise AttributeError(name)
        return _Method(self, name)


def _missing(*args):
    raise ServiceError("not_found", "none")


def _file(veteran_id):
    if veteran_id != VETERAN:
        raise ServiceError("not_found", "no such file")
    return {"veteran_id": VETERAN, "version": 3, "name": "陈志强", "id_number": "330702197003120016",
            "phone": "13857912345", "address": "金东区多湖街道光南路1号", "sex": "male",
            "service_station": STATION, "township": "多湖街道", "survivor_ties": []}


class FakeAudit:
    def __init__(self):
        self.entries = []
        self.broken = False

    def record(self, entry):
        return self.record_many([entry])[0]

    def record_many(self, entries):
        if self.broken:
            raise AuditUnavailable("down")
        self.entries += entries
        return list(range(len(entries)))


class FakeGateway:
    _entry = GatewayService._entry
    _record = GatewayService._record
    _record_quietly = GatewayService._record_quietly

    def __init__(self):
        self.context = {"correlation_id": "corr-1"}
        self.audit = FakeAudit()
        self.registry = FakeService(get_veteran=_file)
        self.placement = FakeService(
            placement_eligibility=lambda p, b, q, c: {"veteran_id": p["veteran_id"],
                                                      "case_id": CASE, "modes": []},
            get_placement_case=lambda p, b, q, c: {"case_id": p["case_id"], "status": "open",
                                                   "spouse_name": "王芳"})
        self.benefits = FakeService(
            veteran_benefits=lambda p, b, q, c: {"veteran_id": p["veteran_id"],
                                                 "entitlements": [], "offers": [], "relief": []})
        self.disputes = FakeService(list_petitions=self._petitions,
                                    list_proxy_cases=self._proxy_cases)
        self.employment = FakeService(get_job_seeker=_missing, match_postings=_missing)

    @staticmethod
    def _petitions(params, body, query, caller):
        """250 petitions in reach, one of them this veteran's; filtered if asked to."""
        mine = [{"petition_id": "mine", "veteran_id": VETERAN}]
        if query.get("veteran_id"):
            return {"items": mine if query["veteran_id"] == VETERAN else [],
                    "total": int(query["veteran_id"] == VETERAN), "page": 1,
                    "page_size": query["page_size"]}
        others = [{"petition_id": str(uuid.uuid4()), "veteran_id": str(uuid.uuid4())}
                  for _ in range(int(query["page_size"]))]
        rows = mine + others if query["page"] == 1 else others
        return {"items": rows[:int(query["page_size"])], "total": 250,
                "page": query["page"], "page_size": query["page_size"]}

    @staticmethod
    def _proxy_cases(params, body, query, caller):
        return {"items": [{"proxy_case_id": "p1", "veteran_id": query["veteran_id"]}],
                "total": 1, "page": 1, "page_size": query["page_size"]}


def call_as(roles, **claims):
    request = EnvironBuilder(path=f"/api/v1/veterans/{VETERAN}/overview").get_request()
    return Call("veteran_overview", Principal(subject="s-1", roles=tuple(roles), **claims),
                request)


@pytest.fixture(autouse=True)
def fresh_breakers(monkeypatch):
    breakers = Breakers(failures=2, cool_down=30)
    monkeypatch.setattr(overview, "BREAKERS", breakers)
    monkeypatch.setattr(overview, "SECTION_TIMEOUT_SECONDS", 0.3)
    return breakers


def page(gateway, call, veteran_id=VETERAN):
    response = overview.serve(gateway, call, veteran_id)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return json.loads(response.get_data())


def test_a_station_worker_sees_every_section_with_its_as_of_and_the_reads_are_on_record():
    gateway = FakeGateway()
    body = page(gateway, call_as(["station_worker"], stations=(STATION,)))
    assert {name: body[name]["status"] for name in
            ("file", "placement", "benefits", "petitions", "employment")} == dict.fromkeys(
        ("file", "placement", "benefits", "petitions", "employment"), "ok")
    assert all(body[name]["as_of"] for name in ("file", "placement", "employment"))
    assert body["file"]["file"]["name"] == "陈志强" and body["file"]["file"]["withheld"] == []
    assert body["placement"]["case"]["spouse_name"] == "王芳"
    assert body["employment"] == {"status": "ok", "as_of": body["employment"]["as_of"],
                                  "reason": None, "job_seeker": None, "matches": None}
    assert [p["petition_id"] for p in body["petitions"]["items"]] == ["mine"]
    assert body["petitions"]["complete"]
    # A read the disputes contract does not have yet is not offered, never an error.
    if "list_proxy_cases" in overview.ROUTES:
        assert body["proxy_cases"]["items"] == [{"proxy_case_id": "p1", "veteran_id": VETERAN}]
    else:
        assert (body["proxy_cases"]["status"], body["proxy_cases"]["reason"]) == (
            "unavailable", "not_offered")
    # No bundle service here.
    assert (body["bundles"]["status"], body["bundles"]["reason"]) == (
        "unavailable", "not_offered")
    recorded = {entry.action: set(entry.fields) for entry in gateway.audit.entries}
    assert recorded == {"veteran_overview.file": {"name", "id_number", "phone", "address"},
                        "veteran_overview.placement": {"spouse_name"}}
    assert {entry.veteran_id for entry in gateway.audit.entries} == {VETERAN}


def test_each_service_gets_the_caller_its_own_operation_grants():
    gateway = FakeGateway()
    seen = {}

    def benefits(params, body, query, caller):
        seen.update(caller)
        return {"veteran_id": VETERAN}

    gateway.benefits = FakeService(veteran_benefits=benefits)
    page(gateway, call_as(["station_worker"], stations=(STATION,)))
    assert (seen["roles"], seen["stations"], seen["district"]) == (
        ["station_worker"], [STATION], False)
    assert seen["correlation_id"] == "corr-1"


def test_sections_the_role_may_not_see_are_forbidden_and_never_called():
    gateway = FakeGateway()
    body = page(gateway, call_as(["registry_clerk"]))
    assert body["file"]["status"] == "ok"
    for name in ("placement", "benefits", "petitions", "employment"):
        assert (body[name]["status"], body[name]["as_of"]) == ("forbidden", None), name
    # Forbidden once the disputes contract lists proxy cases; until then not offered to anyone.
    assert body["proxy_cases"]["status"] in ("forbidden", "unavailable")
    assert gateway.placement.calls == gateway.benefits.calls == gateway.employment.calls == []
    assert gateway.disputes.calls == []


def test_one_service_down_is_one_section_unavailable_and_then_costs_nothing():
    gateway = FakeGateway()
    gateway.employment.down = True
    call = call_as(["employment_officer", "placement_officer"])
    for _attempt in range(2):
        started = time.monotonic()
        body = page(gateway, call)
        assert time.monotonic() - started < 0.6
        assert (body["employment"]["status"], body["employment"]["reason"]) == (
            "unavailable", "timeout")
        assert body["placement"]["status"] == "ok" and body["file"]["status"] == "ok"
    calls = len(gateway.employment.calls)
    started = time.monotonic()
    body = page(gateway, call)
    assert time.monotonic() - started < 0.2
    assert body["employment"]["reason"] == "circuit_open"
    assert len(gateway.employment.calls) == calls


def test_with_the_registry_down_the_page_still_answers_and_services_check_reach_themselves():
    gateway = FakeGateway()
    gateway.registry.down = True
    body = page(gateway, call_as(["station_worker"], stations=(STATION,)))
    assert (body["file"]["status"], body["file"]["file"]) == ("unavailable", None)
    assert body["benefits"]["status"] == "ok"


def test_out_of_reach_or_unknown_is_a_404_as_for_the_file_and_is_recorded():
    gateway = FakeGateway()
    with pytest.raises(GatewayError) as caught:
        overview.serve(gateway, call_as(["station_worker"], stations=("孝顺镇退役军人服务站",)),
                       VETERAN)
    assert caught.value.status == 404
    assert [(e.action, e.outcome) for e in gateway.audit.entries] == [
        ("veteran_overview", "not_found")]
    with pytest.raises(GatewayError) as caught:
        overview.serve(gateway, call_as(["registry_clerk"]), str(uuid.uuid4()))
    assert caught.value.status == 404


def test_a_veteran_asking_for_another_veterans_page_costs_no_call():
    gateway = FakeGateway()
    with pytest.raises(GatewayError) as caught:
        overview.serve(gateway, call_as(["veteran"], veteran_id=str(uuid.uuid4())), VETERAN)
    assert caught.value.status == 404
    assert gateway.registry.calls == []


def test_the_page_is_not_served_if_the_audit_log_cannot_take_it():
    gateway = FakeGateway()
    gateway.audit.broken = True
    with pytest.raises(GatewayError) as caught:
        overview.serve(gateway, call_as(["veteran"], veteran_id=VETERAN), VETERAN)
    assert caught.value.status == 503


def test_fields_the_role_may_not_see_are_withheld_as_get_veteran_withholds_them():
    gateway = FakeGateway()
    body = page(gateway, call_as(["employment_officer"]))
    assert "id_number" not in body["file"]["file"] and "address" not in body["file"]["file"]
    assert {"id_number", "address", "survivor_ties"} <= set(body["file"]["file"]["withheld"])
    recorded = {e.action: set(e.fields) for e in gateway.audit.entries}
    assert recorded["veteran_overview.file"] == {"name", "phone"}


def test_a_failing_service_answer_is_unavailable_not_a_failed_page():
    gateway = FakeGateway()

    def broken(*args):
        raise ServiceError("unavailable", "its database is down")

    gateway.benefits = FakeService(veteran_benefits=broken)
    body = page(gateway, call_as(["benefits_officer"]))
    assert (body["benefits"]["status"], body["benefits"]["reason"]) == ("unavailable", "error")


def _reader(gateway, roles=("disputes_officer",)):
    return overview.Reader(gateway, call_as(list(roles)), VETERAN, None)


def test_a_list_without_a_veteran_filter_is_paged_through_and_filtered_here(monkeypatch):
    class NoVeteranFilter(Schema):
        page = fields.Integer()
        page_size = fields.Integer()

    route = dataclasses.replace(overview.ROUTES["list_petitions"], query=NoVeteranFilter)
    monkeypatch.setattr(overview, "ROUTES", {**overview.ROUTES, "list_petitions": route})
    gateway = FakeGateway()
    found = overview._for_veteran(_reader(gateway), "list_petitions")
    # One of this veteran's petitions among 250 in reach: both pages searched.
    assert [p["petition_id"] for p in found["items"]] == ["mine"] and found["complete"]
    assert gateway.disputes.calls == ["list_petitions", "list_petitions"]
    monkeypatch.setattr(overview, "LIST_PAGES", 1)
    assert overview._for_veteran(_reader(gateway), "list_petitions")["complete"] is False


def test_a_list_with_a_veteran_filter_is_asked_for_this_veteran_only(monkeypatch):
    class VeteranFilter(Schema):
        veteran_id = fields.String()
        page = fields.Integer()
        page_size = fields.Integer()

    route = dataclasses.replace(overview.ROUTES["list_petitions"], query=VeteranFilter)
    monkeypatch.setattr(overview, "ROUTES", {**overview.ROUTES, "list_petitions": route})
    gateway = FakeGateway()
    found = overview._for_veteran(_reader(gateway), "list_petitions")
    assert [p["petition_id"] for p in found["items"]] == ["mine"] and found["complete"]
    assert gateway.disputes.calls == ["list_petitions"]
