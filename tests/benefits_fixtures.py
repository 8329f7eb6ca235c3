"""Benefits test data: a standards table with figures made up for tests, veterans' facts and actors."""
from __future__ import annotations

from datetime import date

import pytest

from chassis.db import Database
from chassis.migrate import CHASSIS_MIGRATIONS, service_migrations
from services.benefits.domain.case import Actor, VeteranFacts
from services.benefits.domain.standards import StandardsTable, YearStandards

TODAY = date(2026, 11, 27)
STATION = "多湖街道退役军人服务站"

# Test figures only (the shipped table is services/benefits/standards.yaml): round numbers, so
# a wrong formula cannot match by accident.
TEST_YEAR = YearStandards(
    year=2026,
    disability_pension={("combat", 1): 8_815_000, ("duty", 1): 8_537_000,
                        ("illness", 1): 8_257_000, ("combat", 3): 6_000_000,
                        ("combat", 6): 3_000_000, ("illness", 6): 2_000_000},
    survivors_pension={"martyr": 2_798_000, "died_on_duty": 2_500_000,
                       "died_of_illness": 2_400_000},
    living_allowance={"rural_over_60": 600_000},
    local_average_monthly_wage=900_001,
    minimum_living_monthly=110_000,
    national_urban_income_last_year=5_418_800,
    honour_raise_percent={"first_class_merit": 15, "third_class_merit": 5},
    sources={"default": "test figures"},
)
STANDARDS = StandardsTable({2026: TEST_YEAR,
                            2027: YearStandards(year=2027, disability_pension={
                                ("combat", 1): 9_000_000}, minimum_living_monthly=120_000,
                                sources={"default": "test figures"})})

HANDLER = Actor("station-worker-1", ("station_worker",))
OFFICER = Actor("officer-1", ("benefits_officer",))
OTHER_OFFICER = Actor("officer-2", ("benefits_officer",))
APPROVER = Actor("approver-1", ("approver",))


def veteran(veteran_id: str = "v-1", discharged: bool = True, ties=()) -> VeteranFacts:
    return VeteranFacts(veteran_id, STATION, "多湖街道", discharged=discharged, ties=tuple(ties))


# Every table a benefits test database holds besides the store's own.
TABLES = ("deadlines", "benefit_veterans", "relief_list", "entitlement_list", "card_list",
          "offer_list", "campaign_list", "visit_list", "stream_progress", "parked_events",
          "dead_lettered")


@pytest.fixture(scope="session")
def benefits_database_url():
    from tests.conftest import fresh_database

    return fresh_database("vetlife_benefits_test",
                          [CHASSIS_MIGRATIONS, service_migrations("benefits")])


@pytest.fixture
def benefits_db(benefits_database_url):
    from tests.conftest import truncate

    db = Database(benefits_database_url)
    truncate(db, *TABLES)
    yield db
    db.close()
