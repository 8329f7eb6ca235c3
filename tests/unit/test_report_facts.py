"""Each service's facts for the bureau's figures, from hand-built events: days, deltas, corrections."""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime

from chassis.envelope import RecordedEvent
from chassis.report_facts import MemoryHomes, recorded_day
from services.benefits import report as benefits
from services.bundle import report as bundle
from services.disputes import report as disputes
from services.employment import report as employment
from services.placement import report as placement
from services.registry import report as registry

STATION = "多湖街道退役军人服务站"
OTHER = "澧浦镇退役军人服务站"


class Feed:
    """A service's rule fed event by event, as the projection feeds it; sums like totals()."""

    def __init__(self, rule):
        self.rule, self.homes, self.facts, self.position = rule, MemoryHomes(), [], 0

    def add(self, event_type: str, data: dict, recorded_at: datetime | None = None) -> list:
        self.position += 1
        event = RecordedEvent(
            event_id=str(uuid.uuid4()), event_type=event_type, schema_version=1,
            stream_id="s", stream_version=1, position=self.position,
            occurred_at=recorded_at or datetime(2020, 6, 1, 4, tzinfo=UTC),
            recorded_at=recorded_at or datetime(2020, 6, 1, 4, tzinfo=UTC),
            correlation_id="c", causation_id=None, actor="staff", data=data)
        new = self.rule(event, self.homes)
        self.facts += [(self.position, f) for f in new]
        return new

    def total(self, metric, first=date(2020, 1, 1), last=date(2020, 12, 31), upto=None,
              station=None, stock=False) -> int:
        return sum(f.delta for p, f in self._in(metric, first, last, upto, station, stock))

    def subjects(self, metric, first=date(2020, 1, 1), last=date(2020, 12, 31), upto=None,
                 stock=False) -> int:
        net = defaultdict(int)
        for _, f in self._in(metric, first, last, upto, None, stock):
            net[f.subject] += f.delta
        return sum(1 for v in net.values() if v > 0)

    def _in(self, metric, first, last, upto, station, stock):
        for position, fact in self.facts:
            if fact.metric != metric or (upto is not None and position > upto):
                continue
            if station is not None and fact.station != station:
                continue
            if fact.effective_on > last or (not stock and fact.effective_on < first):
                continue
            yield position, fact


def _registered(veteran: str, station: str = STATION, discharged_on="1990-12-01") -> dict:
    return {"veteran_id": veteran, "name": "x", "id_number": "x", "sex": "male",
            "birth_date": "1968-05-17", "phone": None, "address": None, "township": "多湖街道",
            "service_station": station, "enlisted_on": "1986-12-01",
            "discharged_on": discharged_on, "branch": "陆军", "rank": "上士",
            "discharge_category": "discharged_soldier", "area_code_known": True,
            "life_stage": "discharge"}


# -- registry ---------------------------------------------------------------------------------------

def test_files_count_from_the_day_recorded_in_shanghai_up_to_the_period_end():
    feed = Feed(registry.facts)
    # 2020-12-31 17:00 UTC is already 2021-01-01 in Shanghai.
    late = datetime(2020, 12, 31, 17, tzinfo=UTC)
    assert recorded_day(RecordedEvent("e", "t", 1, "s", 1, 1, late, late, "c", None, "a", {})) \
        == date(2021, 1, 1)
    feed.add("VeteranRegistered", _registered("v1"), datetime(2019, 3, 1, 4, tzinfo=UTC))
    feed.add("VeteranRegistered", _registered("v2", OTHER), datetime(2020, 3, 1, 4, tzinfo=UTC))
    feed.add("VeteranRegistered", _registered("v3"), late)
    assert feed.total("files", stock=True) == 2            # v3 is a 2021 file
    assert feed.total("files", last=date(2021, 1, 1), stock=True) == 3
    assert feed.total("files", station=STATION, stock=True) == 1


def test_an_imported_paper_file_counts_from_the_day_it_was_first_registered():
    feed = Feed(registry.facts)
    imported = datetime(2026, 11, 27, 2, tzinfo=UTC)
    feed.add("VeteranRegistered", {**_registered("v1"), "effective_on": "2020-04-09"}, imported)
    feed.add("VeteranRegistered", _registered("v2"), imported)   # no 建档日期: the import day
    assert feed.total("files", stock=True) == 1                  # 2020 counts the paper file
    assert feed.total("files", last=date(2020, 4, 8), stock=True) == 0
    assert feed.total("files", first=date(2026, 1, 1), last=date(2026, 12, 31)) == 1  # new: v2
    assert feed.total("files", last=date(2026, 12, 31), stock=True) == 2


def test_a_file_is_complete_once_it_holds_the_discharge_and_a_grid_worker():
    feed = Feed(registry.facts)
    feed.add("VeteranRegistered", _registered("v1", discharged_on=None))
    feed.add("GridWorkerAssigned", {"veteran_id": "v1", "grid_worker": "王"})
    assert feed.total("files_complete", stock=True) == 0
    feed.add("DischargeRecorded", {"veteran_id": "v1", "discharged_on": "2020-05-01",
                                   "discharge_category": "discharged_soldier", "rank": None,
                                   "effective_on": "2020-05-03"})
    assert feed.total("files_complete", stock=True) == 1
    assert feed.total("files_complete", last=date(2020, 5, 2), stock=True) == 0  # effective day
    feed.add("GridWorkerAssigned", {"veteran_id": "v1", "grid_worker": "李"})
    assert feed.total("files_complete", stock=True) == 1   # counted once


def test_party_membership_counts_on_the_day_joined_and_a_later_correction_moves_it():
    feed = Feed(registry.facts)
    feed.add("VeteranRegistered", _registered("v1"))
    feed.add("PartyMembershipRecorded", {"veteran_id": "v1", "joined_on": "2021-07-01",
                                         "party_branch": "b"})
    published = feed.position
    assert feed.total("party_members", stock=True) == 0    # joined after 2020
    # Recorded later: the day was wrong, it was 1988. A new event, a past effective date.
    feed.add("PartyMembershipRecorded", {"veteran_id": "v1", "joined_on": "1988-07-01",
                                         "party_branch": "b"})
    assert feed.total("party_members", stock=True) == 1
    assert feed.total("party_members", stock=True, upto=published) == 0   # as published
    assert feed.total("party_members", last=date(2021, 12, 31), stock=True) == 1  # not twice


# -- benefits ---------------------------------------------------------------------------------------

def _visit(visit_id: str, veteran: str, on: str, fen: int) -> dict:
    return {"visit_id": visit_id, "campaign_id": "c", "veteran_id": veteran, "station": STATION,
            "township": "多湖街道", "visited_on": on, "visitors": "x", "amount_fen": fen,
            "goods": None, "goods_value_fen": 0, "hardship_found": False, "notes": None,
            "recorded_by": "w"}


def test_visits_people_money_and_martyr_families_with_a_withdrawal_taken_back():
    feed = Feed(benefits.facts)
    feed.add("EntitlementApplied", {"entitlement_id": "e", "veteran_id": "m1", "station": STATION,
                                    "township": "多湖街道", "kind": "survivors_pension",
                                    "tie": "martyr", "applied_on": "2019-01-01"})
    feed.add("VisitRecorded", _visit("w1", "m1", "2020-04-03", 50000))
    feed.add("VisitRecorded", _visit("w2", "m1", "2020-07-31", 30000))
    feed.add("VisitRecorded", _visit("w3", "v2", "2020-07-31", 20000))
    published = feed.position
    assert feed.total("visits") == 3 and feed.subjects("visits") == 2
    assert feed.total("visits_amount_fen") == 100000
    assert feed.subjects("martyr_family_visits") == 1
    # Withdrawn in 2021: taken back on the visit's own day, the 2020 figure changes.
    feed.add("VisitWithdrawn", {"visit_id": "w3", "campaign_id": "c", "veteran_id": "v2",
                                "reason": "duplicate", "withdrawn_by": "w",
                                "withdrawn_on": "2021-01-05"})
    assert feed.total("visits_amount_fen") == 80000 and feed.subjects("visits") == 1
    assert feed.total("visits_amount_fen", upto=published) == 100000
    assert feed.add("VisitWithdrawn", {"visit_id": "w3", "veteran_id": "v2",
                                       "withdrawn_on": "2021-01-06"}) == []  # once


def test_a_martyrs_family_from_the_registrys_tie_counts_from_when_benefits_noted_it():
    feed = Feed(benefits.facts)

    def tie(veteran, kind, noted_on):
        return {"family_id": f"f-{veteran}", "veteran_id": veteran, "tie": kind,
                "noted_on": noted_on, "source_event_id": "r"}

    feed.add("VisitRecorded", _visit("w0", "m1", "2020-03-01", 10000))  # before the tie: not
    feed.add("SurvivorTieNoted", tie("m1", "martyr", "2020-03-20"))      # no entitlement at all
    feed.add("SurvivorTieNoted", tie("d1", "died_on_duty", "2020-03-20"))
    feed.add("VisitRecorded", _visit("w1", "m1", "2020-04-03", 50000))
    feed.add("VisitRecorded", _visit("w2", "d1", "2020-04-03", 50000))   # not a martyr's family
    feed.add("VisitRecorded", _visit("w3", "v3", "2020-04-03", 50000))   # no tie
    # Recorded after the tie though made before it (visited in February): counted, as known
    # when it was recorded.
    feed.add("VisitRecorded", _visit("w4", "m1", "2020-02-10", 10000))
    assert feed.total("martyr_family_visits") == 2 and feed.subjects("martyr_family_visits") == 1
    assert feed.subjects("martyr_family_visits", last=date(2020, 2, 28)) == 1   # w4's day
    assert feed.total("visits") == 5 and feed.subjects("visits") == 3
    # A tie noted after a visit does not reach back to it, whatever day it took effect on the
    # registry's file (that day is not published): the earlier visit stays uncounted.
    feed.add("VisitRecorded", _visit("w5", "m2", "2020-05-01", 10000))
    feed.add("SurvivorTieNoted", tie("m2", "martyr", "2020-06-01"))
    assert feed.subjects("martyr_family_visits") == 1
    feed.add("VisitWithdrawn", {"visit_id": "w1", "campaign_id": "c", "veteran_id": "m1",
                                "reason": "duplicate", "withdrawn_by": "w",
                                "withdrawn_on": "2020-06-05"})
    assert feed.total("martyr_family_visits") == 1   # w1's +1 taken back, w4 still counts


def test_relief_counts_grants_and_fen_on_the_day_paid_at_the_application_station():
    feed = Feed(benefits.facts)
    feed.add("ReliefApplied", {"application_id": "a1", "veteran_id": "v1", "station": OTHER,
                               "township": "澧浦镇", "trigger": "illness"})
    feed.add("ReliefApproved", {"application_id": "a1", "veteran_id": "v1"})
    feed.add("ReliefDisbursed", {"application_id": "a1", "veteran_id": "v1", "paid_fen": 245050,
                                 "paid_on": "2021-01-02", "reference": "r", "disbursed_by": "o"})
    assert feed.total("relief_grants") == 0
    assert feed.total("relief_amount_fen", last=date(2021, 12, 31)) == 245050
    assert feed.total("relief_grants", last=date(2021, 12, 31), station=OTHER) == 1


# -- disputes, employment, placement, bundle ------------------------------------------------------

def test_proxy_cases_disputes_and_escalations_count_their_closing_day_and_station():
    feed = Feed(disputes.facts)
    feed.add("ProxyCaseOpened", {"proxy_case_id": "p1", "veteran_id": "v", "service_station": OTHER})
    feed.add("ProxyCaseOpened", {"proxy_case_id": "p2", "veteran_id": "v", "service_station": OTHER})
    feed.add("ProxyCaseClosed", {"proxy_case_id": "p1", "outcome": "completed",
                                 "closed_on": "2020-05-01"})
    feed.add("ProxyCaseClosed", {"proxy_case_id": "p2", "outcome": "not_completed",
                                 "closed_on": "2020-05-01"})
    feed.add("DisputeOpened", {"dispute_id": "d1", "veteran_id": "v", "service_station": STATION})
    feed.add("DisputeResolved", {"dispute_id": "d1", "outcome": "resolved",
                                 "resolved_on": "2020-09-09"})
    feed.add("PetitionLodged", {"petition_id": "t1", "veteran_id": "v", "service_station": STATION})
    feed.add("PetitionEscalated", {"petition_id": "t1", "level": "province",
                                   "escalated_on": "2020-10-10"})
    assert feed.total("proxy_cases_completed", station=OTHER) == 1
    assert feed.total("disputes_resolved", station=STATION) == 1
    assert feed.total("escalations") == 1
    assert feed.total("escalations", first=date(2020, 10, 11)) == 0


def test_postings_count_their_employers_once_and_fairs_their_recorded_numbers():
    feed = Feed(employment.facts)
    for posting, employer, on in (("p1", "e1", "2020-02-01"), ("p2", "e1", "2020-03-01"),
                                  ("p3", "e2", "2019-12-31")):
        feed.add("PostingPublished", {"posting_id": posting, "employer_id": employer,
                                      "township": "多湖街道", "published_on": on})
    feed.add("JobFairRecorded", {"fair_id": "f1", "held_on": "2020-08-01", "township": "多湖街道",
                                 "employers_attending": 189, "posts_offered": 4100,
                                 "veterans_attending": 126, "intentions_reached": 66})
    assert feed.total("postings") == 2 and feed.subjects("postings") == 1
    assert [feed.total(m) for m in ("job_fair_employers", "job_fair_posts", "job_fair_attendees",
                                    "job_fair_intentions")] == [189, 4100, 126, 66]


def test_placements_by_who_and_the_posts_the_rates_count():
    feed = Feed(placement.facts)
    cases = (("c1", "officer", "officer", "administrative"), ("c2", "officer", "officer",
                                                              "enterprise"),
             ("c3", "soldier", "senior_nco", "institution"), ("c4", "soldier", "junior_nco",
                                                              "enterprise"),
             ("c5", "soldier", "conscript", "institution"))
    for case, kind, rank, _ in cases:
        feed.add("ReportedIn", {"case_id": case, "veteran_id": case, "case_kind": kind,
                                "rank_class": rank, "service_station": STATION,
                                "township": "多湖街道"})
    feed.add("SpouseReceived", {"case_id": "s1", "veteran_id": "s1", "officer_case_id": "c1",
                                "received_on": "2020-03-01", "service_station": STATION,
                                "township": "多湖街道"})
    for case, _, _, post in (*cases, ("s1", None, None, "institution")):
        feed.add("Placed", {"case_id": case, "veteran_id": case, "post_kind": post, "unit": "u",
                            "placed_on": "2020-09-01"})
    assert feed.total("placed_officer") == 2 and feed.total("placed_officer_administrative") == 1
    assert feed.total("placed_nco") == 2 and feed.total("placed_nco_institution") == 1
    assert feed.total("placed_spouse") == 1 and feed.total("placed_conscript") == 1


def test_bundles_count_the_soldiers_received_on_the_day_submitted():
    feed = Feed(bundle.facts)
    feed.add("BundleSubmitted", {"bundle_id": "b1", "veteran_id": "v1", "station": STATION,
                                 "township": "多湖街道", "submitted_on": "2020-12-30"})
    feed.add("BundleSubmitted", {"bundle_id": "b2", "veteran_id": "v2", "station": STATION,
                                 "township": "多湖街道", "submitted_on": "2021-01-03"})
    assert feed.total("bundles_received") == 1


def test_stations_planned_built_and_rated_count_from_their_own_days():
    feed = Feed(registry.facts)
    feed.add("StationRegistered", {"station_id": "s1", "station_name": STATION, "level": "township",
                                   "parent_id": None, "township": "多湖街道", "status": "built",
                                   "planned_on": "2019-06-01", "built_on": "2020-05-01"})
    feed.add("StationRegistered", {"station_id": "s2", "station_name": OTHER, "level": "township",
                                   "parent_id": None, "township": "澧浦镇", "status": "planned",
                                   "planned_on": "2020-03-01", "built_on": None})
    feed.add("StationBuildRecorded", {"station_id": "s2", "status": "building",
                                      "on": "2020-06-01"})
    feed.add("StationBuildRecorded", {"station_id": "s2", "status": "built", "on": "2021-02-01"})
    feed.add("StationRated", {"station_id": "s1", "rating": "exemplary",
                              "rated_on": "2020-12-01"})
    assert feed.subjects("stations_planned", stock=True) == 2
    assert feed.subjects("stations_built", stock=True) == 1        # s2 was built in 2021
    assert feed.subjects("stations_built", last=date(2021, 12, 31), stock=True) == 2
    assert feed.subjects("stations_exemplary", stock=True) == 1
    assert feed.subjects("stations_planned", last=date(2019, 12, 31), stock=True) == 1
    assert feed.total("stations_built", station=OTHER, last=date(2021, 12, 31), stock=True) == 1


def test_village_party_secretaries_serve_from_since_to_until_and_a_correction_replaces_the_term():
    feed = Feed(registry.facts)
    feed.add("VeteranRegistered", _registered("v1"))
    feed.add("VeteranRegistered", _registered("v2"))
    feed.add("StationRegistered", {"station_id": "s1", "station_name": "驿头社区退役军人服务站",
                                   "level": "village", "parent_id": None, "township": "多湖街道",
                                   "status": "planned", "planned_on": "2019-01-01",
                                   "built_on": None})
    feed.add("VillageSecretaryRecorded", {"veteran_id": "v1", "village": "驿头社区",
                                          "since": "2020-11-01", "until": None})
    feed.add("VillageSecretaryRecorded", {"veteran_id": "v2", "village": "中柔村",
                                          "since": "2017-11-01", "until": "2020-10-31"})
    assert feed.subjects("village_party_secretaries", stock=True) == 1          # v1 serving
    assert feed.subjects("village_party_secretaries", last=date(2020, 10, 31), stock=True) == 1
    assert feed.subjects("village_stations_planned", stock=True) == 1
    published = feed.position
    # Recorded again: v1's term began in 2021, not 2020 (a correction of the day).
    feed.add("VillageSecretaryRecorded", {"veteran_id": "v1", "village": "驿头社区",
                                          "since": "2021-01-05", "until": None})
    assert feed.subjects("village_party_secretaries", stock=True) == 0
    assert feed.subjects("village_party_secretaries", stock=True, upto=published) == 1
    assert feed.subjects("village_party_secretaries", last=date(2021, 12, 31), stock=True) == 1


def test_social_care_counts_each_beneficiary_once_on_the_day_served():
    feed = Feed(benefits.facts)
    for care, veteran, on in (("c1", "v1", "2020-03-01"), ("c2", "v1", "2020-09-01"),
                              ("c3", "v2", "2021-01-02")):
        feed.add("SocialCareProvided", {"care_id": care, "veteran_id": veteran,
                                        "station": STATION, "township": "多湖街道",
                                        "service": "health_record", "provided_on": on,
                                        "provider": "p", "recorded_by": "w"})
    assert feed.subjects("social_care") == 1 and feed.total("social_care") == 2
    assert feed.subjects("social_care", last=date(2021, 12, 31)) == 2
