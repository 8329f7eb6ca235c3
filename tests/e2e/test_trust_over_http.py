"""Trust over HTTP: fields by entitlement, scope by station, every personal read on record and shown."""
import json
import re

import psycopg2
import pytest
import requests

from contracts import access
from tests.factories import veteran_payload

STATION = "澧浦镇退役军人服务站"
OTHER = "江东镇退役军人服务站"


def _as(system, roles, subject, **claims):
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + system["token"](roles, subject, **claims)
    return session


@pytest.fixture(scope="module")
def veteran(system):
    payload = veteran_payload(service_station=STATION)
    response = system["http"].post(f"{system['base']}/api/v1/veterans", json=payload, timeout=15)
    assert response.status_code == 201, response.text
    return {"id": response.json()["veteran_id"], "payload": payload}


def test_a_department_reads_only_its_entitled_fields_and_is_told_what_was_withheld(system, veteran):
    police = _as(system, ["department"], "gongan-system", department="public_security")
    file = police.get(f"{system['base']}/api/v1/veterans/{veteran['id']}", timeout=5).json()
    shown = set(file) - {"withheld"}
    assert shown == {"veteran_id", "version", "name", "id_number", "address"}
    assert file["id_number"] == veteran["payload"]["id_number"]
    assert set(file["withheld"]) == set(access.FILE_FIELDS) - shown
    assert "phone" in file["withheld"]


def test_a_leader_sees_no_personal_field_in_a_file_or_a_list(system, veteran):
    leader = _as(system, ["leader"], "leader-1")
    file = leader.get(f"{system['base']}/api/v1/veterans/{veteran['id']}", timeout=5).json()
    assert not access.PERSONAL_FIELDS & set(file)
    assert file["service_station"] == STATION
    page = leader.get(f"{system['base']}/api/v1/veterans",
                      params={"service_station": STATION}, timeout=5).json()
    assert page["items"] and all(not access.PERSONAL_FIELDS & set(i) for i in page["items"])
    assert {"name", "id_number_masked"} <= set(page["withheld"])


def test_a_station_worker_lists_and_changes_only_their_own_stations_files(system, veteran):
    mine = _as(system, ["station_worker"], "worker-lipu", stations=[STATION])
    theirs = _as(system, ["station_worker"], "worker-jiangdong", stations=[OTHER])
    listed = mine.get(f"{system['base']}/api/v1/veterans", params={"page_size": 200},
                      timeout=5).json()
    assert listed["items"] and {i["service_station"] for i in listed["items"]} == {STATION}
    # Asking for another station's files gives nothing, not their list.
    other = mine.get(f"{system['base']}/api/v1/veterans", params={"service_station": OTHER},
                     timeout=5).json()
    assert other["items"] == [] and other["total"] == 0
    url = f"{system['base']}/api/v1/veterans/{veteran['id']}/grid-worker"
    refused = theirs.put(url, json={"grid_worker": "网格员王芳"}, timeout=5)
    assert refused.status_code == 404 and refused.json()["error"] == "not_found"
    assert mine.put(url, json={"grid_worker": "网格员王芳"}, timeout=5).status_code == 200
    # Registering a veteran into another station is forbidden.
    wrong = theirs.post(f"{system['base']}/api/v1/veterans",
                        json=veteran_payload(service_station=STATION), timeout=5)
    assert wrong.status_code == 403


def test_the_actor_on_the_event_is_the_tokens_subject_not_a_header(system, veteran):
    worker = _as(system, ["station_worker"], "worker-actor", stations=[STATION])
    response = worker.post(f"{system['base']}/api/v1/veterans/{veteran['id']}/honours",
                           json={"honour": "优秀退役军人"}, headers={"X-Actor": "somebody-else"},
                           timeout=5)
    assert response.status_code == 200, response.text
    with psycopg2.connect(system["db_url"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT actor FROM stored_events WHERE stream_id = %s "
                    "ORDER BY stream_version DESC LIMIT 1", (veteran["id"],))
        assert cur.fetchone()[0] == "station_worker:worker-actor"


def test_the_veteran_sees_who_read_their_file_when_which_fields_and_why(system, veteran):
    police = _as(system, ["department"], "gongan-officer-7", department="public_security")
    purpose = "户籍核查 2026-118"
    assert police.get(f"{system['base']}/api/v1/veterans/{veteran['id']}",
                      headers={"X-Purpose": purpose.encode("utf-8")}, timeout=5).status_code == 200
    worker = _as(system, ["station_worker"], "worker-reader", stations=[STATION])
    assert worker.get(f"{system['base']}/api/v1/veterans/{veteran['id']}",
                      headers={"X-Purpose": "走访前核对联系方式".encode()},
                      timeout=5).status_code == 200
    me = _as(system, ["veteran"], "veteran-self", veteran_id=veteran["id"])
    log = me.get(f"{system['base']}/api/v1/me/access-log", params={"page_size": 50},
                 timeout=5).json()
    reads = [e for e in log["items"] if e["action"] == "read_file"]
    newest = reads[0]
    assert (newest["subject"], newest["stations"], newest["purpose"]) == (
        "worker-reader", [STATION], "走访前核对联系方式")
    police_read = next(e for e in reads if e["subject"] == "gongan-officer-7")
    assert police_read["department"] == "public_security" and police_read["purpose"] == purpose
    assert set(police_read["fields"]) == {"name", "id_number", "address"}
    assert [e["seq"] for e in log["items"]] == sorted((e["seq"] for e in log["items"]),
                                                      reverse=True)
    # The registration itself is on record, with who did it.
    assert any(e["action"] == "register_veteran" and e["subject"] == "clerk-e2e"
               for e in log["items"])
    # Another veteran's log does not hold these entries.
    stranger = _as(system, ["veteran"], "veteran-x", veteran_id="00000000-0000-4000-8000-000000000001")
    assert stranger.get(f"{system['base']}/api/v1/me/access-log", timeout=5).json()["items"] == []


def test_a_list_showing_personal_fields_records_each_file_shown(system, veteran):
    clerk = _as(system, ["registry_clerk"], "clerk-lister")
    page = clerk.get(f"{system['base']}/api/v1/veterans", params={"service_station": STATION},
                     headers={"X-Purpose": "月度核对".encode()}, timeout=5).json()
    auditor = _as(system, ["auditor"], "auditor-1")
    found = auditor.get(f"{system['base']}/api/v1/audit", params={"actor": "clerk-lister"},
                        timeout=5).json()
    recorded = {e["veteran_id"] for e in found["items"] if e["action"] == "list_veterans"}
    assert recorded == {i["veteran_id"] for i in page["items"]}
    verified = auditor.get(f"{system['base']}/api/v1/audit/verification", timeout=30).json()
    assert verified["ok"] is True and verified["entries"] >= len(recorded)


def test_a_read_that_cannot_be_recorded_is_refused(system, veteran):
    """The audit write is part of the read: with the log unwritable the file is not served."""
    clerk = _as(system, ["registry_clerk"], "clerk-outage")
    url = f"{system['base']}/api/v1/veterans/{veteran['id']}"
    conn = psycopg2.connect(system["gateway_db_url"])
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT oid::regprocedure::text FROM pg_proc WHERE proname = 'vetlife_audit_append'")
        signature = cur.fetchone()[0]
        cur.execute(f"ALTER FUNCTION {signature} RENAME TO vetlife_audit_append_gone")
    try:
        refused = clerk.get(url, timeout=15)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] == "unavailable"
        assert "id_number" not in refused.text and veteran["payload"]["name"] not in refused.text
    finally:
        with conn.cursor() as cur:
            renamed = signature.replace("vetlife_audit_append", "vetlife_audit_append_gone", 1)
            cur.execute(f"ALTER FUNCTION {renamed} RENAME TO vetlife_audit_append")
        conn.close()
    assert clerk.get(url, timeout=15).status_code == 200


def test_me_says_who_the_token_says(system):
    worker = _as(system, ["station_worker"], "worker-me", stations=[STATION])
    me = worker.get(f"{system['base']}/api/v1/me", timeout=5).json()
    assert (me["subject"], me["roles"], me["stations"]) == ("worker-me", ["station_worker"],
                                                            [STATION])
    assert "register_veteran" in me["may"] and "search_audit" not in me["may"]


def test_the_edges_answer_json(system):
    base = system["base"]
    missing = requests.get(f"{base}/api/v1/nowhere", timeout=5)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong_method = requests.delete(f"{base}/api/v1/veterans", timeout=5)
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]
    huge = system["http"].post(f"{base}/api/v1/veterans", data=b"{" + b" " * (2 * 1024 * 1024),
                               headers={"Content-Type": "application/json"}, timeout=30)
    assert huge.status_code == 413 and huge.json()["error"] == "payload_too_large"
    unauthenticated = requests.get(f"{base}/api/v1/veterans", timeout=5)
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"] == "unauthenticated"
    assert unauthenticated.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_docs_page_is_served_from_the_package_with_the_bearer_scheme(system):
    page = requests.get(f"{system['base']}/api/v1/docs", timeout=5)
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    # No CDN: every script and style is one of our own paths.
    assert all(link.startswith("/api/v1/docs/")
               for link in re.findall(r'(?:src|href)="([^"]+)"', page.text))
    script = requests.get(f"{system['base']}/api/v1/docs/swagger-ui-bundle.js", timeout=10)
    assert script.status_code == 200 and len(script.content) > 100_000
    assert requests.get(f"{system['base']}/api/v1/docs/..%2Fsecret", timeout=5).status_code == 404
    document = requests.get(f"{system['base']}/api/v1/openapi.json", timeout=5).json()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert json.dumps(document).count('"security": []') == 4


def test_a_files_history_says_who_changed_what_and_when(system, veteran):
    me = _as(system, ["veteran"], "veteran-history", veteran_id=veteran["id"])
    history = me.get(f"{system['base']}/api/v1/veterans/{veteran['id']}/history", timeout=5)
    assert history.status_code == 200, history.text
    entries = history.json()["history"]
    assert entries[0]["event_type"] == "VeteranRegistered"
    assert entries[0]["actor"] == "registry_clerk:clerk-e2e"
    assert [e["version"] for e in entries] == list(range(1, len(entries) + 1))
    assert history.headers["ETag"] == f'"{entries[-1]["version"]}"'
