"""No published disputes event carries what anyone said or who they are: every type, realistic people."""
from __future__ import annotations

import json
import random
import uuid
from dataclasses import fields
from datetime import UTC, date, datetime

import pytest
from faker import Faker

from chassis.envelope import RecordedEvent
from contracts import catalogue
from contracts import disputes as contract
from services.disputes.domain import model

PER_TYPE = 100
WHEN = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
fake = Faker("zh_CN")
fake.seed_instance(20261102)
rng = random.Random(20261102)

# Every stored field that holds what a person said or who a person is: never published.
PERSONAL = {"petitioner_name", "petitioner_phone", "petitioner_address", "relation",
            "representatives", "request", "facts", "notice", "reason", "opinion", "grounds",
            "answer", "note", "summary", "parties", "mediator", "lawyer", "firm", "matter",
            "agent", "handler", "requested_by", "approved_by", "refused_by", "transferred_to",
            "matter_key"}
# What a field of each kind is filled with: the vocabulary where there is one.
WORDS = {"channel": contract.CHANNELS, "petitioner_kind": contract.PETITIONER_KINDS,
         "category": contract.CATEGORIES, "ground": contract.REFUSAL_GROUNDS,
         "procedure": contract.PROCEDURES, "outcome": contract.OPINION_OUTCOMES,
         "stage": contract.REVIEW_STAGES, "level": contract.LEVELS,
         "forwarded_from_level": contract.LEVELS, "matter_kind": contract.MATTER_KINDS,
         "agent_kind": contract.AGENT_KINDS, "trigger": contract.HARDSHIP_TRIGGERS,
         "source": contract.CASE_KINDS, "intake_rule": contract.INTAKE_RULES,
         "reason_code": contract.ESCALATION_REASONS,
         "service_station": ("多湖街道退役军人服务站", "孝顺镇退役军人服务站")}
OUTCOMES = {"ReviewAnswered": contract.REVIEW_OUTCOMES, "DisputeResolved": contract.DISPUTE_OUTCOMES,
            "ProxyCaseClosed": contract.PROXY_OUTCOMES}


def _secret() -> str:
    """A string no public field could hold by chance: a person's name, phone or words."""
    return rng.choice([fake.name(), fake.phone_number(), fake.address(), fake.sentence()])


def _value(event_type: str, name: str, annotation: str, secrets: list[str]):
    if name in PERSONAL:
        if "tuple" in annotation:
            values = tuple(_secret() for _ in range(rng.randint(1, 5)))
            secrets.extend(values)
            return values
        secret = _secret()
        secrets.append(secret)
        return secret
    if name == "outcome" and event_type in OUTCOMES:
        return rng.choice(OUTCOMES[event_type])
    if name in WORDS:
        return rng.choice(WORDS[name])
    if "date" in annotation:
        return date(2026, rng.randint(1, 12), rng.randint(1, 28))
    if "bool" in annotation:
        return rng.random() < 0.5
    if "int" in annotation:
        return rng.randint(1, 40)
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def realistic(event_type: str) -> tuple[RecordedEvent, list[str]]:
    cls = model.EVENT_TYPES[event_type]
    secrets: list[str] = []
    values = {f.name: _value(event_type, f.name, str(f.type), secrets) for f in fields(cls)}
    new = contract.to_new_event(cls(**values))
    return RecordedEvent(str(uuid.uuid4()), event_type, 1, "s", 1, 1, WHEN, WHEN, "c", None,
                         "disputes_officer", new.data), secrets


@pytest.mark.parametrize("event_type", sorted(model.EVENT_TYPES))
def test_no_public_form_carries_a_name_a_contact_or_anything_written(event_type):
    schema = contract.PUBLIC_SCHEMAS[event_type]()
    for _ in range(PER_TYPE):
        event, secrets = realistic(event_type)
        public = contract.public_form(event)
        text = json.dumps(public, ensure_ascii=False)
        assert not [s for s in secrets if s in text], event_type
        assert not PERSONAL & set(public)
        assert schema.validate(public) == {}, (event_type, schema.validate(public))


def test_the_stored_form_reads_back_as_the_domain_event():
    for event_type in model.EVENT_TYPES:
        event, _ = realistic(event_type)
        assert model.EVENT_TYPES[event_type](**contract.load_data(event))


def test_the_catalogue_lists_every_disputes_event_with_its_public_payload_only():
    document = json.loads(catalogue.render())
    channels = {name.split("/")[1] for name in document["channels"]
                if name.startswith("disputes.events/")}
    assert channels == set(contract.EVENT_SCHEMAS)
    schemas = {key: value for key, value in document["components"]["schemas"].items()
               if key.startswith("disputes.")}
    everything = {name for schema in schemas.values() for name in schema["properties"]}
    assert not PERSONAL & everything
    assert "HardshipReferred" in channels
