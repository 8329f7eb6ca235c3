"""Every operation in the live API document, called by every role (and by no one): the expected status.

The expectations are written out here, apart from contracts/access.py, so a rule changed by
mistake shows up as a difference. An operation added to the API without a line below fails
the walk; so does a role added to the access tables without a caller here.
"""
import copy
import json
import uuid

import pytest
from stdnum.cn import uscc

from contracts import access
from tests.conftest import wait_until
from tests.factories import unique_id_number, veteran_payload

STATION = "多湖街道退役军人服务站"
OTHER_STATION = "孝顺镇退役军人服务站"
OFFICERS = ("placement_officer", "benefits_officer", "disputes_officer", "employment_officer")
# The veteran the benefits contract's examples name (contracts/benefits.py EXAMPLES).
BENEFITS_EXAMPLE_VETERAN = "8c0c5f38-6f3e-4a8e-9d8e-2f1f5c8a1b2c"

# caller -> the token it carries (None: no Authorization header at all).
CALLERS = {
    "anonymous": None,
    "veteran": {"roles": ["veteran"], "veteran_id": "FILE"},
    "other_veteran": {"roles": ["veteran"], "veteran_id": "OTHER_FILE"},
    "station_worker": {"roles": ["station_worker"], "stations": [STATION]},
    "other_station_worker": {"roles": ["station_worker"], "stations": [OTHER_STATION]},
    "registry_clerk": {"roles": ["registry_clerk"]},
    **{officer: {"roles": [officer]} for officer in OFFICERS},
    "approver": {"roles": ["approver"]},
    "leader": {"roles": ["leader"]},
    "auditor": {"roles": ["auditor"]},
    "department": {"roles": ["department"], "department": "public_security"},
}


def expect(default: int, **per_caller: int) -> dict:
    statuses = {caller: per_caller.get(caller, default) for caller in CALLERS}
    statuses["anonymous"] = per_caller.get("anonymous", 401)
    return statuses


_PUBLIC = {caller: 200 for caller in CALLERS}
_FILE_CHANGE = expect(403, station_worker=200, other_station_worker=404, registry_clerk=200)
_PLACEMENT_CASE = expect(403, veteran=404, other_veteran=404, station_worker=404,
                         other_station_worker=404, placement_officer=404)
_DISPUTES_CASE = expect(403, station_worker=404, other_station_worker=404, disputes_officer=404)
_DISPUTES_OPEN = expect(403, station_worker=201, disputes_officer=201)

_FIGURE_READERS = ("station_worker", "other_station_worker", "registry_clerk", *OFFICERS,
                   "approver", "leader")

EXPECTED = {
    "health": _PUBLIC,
    "openapi": _PUBLIC,
    "docs": _PUBLIC,
    "docs_asset": _PUBLIC,
    "file_history": expect(403, veteran=200, other_veteran=404, station_worker=200,
                           other_station_worker=404, registry_clerk=200),
    "me": expect(200),
    "my_access_log": expect(403, veteran=200, other_veteran=200),
    "register_veteran": expect(403, station_worker=201, registry_clerk=201),
    # imports: the example upload is a dry run, accepted (202) for whoever may register files
    # (rows outside a station worker's stations are refused inside it); "{import_id}" as sent
    # names no import.
    "start_import": expect(403, station_worker=202, other_station_worker=202,
                           registry_clerk=202),
    **{op: expect(403, station_worker=404, other_station_worker=404, registry_clerk=404)
       for op in ("get_import", "get_import_errors")},
    "list_veterans": expect(403, station_worker=200, other_station_worker=200,
                            registry_clerk=200, leader=200, **dict.fromkeys(OFFICERS, 200)),
    "get_veteran": expect(200, other_veteran=404, other_station_worker=404, auditor=403),
    "amend_contact": {**_FILE_CHANGE, "veteran": 200, "other_veteran": 404},
    "record_discharge": _FILE_CHANGE,
    "record_party_membership": _FILE_CHANGE,
    "assign_grid_worker": _FILE_CHANGE,
    "add_honour": _FILE_CHANGE,
    "mark_survivor_tie": _FILE_CHANGE,
    "record_village_secretary": _FILE_CHANGE,
    # disputes: case paths name no real case here ("{petition_id}" as sent), so whoever may
    # act finds nothing (404); a new case at another station is refused (403).
    "lodge_petition": expect(403, veteran=201, other_veteran=201, station_worker=201,
                             disputes_officer=201),
    "list_petitions": expect(403, veteran=200, other_veteran=200, station_worker=200,
                             other_station_worker=200, disputes_officer=200),
    "get_petition": expect(403, veteran=404, other_veteran=404, station_worker=404,
                           other_station_worker=404, disputes_officer=404, approver=404),
    "decide_intake": _DISPUTES_CASE,
    "assign_handler": _DISPUTES_CASE,
    "record_petition_mediation": _DISPUTES_CASE,
    "request_extension": _DISPUTES_CASE,
    "decide_extension": expect(403, approver=404),
    "issue_opinion": _DISPUTES_CASE,
    "request_review": {**_DISPUTES_CASE, "veteran": 404, "other_veteran": 404},
    "answer_review": expect(403, disputes_officer=404),
    "record_escalation": _DISPUTES_CASE,
    "open_dispute": _DISPUTES_OPEN,
    "get_dispute": _DISPUTES_CASE,
    "record_mediation": _DISPUTES_CASE,
    "refer_legal_aid": _DISPUTES_CASE,
    "decide_legal_aid": _DISPUTES_CASE,
    "assign_lawyer": _DISPUTES_CASE,
    "resolve_dispute": _DISPUTES_CASE,
    "open_proxy_case": _DISPUTES_OPEN,
    "list_proxy_cases": expect(403, veteran=200, other_veteran=200, station_worker=200,
                               other_station_worker=200, disputes_officer=200),
    "get_proxy_case": {**_DISPUTES_CASE, "veteran": 404, "other_veteran": 404},
    "record_proxy_step": _DISPUTES_CASE,
    "close_proxy_case": _DISPUTES_CASE,
    "refer_hardship": _DISPUTES_CASE,
    "disputes_figures": expect(403, station_worker=200, other_station_worker=200,
                               disputes_officer=200, leader=200),
    # placement: case paths name no real case ("{case_id}" as sent), so whoever may act finds
    # nothing (404); the FILE veteran has not reported in (eligibility: 404); a report-in for
    # someone else, or at another station, is refused (403).
    "report_in": expect(403, station_worker=201, placement_officer=201),
    "get_placement_case": _PLACEMENT_CASE,
    "list_placement_cases": expect(403, veteran=200, other_veteran=200, station_worker=200,
                                   other_station_worker=200, placement_officer=200),
    "placement_eligibility": _PLACEMENT_CASE,
    "choose_placement_mode": _PLACEMENT_CASE,
    "accept_post": _PLACEMENT_CASE,
    "decline_post": _PLACEMENT_CASE,
    "hand_over_to_employment": expect(403, station_worker=404, other_station_worker=404,
                                      placement_officer=404),
    **dict.fromkeys(("amend_placement_facts", "record_late_reason", "score_placement_case",
                     "offer_post", "issue_referral_letter", "record_on_post", "record_contract",
                     "forfeit_for_prosecution", "pay_subsidy", "assign_transfer",
                     "record_placement", "receive_spouse", "close_placement_case"),
                    expect(403, placement_officer=404)),
    "register_post_quota": expect(403, placement_officer=201),
    "list_post_quotas": expect(403, station_worker=200, other_station_worker=200,
                               placement_officer=200, leader=200),
    "placement_rates": expect(403, placement_officer=200, leader=200),
    # employment: the FILE veteran is no job seeker and "{posting_id}" names no posting, so
    # whoever may act finds nothing (404); the example posting's employer is not on file (400);
    # a job seeker at another station is refused (403).
    "register_employer": expect(403, employment_officer=201),
    "publish_posting": expect(403, employment_officer=400),
    "close_posting": expect(403, employment_officer=404),
    "match_job_seekers": expect(403, station_worker=404, other_station_worker=404,
                                employment_officer=404),
    "record_job_fair": expect(403, employment_officer=201),
    "register_job_seeker": expect(403, station_worker=201, employment_officer=201),
    **dict.fromkeys(("get_job_seeker", "state_job_intention", "match_postings"), expect(
        403, veteran=404, other_veteran=404, station_worker=404, other_station_worker=404,
        employment_officer=404)),
    **dict.fromkeys(("record_employment_intention", "record_hire", "enrol_training"), expect(
        403, station_worker=404, other_station_worker=404, employment_officer=404)),
    **dict.fromkeys(("grant_startup_loan", "grant_contest_award"),
                    expect(403, employment_officer=404)),
    "employment_figures": expect(403, employment_officer=200, leader=200),
    # benefits: a body naming a veteran names FILE (the veteran, their station, the officer may
    # act; the other veteran and station find nothing); case paths name no real case
    # ("{application_id}" as sent), so whoever may act finds nothing (404). A periodic
    # entitlement and the card are one per veteran: after the veteran's own application,
    # the station's and the officer's are conflicts (409); the example campaign does not exist.
    **dict.fromkeys(("apply_relief",), expect(403, veteran=201, other_veteran=404,
                                              station_worker=201, other_station_worker=404,
                                              benefits_officer=201)),
    **dict.fromkeys(("apply_entitlement", "apply_card"), expect(
        403, veteran=201, other_veteran=404, station_worker=409, other_station_worker=404,
        benefits_officer=409)),
    **dict.fromkeys(("list_relief", "list_entitlements"), expect(
        403, station_worker=200, other_station_worker=200, benefits_officer=200, approver=200,
        leader=200)),
    **dict.fromkeys(("list_cards", "list_offers", "list_campaigns", "priority_beneficiaries"),
                    expect(403, station_worker=200, other_station_worker=200,
                           benefits_officer=200, leader=200)),
    **dict.fromkeys(("get_relief", "get_entitlement"), expect(
        403, veteran=404, other_veteran=404, station_worker=404, other_station_worker=404,
        benefits_officer=404, approver=404, leader=404)),
    **dict.fromkeys(("get_card", "get_offer"), expect(
        403, veteran=404, other_veteran=404, station_worker=404, other_station_worker=404,
        benefits_officer=404, leader=404)),
    **dict.fromkeys(("get_campaign", "get_visit"), expect(
        403, station_worker=404, other_station_worker=404, benefits_officer=404, leader=404)),
    **dict.fromkeys(("review_relief", "disburse_relief", "close_relief", "review_entitlement",
                     "suspend_entitlement", "resume_entitlement", "end_entitlement",
                     "pay_entitlement", "refuse_card", "close_campaign"),
                    expect(403, benefits_officer=404)),
    **dict.fromkeys(("decide_relief", "decide_entitlement"), expect(403, approver=404)),
    **dict.fromkeys(("confirm_entitlement", "record_card_step", "withdraw_visit", "record_visit"),
                    expect(403, station_worker=404, other_station_worker=404,
                           benefits_officer=404)),
    # social care: about the FILE veteran (the station's), each a service of its own.
    "record_social_care": expect(403, station_worker=201, other_station_worker=404,
                                 benefits_officer=201),
    "answer_offer": expect(403, veteran=404, other_veteran=404, station_worker=404,
                           other_station_worker=404, benefits_officer=404),
    "open_campaign": expect(403, benefits_officer=201),
    "veteran_benefits": expect(403, veteran=200, other_veteran=404, station_worker=200,
                               other_station_worker=404, benefits_officer=200, approver=200,
                               leader=200),
    "benefits_figures": expect(403, benefits_officer=200, leader=200),
    # bundle: the submission names FILE (the veteran's own: 201; then the station's is the second
    # open bundle: 409; another veteran or station finds no such file: 404). "{bundle_id}",
    # "{matter}" and "{notification_id}" as sent name nothing, so whoever may act finds nothing.
    "submit_bundle": expect(403, veteran=201, other_veteran=404, station_worker=409,
                            other_station_worker=404),
    "list_bundles": expect(200, approver=403, auditor=403),
    "bundle_attention": expect(403, station_worker=200, other_station_worker=200,
                               registry_clerk=200, placement_officer=200, benefits_officer=200,
                               employment_officer=200, department=200),
    "get_bundle": expect(404, approver=403, auditor=403),
    "record_matter_outcome": expect(403, department=404),
    **dict.fromkeys(("withdraw_matter", "resubmit_matter"), expect(
        403, veteran=404, other_veteran=404, station_worker=404, other_station_worker=404)),
    "follow_up_matter": expect(403, station_worker=404, other_station_worker=404,
                               registry_clerk=404, placement_officer=404, benefits_officer=404,
                               employment_officer=404, department=404),
    "my_notifications": expect(403, veteran=200, other_veteran=200),
    "retry_notification": expect(403, station_worker=404, other_station_worker=404,
                                 registry_clerk=404, placement_officer=404, benefits_officer=404,
                                 employment_officer=404),
    # one-stop reads: the FILE veteran's page (another veteran's or another station's: 404);
    # "{bundle_id}" as sent names no bundle, so whoever may read bundles finds nothing.
    "veteran_overview": expect(403, veteran=200, other_veteran=404, station_worker=200,
                               other_station_worker=404, registry_clerk=200,
                               **dict.fromkeys(OFFICERS, 200)),
    "bundle_stream": expect(403, veteran=404, other_veteran=404, station_worker=404,
                            other_station_worker=404, registry_clerk=404, leader=404,
                            department=404, **dict.fromkeys(OFFICERS, 404)),
    # service stations: the example registers a station once (the clerk); "{station_id}" as sent
    # names no station.
    "register_station": expect(403, registry_clerk=201),
    **dict.fromkeys(("record_station_build", "rate_station"), expect(403, registry_clerk=404)),
    "list_stations": expect(403, **dict.fromkeys(_FIGURE_READERS, 200)),
    # the bureau's figures: the matrix sends no period, so whoever may read them gets a 400;
    # publishing the example period is a 201 (a station worker's: of their stations);
    # "{report_id}" as sent names no report.
    **{op: expect(403, **dict.fromkeys(_FIGURE_READERS, status)) for op, status in (
        ("bureau_figures", 400), ("export_figures", 400), ("publish_report", 201),
        ("get_report", 404))},
    "search_audit": expect(403, auditor=200),
    "verify_audit": expect(403, auditor=200),
}


@pytest.fixture(scope="module")
def files(system):
    made = {}
    for label, station in (("FILE", STATION), ("OTHER_FILE", OTHER_STATION)):
        response = system["http"].post(f"{system['base']}/api/v1/veterans",
                                       json=veteran_payload(service_station=station), timeout=15)
        assert response.status_code == 201, response.text
        made[label] = response.json()["veteran_id"]
    # Benefits learns of a file from the registry's events: wait until it knows FILE.
    officer = {"Authorization": "Bearer " + system["token"](["benefits_officer"], "matrix-wait")}
    wait_until(lambda: system["http"].get(
        f"{system['base']}/api/v1/benefits/veterans/{made['FILE']}", headers=officer,
        timeout=5).status_code == 200, timeout=30, what="benefits to learn of the FILE veteran")
    return made


def _headers(system, files, caller):
    claims = CALLERS[caller]
    if claims is None:
        return {}
    claims = dict(claims)
    if claims.get("veteran_id"):
        claims["veteran_id"] = files[claims["veteran_id"]]
    roles = claims.pop("roles")
    return {"Authorization": "Bearer " + system["token"](roles, f"matrix-{caller}", **claims)}


def _body(document, operation, caller, files=None):
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    name = content["schema"]["$ref"].rsplit("/", 1)[-1]
    body = copy.deepcopy(document["components"]["schemas"][name]["example"])
    if name == "RegisterVeteranRequest":
        body = veteran_payload(service_station=STATION, id_number=unique_id_number())
    if name == "MarkSurvivorTieRequest":
        body["fallen_name"] = f"烈士{caller}"  # one tie per caller, never a duplicate
    if name == "RecordDischargeRequest":
        body["discharged_on"] = "2025-12-01"  # after any enlistment the factory draws
    if name == "RecordPartyMembershipRequest":
        body["joined_on"] = "2025-07-01"  # after any 18th birthday the factory draws
    if name == "AddHonourRequest":
        body["honour"] = f"三等功 {uuid.uuid4().hex[:6]}"
        body["awarded_on"] = "2025-08-01"  # after any birth date the factory draws
    if name == "ReportInRequest":
        body["veteran_id"] = str(uuid.uuid4())  # each report-in a soldier of its own
    if name == "RegisterJobSeekerRequest":
        body["veteran_id"] = str(uuid.uuid4())  # each registration a veteran of its own
    if body.get("veteran_id") == BENEFITS_EXAMPLE_VETERAN:
        body["veteran_id"] = files["FILE"]  # a benefits request about the FILE veteran
    if name == "RegisterEmployerRequest":
        code = "91330703MA" + uuid.uuid4().hex[:7].upper()  # hex: all in the code's alphabet
        body["credit_code"] = code + uscc.calc_check_digit(code)
    return body


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_role_in_the_access_tables_has_a_caller_here():
    assert {role for claims in CALLERS.values() if claims for role in claims["roles"]} == \
        set(access.ROLES)


def test_every_operation_with_every_role(system, files):
    http = system["http"]
    document = http.get(f"{system['base']}/api/v1/openapi.json", timeout=5).json()
    missing = [op["operationId"] for _, _, op in _operations(document)
               if op["operationId"] not in EXPECTED]
    assert missing == [], f"operations with no expected statuses here: {missing}"
    headers = {caller: _headers(system, files, caller) for caller in CALLERS}
    wrong = []
    for path, method, operation in _operations(document):
        op_id = operation["operationId"]
        url = system["base"] + path.replace("{veteran_id}", files["FILE"]).replace(
            "{asset}", "swagger-ui.css")
        for caller, expected in EXPECTED[op_id].items():
            body = _body(document, operation, caller, files)
            response = http.request(
                method.upper(), url, timeout=15,
                data=None if body is None else json.dumps(body),
                # None removes the session's own token: anonymous sends no Authorization at all.
                headers={"Authorization": headers[caller].get("Authorization"),
                         "Content-Type": "application/json"})
            if response.status_code != expected:
                wrong.append(f"{method.upper()} {path} as {caller}: {response.status_code} "
                             f"(expected {expected}) {response.text[:120]}")
            if response.status_code in (401, 403, 404):
                # Refusals are the JSON error body, naming the right error.
                error = response.json()["error"]
                assert error == {401: "unauthenticated", 403: "forbidden",
                                 404: "not_found"}[response.status_code]
    assert wrong == [], "\n".join(wrong)
