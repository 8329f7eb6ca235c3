"""The bureau's figures over HTTP: facts made through the API, a report published, a late correction seen."""
import io
import uuid
from datetime import date

import openpyxl

from tests.conftest import wait_until
from tests.e2e.callers import session, shanghai_today
from tests.factories import veteran_payload

# A station of this test's own, so figures filtered by it count this test's facts only.
_OWN = uuid.uuid4().hex[:6]
STATION = f"东孝街道{_OWN}社区退役军人服务站"
TOWNSHIP = f"东孝街道{_OWN}"   # and a township of its own, for the township's figures
OTHER_STATION = "孝顺镇退役军人服务站"


def _register(system, base) -> str:
    made = system["http"].post(f"{base}/veterans", timeout=15, json=veteran_payload(
        service_station=STATION, township=TOWNSHIP))
    assert made.status_code == 201, made.text
    veteran_id = made.json()["veteran_id"]
    officer = session(system, ["benefits_officer"], "figures-wait")
    wait_until(lambda: officer.get(f"{base}/benefits/veterans/{veteran_id}",
                                   timeout=5).status_code == 200,
               timeout=30, what="benefits to learn of the veteran from the registry")
    return veteran_id


def test_figures_a_published_report_and_a_late_correction(system):
    base = f"{system['base']}/api/v1"
    year = shanghai_today().year
    period = {"from": f"{year}-01-01", "to": f"{year}-12-31"}
    leader = session(system, ["leader"], "leader-figures")
    worker = session(system, ["station_worker"], "worker-figures", stations=[STATION])
    stranger = session(system, ["station_worker"], "worker-other", stations=[OTHER_STATION])
    officer = session(system, ["benefits_officer"], "officer-figures")

    # Facts through the API: three files at the station, a festival campaign, two visits.
    veterans = [_register(system, base) for _ in range(3)]
    campaign = officer.post(f"{base}/benefits/campaigns", timeout=15, json={
        "name": f"{year}年春节走访慰问", "kind": "festival", "starts_on": f"{year}-01-01",
        "ends_on": f"{year}-12-31", "budget_fen": 10_000_000})
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["id"]
    early = date(year, 1, 20).isoformat()

    def visit(veteran_id, fen):
        made = worker.post(f"{base}/benefits/visits", timeout=15, json={
            "campaign_id": campaign_id, "veteran_id": veteran_id, "visited_on": early,
            "visitors": "站长 周敏", "amount_fen": fen})
        assert made.status_code == 201, made.text
        return made.json()["id"]

    # The station itself, built this year and rated exemplary, kept by the registry clerk.
    clerk = session(system, ["registry_clerk"], "clerk-figures")
    station = clerk.post(f"{base}/stations", timeout=15, json={
        "name": STATION, "level": "village", "township": TOWNSHIP, "status": "built",
        "planned_on": f"{year}-01-02", "built_on": f"{year}-01-10"})
    assert station.status_code == 201, station.text
    rated = clerk.post(f"{base}/stations/{station.json()['station_id']}/rating", timeout=15,
                       json={"rating": "exemplary", "rated_on": f"{year}-01-15"})
    assert rated.status_code == 200, rated.text
    listed = worker.get(f"{base}/stations", timeout=15).json()
    assert [s["name"] for s in listed["items"]] == [STATION]   # their own station only
    assert listed["items"][0]["ratings"] == ["exemplary"]

    # One of them serves as the village's party secretary (兵支书) since January.
    secretary = clerk.put(f"{base}/veterans/{veterans[0]}/village-secretary", timeout=15,
                          json={"village": f"{TOWNSHIP}社区", "since": f"{year}-01-05"})
    assert secretary.status_code == 200, secretary.text

    # Two social care services for one priority beneficiary: one person served.
    for service in ("special_disease_check", "health_record"):
        served = worker.post(f"{base}/benefits/social-care", timeout=15, json={
            "veteran_id": veterans[1], "service": service, "provided_on": early,
            "provider": "金东区中医院"})
        assert served.status_code == 201, served.text

    visit(veterans[0], 50_000)
    second = visit(veterans[1], 30_000)

    figures = leader.get(f"{base}/figures", params={**period, "station": STATION}, timeout=30)
    assert figures.status_code == 200, figures.text
    body = figures.json()
    assert body["figures"]["files_total"] == 3
    assert body["figures"]["visits_people"] == 2
    assert body["figures"]["visits_amount_fen"] == 80_000
    assert body["figures"]["escalations"] == 0
    assert body["figures"]["social_care_beneficiaries"] == 1
    assert (body["figures"]["stations_planned"], body["figures"]["stations_built"]) == (1, 1)
    assert body["figures"]["stations_exemplary_share"] == {"numerator": 1, "denominator": 1,
                                                           "rate": 1.0}
    # What a station does not keep is null, with its reason; so is what is not recorded yet.
    assert body["figures"]["postings"] is None and "station" in body["reasons"]["postings"]
    # The 兵支书 share is a township's (village posts are counted by township, not station).
    assert body["figures"]["village_party_secretaries_share"] is None
    township = leader.get(f"{base}/figures", params={**period, "township": TOWNSHIP}, timeout=30)
    assert township.json()["figures"]["village_party_secretaries_share"] == {
        "numerator": 1, "denominator": 1, "rate": 1.0}
    # The station worker's figures are their stations' whatever they ask for.
    own = worker.get(f"{base}/figures", params=period, timeout=30)
    assert own.status_code == 200 and own.json()["stations"] == [STATION]
    assert own.json()["figures"]["visits_amount_fen"] == 80_000
    refused = stranger.get(f"{base}/figures", params={**period, "station": STATION}, timeout=30)
    assert refused.status_code == 403
    assert leader.get(f"{base}/figures", params={"from": period["to"], "to": period["from"]},
                      timeout=30).status_code == 400

    # The same figures as a spreadsheet and as CSV.
    sheet = leader.get(f"{base}/figures/export", params={**period, "station": STATION},
                       timeout=30)
    assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    workbook = openpyxl.load_workbook(io.BytesIO(sheet.content))
    visits = {row[1]: row[2] for row in workbook["优抚"].iter_rows(min_row=3, values_only=True)}
    assert visits["visits_amount_fen"] == 800.0
    table = leader.get(f"{base}/figures/export", params={**period, "station": STATION,
                                                          "format": "csv"}, timeout=30)
    assert table.status_code == 200 and "慰问金额(元),visits_amount_fen,800.00" in table.text
    chart = leader.get(f"{base}/figures/export", params={**period, "station": STATION,
                                                          "format": "png", "section": "优抚"},
                       timeout=30)
    assert chart.status_code == 200 and chart.headers["Content-Type"] == "image/png"
    assert chart.content[:8] == b"\x89PNG\r\n\x1a\n"
    unnamed = leader.get(f"{base}/figures/export", params={**period, "format": "png"},
                         timeout=30)
    assert unnamed.status_code == 400 and "section" in unnamed.json()["fields"]

    key = {"Idempotency-Key": f"report-{uuid.uuid4()}"}
    published = leader.post(f"{base}/reports", json={**period, "station": STATION}, timeout=30,
                            headers=key)
    assert published.status_code == 201, published.text
    report_id = published.json()["report_id"]
    assert published.json()["figures"]["visits_amount_fen"] == 80_000
    assert published.json()["replayed"] is False

    # Late corrections, recorded after publication for days within the period: one visit is
    # withdrawn (a reversal), another made in January is recorded only now.
    withdrawn = worker.post(f"{base}/benefits/visits/{second}/withdrawal", timeout=15,
                            json={"reason": "重复登记"})
    assert withdrawn.status_code == 200, withdrawn.text
    visit(veterans[2], 20_000)

    # The publication retried with its key (the first answer was lost): the same report, as it
    # was published, not a second one with the corrections in it; the key for another period
    # is refused.
    retried = leader.post(f"{base}/reports", json={**period, "station": STATION}, timeout=30,
                          headers=key)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["report_id"], retried.json()["replayed"]) == (report_id, True)
    assert retried.json()["figures"]["visits_amount_fen"] == 80_000
    assert retried.json()["hash"] == published.json()["hash"]
    other = leader.post(f"{base}/reports", json={**period, "station": STATION,
                                                 "from": f"{year}-02-01"}, timeout=30, headers=key)
    assert other.status_code == 422, other.text

    report = leader.get(f"{base}/reports/{report_id}", timeout=30)
    assert report.status_code == 200, report.text
    report = report.json()
    assert report["as_published"]["hash_matches"] is True
    assert report["as_published"]["figures"]["visits_amount_fen"] == 80_000
    assert report["as_published"]["figures"]["visits_people"] == 2
    assert report["as_now_known"]["figures"]["visits_amount_fen"] == 70_000
    assert report["as_now_known"]["figures"]["visits_people"] == 2
    differences = {d["figure"]: d for d in report["differences"]}
    assert set(differences) == {"visits_amount_fen"}
    corrections = differences["visits_amount_fen"]["corrections"]
    assert sorted((c["event_type"], c["delta"], c["effective_on"]) for c in corrections
                  if c["metric"] == "visits_amount_fen") == [
        ("VisitRecorded", 20_000, early), ("VisitWithdrawn", -30_000, early)]
    # Another station's worker finds no such report; the report reads the same a second time.
    assert stranger.get(f"{base}/reports/{report_id}", timeout=30).status_code == 404
    again = leader.get(f"{base}/reports/{report_id}", timeout=30).json()
    assert again["as_published"] == report["as_published"]
