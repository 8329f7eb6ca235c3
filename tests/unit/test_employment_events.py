"""What employment publishes: each event's allow-listed public form, and no person in any of them."""
import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from faker import Faker
from stdnum.cn import uscc

from chassis.envelope import RecordedEvent
from chassis.relay import Relay
from contracts import catalogue
from contracts import employment as contract
from contracts.publication import NotPublishable
from services.employment.domain import events as ev
from services.employment.domain.townships import TOWNSHIPS
from services.employment.domain.vocabulary import POSTING_KINDS, TRAINING_KINDS

WHEN = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)

# One stored payload per event type, and exactly what goes out for it.
EMPLOYER = {"employer_id": "e1", "name": "金华市金东区顺达物流有限公司",
            "credit_code": "91330703MA2HXKQ0YB", "individual_business": False,
            "township": "孝顺镇", "industry": "物流", "contact_name": "王丽",
            "contact_phone": "13857912345", "registered_on": "2026-05-01"}
EXPECTED = {
    "EmployerRegistered": (EMPLOYER, {
        "employer_id": "e1", "name": "金华市金东区顺达物流有限公司",
        "credit_code": "91330703MA2HXKQ0YB", "individual_business": False, "township": "孝顺镇",
        "industry": "物流", "registered_on": "2026-05-01"}),
    "PostingPublished": (
        {"posting_id": "p1", "employer_id": "e1", "title": "仓储管理员", "kind": "logistics",
         "township": "孝顺镇", "pay_min_fen": 450000, "pay_max_fen": 600000,
         "requirements": ["叉车证"], "headcount": 2, "published_on": "2026-05-02"},
        {"posting_id": "p1", "employer_id": "e1", "title": "仓储管理员", "kind": "logistics",
         "township": "孝顺镇", "pay_min_fen": 450000, "pay_max_fen": 600000,
         "requirements": ["叉车证"], "headcount": 2, "published_on": "2026-05-02"}),
    "PostingClosed": (
        {"posting_id": "p1", "closed_on": "2026-05-20", "reason": "filled"},
        {"posting_id": "p1", "closed_on": "2026-05-20", "reason": "filled"}),
    "JobFairRecorded": (
        {"fair_id": "f1", "name": "专场招聘会", "held_on": "2026-05-18", "township": "多湖街道",
         "employer_ids": ["e1"], "employers_attending": 40, "posts_offered": 900,
         "veterans_attending": 31, "intentions_reached": 15},
        {"fair_id": "f1", "name": "专场招聘会", "held_on": "2026-05-18", "township": "多湖街道",
         "employer_ids": ["e1"], "employers_attending": 40, "posts_offered": 900,
         "veterans_attending": 31, "intentions_reached": 15}),
    "JobSeekerRegistered": (
        {"veteran_id": "v1", "township": "孝顺镇", "service_station": "孝顺镇退役军人服务站",
         "source": "placement", "registered_on": "2026-05-03"},
        {"veteran_id": "v1", "township": "孝顺镇", "service_station": "孝顺镇退役军人服务站",
         "source": "placement", "registered_on": "2026-05-03"}),
    "JobIntentionStated": (
        {"veteran_id": "v1", "kinds": ["logistics"], "townships": ["东孝街道"],
         "min_pay_fen": 500000, "skills": ["叉车证", "会修空调"]},
        {"veteran_id": "v1", "kinds": ["logistics"], "townships": ["东孝街道"]}),
    "EmploymentIntentionReached": (
        {"veteran_id": "v1", "intention_id": "i1", "employer_id": "e1", "posting_id": "p1",
         "fair_id": None, "reached_on": "2026-05-18"},
        {"veteran_id": "v1", "intention_id": "i1", "employer_id": "e1", "posting_id": "p1",
         "fair_id": None, "reached_on": "2026-05-18"}),
    "Hired": (
        {"veteran_id": "v1", "hire_id": "h1", "employer_id": "e1", "posting_id": None,
         "hired_on": "2026-05-25", "contract_months": 12, "social_insurance": True,
         "monthly_pay_fen": 520000},
        {"veteran_id": "v1", "hire_id": "h1", "employer_id": "e1", "posting_id": None,
         "hired_on": "2026-05-25", "contract_months": 12, "social_insurance": True,
         "employer_tax_relief_eligible": True}),
    "TrainingEnrolled": (
        {"veteran_id": "v1", "enrolment_id": "t1", "kind": "adaptive", "course": "适应性培训",
         "provider": "金东区退役军人事务局", "starts_on": "2026-06-10"},
        {"veteran_id": "v1", "enrolment_id": "t1", "kind": "adaptive", "course": "适应性培训",
         "provider": "金东区退役军人事务局", "starts_on": "2026-06-10"}),
    "StartupLoanGranted": (
        {"veteran_id": "v1", "loan_id": "l1", "lender": "金华银行", "amount_fen": 20000000,
         "term_months": 36, "annual_rate_bp": 345, "subsidy_percent": 50, "terms_year": 2026,
         "granted_on": "2026-03-01"},
        {"veteran_id": "v1", "loan_id": "l1", "lender": "金华银行", "term_months": 36,
         "subsidy_percent": 50, "terms_year": 2026, "granted_on": "2026-03-01"}),
    "ContestAwardGranted": (
        {"veteran_id": "v1", "award_id": "a1", "contest": "创业大赛", "award": "二等奖",
         "amount_fen": 1000000, "awarded_on": "2026-05-01"},
        {"veteran_id": "v1", "award_id": "a1", "contest": "创业大赛", "award": "二等奖",
         "awarded_on": "2026-05-01"}),
}


def recorded(event_type, data, stream="s1"):
    return RecordedEvent("e1", event_type, 1, stream, 1, 1, WHEN, WHEN, "c", None, "staff", data)


def test_every_event_type_has_an_expected_public_form_here():
    assert set(EXPECTED) == set(contract.EVENT_SCHEMAS) == set(contract.PUBLIC_SCHEMAS)
    assert contract.public_form.unpublished(contract.EVENT_SCHEMAS) == set()


@pytest.mark.parametrize("event_type", sorted(EXPECTED))
def test_each_event_is_published_as_its_allow_list_says(event_type):
    stored, expected = EXPECTED[event_type]
    assert contract.EVENT_SCHEMAS[event_type]().validate(stored) == {}
    public = contract.public_form(recorded(event_type, stored))
    assert public == expected
    assert contract.PUBLIC_SCHEMAS[event_type]().validate(public) == {}


def test_an_individual_business_is_published_without_its_name_or_code():
    stored = {**EMPLOYER, "name": "金东区王丽小吃店", "credit_code": "92330703MA2HXKQ1YX",
              "individual_business": True}
    public = contract.public_form(recorded("EmployerRegistered", stored))
    assert public["name"] is None and public["credit_code"] is None
    assert public["individual_business"] is True


def test_a_short_contract_or_no_insurance_is_not_the_employers_tax_relief():
    for months, insured, eligible in ((11, True, False), (12, False, False), (36, True, True)):
        stored = {**EXPECTED["Hired"][0], "contract_months": months, "social_insurance": insured}
        assert contract.public_form(recorded("Hired", stored))[
            "employer_tax_relief_eligible"] is eligible


def test_an_undeclared_event_type_is_never_published():
    with pytest.raises(NotPublishable):
        contract.public_form(recorded("SalaryLeaked", {"veteran_id": "v1"}))


def test_the_catalogue_lists_employments_public_forms_only():
    document = json.loads(catalogue.render())
    channels = {name.split("/")[1] for name in document["channels"]
                if name.startswith("employment.events/")}
    assert channels == set(contract.EVENT_SCHEMAS)
    schemas = document["components"]["schemas"]
    for event_type, schema in contract.PUBLIC_SCHEMAS.items():
        assert set(schemas[f"employment.{event_type}.v1"]["properties"]) == set(
            schema._declared_fields)
    published = {name for key, s in schemas.items() if key.startswith("employment.")
                 for name in s["properties"]}
    assert not {"contact_name", "contact_phone", "monthly_pay_fen", "amount_fen", "skills",
                "min_pay_fen", "annual_rate_bp"} & published


# -- no person on the bus: realistic events of every type, as the relay sends them ---------------

PER_TYPE = 200
SEED = 20261127


class People:
    """Realistic people and organisations from a seeded Faker zh_CN."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)

    def uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def day(self):
        return (date(2026, 1, 1) + timedelta(days=self.rng.randrange(300))).isoformat()

    def code(self, entity_type):
        body = f"9{entity_type}330703" + "".join(
            self.rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
        return body + uscc.calc_check_digit(body)

    def phone(self):
        while True:
            phone = self.fake.phone_number()
            if phone[-4] in "3456789":  # never reads as a year, month or day
                return phone

    def fen(self, low, high):
        # Odd amounts: a leak is told from a count or a year by its digits.
        return self.rng.randrange(low, high) * 100 + 37


def _employer(p):
    individual = p.rng.random() < 0.4
    owner, contact = p.fake.name(), p.fake.name()
    name = f"金东区{owner}{p.rng.choice(['小吃店', '汽修店', '便利店'])}" if individual \
        else p.fake.company()
    code, employer_id = p.code("2" if individual else "1"), p.uuid()
    phone = p.phone()
    # An enterprise's code and the id are published, and random: a phone whose last four digits
    # happen to sit in them would be a coincidence, not a leak, so such a phone is drawn again.
    while phone[-4:] in code + employer_id:
        phone = p.phone()
    secrets = [contact, phone, phone[-4:]]
    if individual:
        secrets += [name, owner, code]
    return ev.EmployerRegistered(employer_id, name, code, individual, p.rng.choice(TOWNSHIPS),
                                 "餐饮", contact, phone, date.fromisoformat(p.day())), secrets


def _intention(p):
    skills = (p.fake.job()[:20], f"{p.fake.name()}推荐")
    min_pay = p.fen(3000, 20000)
    return ev.JobIntentionStated(p.uuid(), (p.rng.choice(POSTING_KINDS),),
                                 (p.rng.choice(TOWNSHIPS),), min_pay, skills), \
        [*skills, str(min_pay)]


def _hire(p):
    pay = p.fen(3000, 20000)
    return ev.Hired(p.uuid(), p.uuid(), p.uuid(), None, date.fromisoformat(p.day()),
                    p.rng.choice((6, 12, 36)), p.rng.random() < 0.5, pay), [str(pay)]


def _loan(p):
    amount = p.fen(10000, 300000)
    rate = p.rng.randrange(301, 499, 2)
    return ev.StartupLoanGranted(p.uuid(), p.uuid(), "金华银行金东支行", amount, 36, rate, 50,
                                 2026, date.fromisoformat(p.day())), [str(amount)]


def _award(p):
    amount = p.fen(1000, 50000)
    return ev.ContestAwardGranted(p.uuid(), p.uuid(), "创业大赛", "一等奖", amount,
                                  date.fromisoformat(p.day())), [str(amount)]


def _nothing_personal(make):
    def build(p):
        return make(p), []
    return build


GENERATORS = {
    "EmployerRegistered": _employer,
    "JobIntentionStated": _intention,
    "Hired": _hire,
    "StartupLoanGranted": _loan,
    "ContestAwardGranted": _award,
    # Events with no personal field at all: still generated, so a field added later is caught by
    # the catalogue test above and by review of what these carry.
    "PostingPublished": _nothing_personal(lambda p: ev.PostingPublished(
        p.uuid(), p.uuid(), "仓储管理员", "logistics", "孝顺镇", 450000, 600000, ("叉车证",), 2,
        date.fromisoformat(p.day()))),
    "PostingClosed": _nothing_personal(lambda p: ev.PostingClosed(
        p.uuid(), date.fromisoformat(p.day()), "filled")),
    "JobFairRecorded": _nothing_personal(lambda p: ev.JobFairRecorded(
        p.uuid(), "招聘会", date.fromisoformat(p.day()), "多湖街道", (p.uuid(),), 40, 900, 31,
        15)),
    "JobSeekerRegistered": _nothing_personal(lambda p: ev.JobSeekerRegistered(
        p.uuid(), "孝顺镇", "孝顺镇退役军人服务站", "placement", date.fromisoformat(p.day()))),
    "EmploymentIntentionReached": _nothing_personal(lambda p: ev.EmploymentIntentionReached(
        p.uuid(), p.uuid(), p.uuid(), None, None, date.fromisoformat(p.day()))),
    "TrainingEnrolled": _nothing_personal(lambda p: ev.TrainingEnrolled(
        p.uuid(), p.uuid(), p.rng.choice(TRAINING_KINDS), "叉车司机", "金华技师学院",
        date.fromisoformat(p.day()))),
}


def _leaks(message: bytes, secrets, event: RecordedEvent | None = None) -> list[str]:
    sent = message.decode("ascii")
    read = json.dumps(json.loads(message), ensure_ascii=False)
    if event is not None:
        # The envelope's random ids carry nothing about anyone; four digits of a phone may sit
        # in one by chance.
        for generated in (event.event_id, event.correlation_id):
            sent, read = sent.replace(generated, "<uuid>"), read.replace(generated, "<uuid>")
    # Non-ASCII text is also looked for as sent (\u-escaped); digits only as read, or a phone's
    # last four could match the hex of an escaped character (有 is \u6709).
    return [s for s in secrets if s in read or (not s.isascii() and json.dumps(s)[1:-1] in sent)]


def test_there_is_a_generator_for_every_event_type():
    assert set(GENERATORS) == set(contract.EVENT_SCHEMAS)


@pytest.mark.parametrize("event_type", sorted(GENERATORS))
def test_no_published_event_carries_a_person(event_type):
    people = People(SEED + sorted(GENERATORS).index(event_type))
    relay = Relay("employment", None, "amqp://unused/", contract.public_form)
    problems = []
    for position in range(1, PER_TYPE + 1):
        event, secrets = GENERATORS[event_type](people)
        new = contract.to_new_event(event)
        stored = RecordedEvent(people.uuid(), new.event_type, 1, event.stream_id, 1, position,
                               WHEN, WHEN, people.uuid(), None, "station_worker:zhou.min",
                               new.data)
        body = relay.outgoing(stored).body
        problems += [f"#{position}: {leak!r}" for leak in _leaks(body, secrets, stored)]
        assert "zhou.min" not in body.decode()
    assert problems == [], f"{len(problems)} leak(s) in {event_type}, e.g. {problems[:5]}"


def test_the_leak_check_finds_what_the_stored_form_would_carry():
    people = People(SEED)
    for make in (_employer, _intention, _hire, _loan, _award):
        event, secrets = make(people)
        while not secrets:
            event, secrets = make(people)
        new = contract.to_new_event(event)
        stored = RecordedEvent(people.uuid(), new.event_type, 1, event.stream_id, 1, 1, WHEN,
                               WHEN, "c", None, "staff", new.data)
        unsafe = Relay("employment", None, "amqp://unused/", lambda e: dict(e.data))
        assert _leaks(unsafe.outgoing(stored).body, secrets)
