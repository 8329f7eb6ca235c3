"""The gateway's figures from the services' parts: counts, rates, nulls with reasons, corrections explained."""
from datetime import date

from gateway import figures as f

DISTRICT = f.Scope(date(2020, 1, 1), date(2020, 12, 31), None, None, None)


def part(period=None, to_date=None, position=10, later=()):
    def shape(values):
        return {metric: {"sum": s, "subjects": n} for metric, (s, n) in (values or {}).items()}
    return {"position": position, "head": position, "period": shape(period),
            "to_date": shape(to_date), "later": list(later)}


def parts(**by_service):
    return {service: by_service.get(service, part()) for service in f.SERVICES}


def test_every_key_the_bureau_reports_is_a_figure_and_each_is_computed_or_explained():
    assert [figure.key for figure in f.FIGURES] == [
        "files_total", "files_completion_rate", "party_members",
        "village_party_secretaries_share", "martyr_families_visited", "visits_people",
        "visits_amount_fen", "social_care_beneficiaries", "relief_grants", "relief_amount_fen",
        "proxy_cases_completed", "disputes_resolved", "escalations", "bundle_received",
        "placements_officers", "placements_ncos", "placements_spouses",
        "officer_admin_post_rate", "nco_institution_post_rate", "employers", "postings",
        "job_fair_employers", "job_fair_posts", "job_fair_attendees", "job_fair_intentions",
        "stations_built", "stations_planned", "stations_exemplary_share"]
    values, reasons = f.compose(DISTRICT, parts())
    assert set(values) == {figure.key for figure in f.FIGURES}
    assert {key for key, value in values.items() if value is None} == set(reasons)


def test_counts_sums_distinct_subjects_stocks_and_rates():
    values, _ = f.compose(DISTRICT, parts(
        registry=part(to_date={"files": (11588, 11588), "files_complete": (11000, 11000),
                               "party_members": (5700, 5620)}),
        benefits=part(period={"visits": (9000, 8572), "visits_amount_fen": (227_100_000, 8572),
                              "martyr_family_visits": (180, 172)}),
        placement=part(period={"placed_officer": (11, 11),
                               "placed_officer_administrative": (11, 11),
                               "placed_nco": (20, 20), "placed_nco_institution": (14, 14)}),
        employment=part(period={"postings": (635, 138)})))
    assert values["files_total"] == 11588 and values["party_members"] == 5620
    assert values["files_completion_rate"] == {"numerator": 11000, "denominator": 11588,
                                               "rate": 0.9493}
    assert values["visits_people"] == 8572 and values["visits_amount_fen"] == 227_100_000
    assert values["martyr_families_visited"] == 172
    assert values["officer_admin_post_rate"]["rate"] == 1.0
    assert values["nco_institution_post_rate"]["rate"] == 0.7
    assert (values["employers"], values["postings"]) == (138, 635)
    assert values["escalations"] == 0                      # zero is a figure, not a null


def test_a_service_down_nulls_its_figures_only_and_says_why():
    values, reasons = f.compose(DISTRICT, parts(disputes={"unavailable": "timeout"}))
    assert values["escalations"] is None and "disputes unavailable (timeout)" in \
        reasons["escalations"]
    assert values["files_total"] == 0 and "files_total" not in reasons


def test_a_station_filter_nulls_the_figures_a_station_does_not_keep():
    station = f.Scope(DISTRICT.first, DISTRICT.last, None, None, ("多湖街道退役军人服务站",))
    values, reasons = f.compose(station, parts())
    assert values["postings"] is None and "station" in reasons["postings"]
    assert values["visits_people"] == 0
    township = f.Scope(DISTRICT.first, DISTRICT.last, None, "多湖街道", None)
    values, reasons = f.compose(township, parts())
    assert values["escalations"] is None and "township" in reasons["escalations"]
    assert values["postings"] == 0


def test_differences_name_the_corrections_behind_them():
    published, _ = f.compose(DISTRICT, parts(benefits=part(period={"visits": (3, 2)})))
    correction = {"position": 12, "event_type": "VisitWithdrawn", "metric": "visits",
                  "effective_on": "2020-07-31", "delta": -1, "recorded_on": "2021-01-05"}
    now_parts = parts(benefits=part(period={"visits": (2, 1)}, position=12, later=[correction]))
    now, _ = f.compose(DISTRICT, now_parts)
    differences = f.explain(published, now, now_parts)
    assert differences == [{"figure": "visits_people", "published": 2, "now": 1,
                            "corrections": [{"service": "benefits", **correction}]}]


def test_the_hash_changes_with_any_figure_or_position():
    values, _ = f.compose(DISTRICT, parts())
    one = f.digest(DISTRICT, {"registry": 10}, values)
    assert one == f.digest(DISTRICT, {"registry": 10}, dict(values))
    assert one != f.digest(DISTRICT, {"registry": 11}, values)
    assert one != f.digest(DISTRICT, {"registry": 10}, {**values, "files_total": 1})
