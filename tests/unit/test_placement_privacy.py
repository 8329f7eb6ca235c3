"""No published placement event carries a name, words a person typed or health facts: each type, realistic."""
from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from faker import Faker

from chassis.envelope import RecordedEvent
from chassis.relay import Relay
from contracts import catalogue
from contracts import placement as contract
from services.placement.domain import events as ev
from services.placement.domain.facts import Disability, Honour

PER_TYPE = 100
WHEN = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
fake = Faker("zh_CN")
fake.seed_instance(20261127)
rng = random.Random(20261127)
STATIONS = ("多湖街道退役军人服务站", "孝顺镇退役军人服务站", "澧浦镇退役军人服务站")
UNITS = ("金华市金东区农业农村局", "金华市金东区人民检察院", "金华市金东城市建设投资集团")
# Never published under any name: health facts and what else the rules read about a person.
NEVER_KEYS = {"disability", "grade", "nature", "honours", "age_at_discharge", "martyr_child",
              "expelled_from_party", "criminal_penalty", "discharged_by_force",
              "seriously_ill_unable_to_work", "spouse_name", "late_reason", "detail", "reason_text",
              "good_reason", "reference", "letter_number", "discharge_approved_on"}


class Person:
    """The secrets one case's events hold: each must stay off the bus."""

    def __init__(self):
        self.secrets: list[str] = []
        self.case_id, self.veteran_id = str(uuid.uuid4()), str(uuid.uuid4())

    def said(self) -> str:
        """Free text a person typed: a reason, a detail, a reference; often naming someone."""
        text = rng.choice([f"{fake.name()}住院, {fake.address()}", f"联系人{fake.phone_number()}",
                           fake.sentence(), f"{fake.name()}担保"])
        self.secrets.append(text)
        return text

    def name(self) -> str:
        name = fake.name()
        self.secrets.append(name)
        return name

    @property
    def ids(self) -> dict:
        return {"case_id": self.case_id, "veteran_id": self.veteran_id}


def day() -> date:
    return date(2026, 1, 1) + timedelta(days=rng.randrange(0, 700))


def facts() -> dict:
    return {"rank_class": rng.choice(contract.RANK_CLASSES), "years_of_service": rng.randint(1, 30),
            "age_at_discharge": rng.choice([None, rng.randint(19, 58)]),
            "honours": tuple(Honour(rng.choice(contract.HONOUR_KINDS), rng.random() < 0.2)
                             for _ in range(rng.randint(0, 3))),
            "disability": rng.choice([None, Disability(rng.choice(contract.DISABILITY_NATURES),
                                                       rng.randint(1, 10))]),
            "martyr_child": rng.random() < 0.1, "expelled_from_party": rng.random() < 0.05,
            "criminal_penalty": rng.random() < 0.05, "discharged_by_force": rng.random() < 0.05,
            "seriously_ill_unable_to_work": rng.random() < 0.05}


GENERATORS = {
    "ReportedIn": lambda p: ev.ReportedIn(
        **p.ids, **facts(), case_kind=rng.choice(("soldier", "officer")),
        service_station=rng.choice(STATIONS), township="多湖街道", discharge_approved_on=day(),
        reported_on=day(), report_in_due_on=day(),
        late_reason=rng.choice([None, p.said()])),
    "FactsAmended": lambda p: ev.FactsAmended(**p.ids, **facts()),
    "PlacementForfeited": lambda p: ev.PlacementForfeited(
        **p.ids, reason=rng.choice(contract.FORFEITURES), article="安置条例 Art. 51", on=day(),
        detail=p.said()),
    "LateReasonRecorded": lambda p: ev.LateReasonRecorded(**p.ids, on=day(), reason=p.said()),
    "ModeChosen": lambda p: ev.ModeChosen(**p.ids, mode=rng.choice(contract.MODES), on=day()),
    "SubsidyAssessed": lambda p: ev.SubsidyAssessed(
        **p.ids, standard_year=2026, years_of_service=5, fen_per_year=450000, amount_fen=2250000),
    "SubsidyPaid": lambda p: ev.SubsidyPaid(**p.ids, amount_fen=2250000, paid_on=day(),
                                           reference=p.said()),
    "HandedToEmployment": lambda p: ev.HandedToEmployment(**p.ids, on=day()),
    "Scored": lambda p: ev.Scored(**p.ids, points=rng.randint(0, 300), on=day()),
    "PostOffered": lambda p: ev.PostOffered(**p.ids, post_id=str(uuid.uuid4()),
                                           post_kind=rng.choice(contract.POST_KINDS),
                                           unit=rng.choice(UNITS), on=day()),
    "PostAccepted": lambda p: ev.PostAccepted(**p.ids, post_id=str(uuid.uuid4()), on=day()),
    "PostDeclined": lambda p: ev.PostDeclined(**p.ids, post_id=str(uuid.uuid4()), on=day(),
                                             good_reason=rng.choice([None, p.said()])),
    "ReferralLetterIssued": lambda p: ev.ReferralLetterIssued(
        **p.ids, letter_number=p.said(), issued_on=day(), on_post_due_on=day()),
    "Placed": lambda p: ev.Placed(**p.ids, post_kind=rng.choice(contract.POST_KINDS),
                                 unit=rng.choice(UNITS), placed_on=day()),
    "OnPostRecorded": lambda p: ev.OnPostRecorded(**p.ids, on_post_on=day()),
    "ContractRecorded": lambda p: ev.ContractRecorded(**p.ids, signed_on=day(),
                                                     term_years=rng.choice([None, 3, 5]),
                                                     open_ended=rng.random() < 0.5),
    "TransferAssigned": lambda p: ev.TransferAssigned(
        **p.ids, method=rng.choice(contract.TRANSFER_METHODS),
        planned_kind=rng.choice(contract.POST_KINDS), on=day()),
    "SpouseReceived": lambda p: ev.SpouseReceived(
        **p.ids, officer_case_id=str(uuid.uuid4()), spouse_name=p.name(), received_on=day(),
        service_station=rng.choice(STATIONS), township="多湖街道",
        employed_as=rng.choice([None, *contract.POST_KINDS])),
    "SpouseLinked": lambda p: ev.SpouseLinked(**p.ids, spouse_case_id=str(uuid.uuid4())),
    "PlacementOverdue": lambda p: ev.PlacementOverdue(**p.ids, due_on=day()),
    "OnPostOverdue": lambda p: ev.OnPostOverdue(**p.ids, due_on=day()),
    "CaseClosed": lambda p: ev.CaseClosed(**p.ids, outcome=rng.choice(contract.CLOSE_OUTCOMES),
                                         on=day()),
    "PostQuotaRegistered": lambda p: ev.PostQuotaRegistered(
        post_id=str(uuid.uuid4()), unit=rng.choice(UNITS),
        post_kind=rng.choice(contract.POST_KINDS), title="综合岗", year=2026,
        positions=rng.randint(1, 5)),
    "PostHeld": lambda p: ev.PostHeld(post_id=str(uuid.uuid4()), case_id=p.case_id),
    "PostReleased": lambda p: ev.PostReleased(post_id=str(uuid.uuid4()), case_id=p.case_id,
                                             reason=rng.choice(("declined", "forfeited"))),
    "PostFilled": lambda p: ev.PostFilled(post_id=str(uuid.uuid4()), case_id=p.case_id),
}


def stored(domain_event) -> RecordedEvent:
    """The event as the store hands it to the relay: serialised by placement's own contract."""
    new = contract.to_new_event(domain_event)
    return RecordedEvent(str(uuid.uuid4()), new.event_type, new.schema_version,
                         str(uuid.uuid4()), 3, 7, WHEN, WHEN, str(uuid.uuid4()), None,
                         "placement_officer", new.data)


def keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys(v) for v in value)) if value else set()
    return set()


def test_there_is_a_realistic_generator_for_every_placement_event_type():
    assert set(GENERATORS) == set(contract.EVENT_SCHEMAS) == set(ev.EVENT_TYPES)
    assert set(contract.PUBLIC_SCHEMAS) == set(contract.EVENT_SCHEMAS)  # every one publishable


@pytest.mark.parametrize("event_type", sorted(GENERATORS))
def test_no_published_placement_event_carries_what_a_person_said_or_their_health(event_type):
    relay = Relay("placement", None, "amqp://unused/", contract.public_form)
    problems = []
    for n in range(PER_TYPE):
        person = Person()
        event = stored(GENERATORS[event_type](person))
        assert event.event_type == event_type
        body = relay.outgoing(event).body
        sent = body.decode("ascii")
        read = json.dumps(json.loads(body), ensure_ascii=False)
        for secret in person.secrets:
            if secret in read or json.dumps(secret)[1:-1] in sent:
                problems.append(f"#{n}: {secret!r}")
        problems += [f"#{n}: key {k!r}" for k in keys(json.loads(body)["data"]) & NEVER_KEYS]
    assert problems == [], f"{len(problems)} leak(s) in {event_type}, e.g. {problems[:5]}"


def test_the_leak_check_finds_what_the_stored_payload_would_carry():
    person = Person()
    event = stored(GENERATORS["SpouseReceived"](person))
    unsafe = Relay("placement", None, "amqp://unused/", lambda e: dict(e.data))
    assert person.secrets[0] in json.dumps(json.loads(unsafe.outgoing(event).body),
                                           ensure_ascii=False)


def test_the_catalogue_lists_placements_public_forms_only():
    document = catalogue.document()
    channels = {name.split("/", 1)[1] for name in document["channels"]
                if name.startswith("placement.events/")}
    assert channels == set(contract.PUBLIC_SCHEMAS)
    payload = document["components"]["schemas"]["placement.SpouseReceived.v1"]
    assert "spouse_name" not in payload["properties"]
    assert "disability" not in \
        document["components"]["schemas"]["placement.ReportedIn.v1"]["properties"]
