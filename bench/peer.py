"""The peer row: our whole registration command against the eventsourcing library doing the same."""
from __future__ import annotations

import os
import uuid
from dataclasses import asdict
from datetime import date

from bench.data import id_numbers
from bench.stats import rate
from chassis.envelope import Metadata
from chassis.store import PostgresEventStore, digest
from services.registry import handlers
from services.registry.domain import model

# Both sides decide with one fixed "today", so no registration is refused by the calendar.
TODAY = date(2026, 11, 27)
NAMESPACE = uuid.UUID("6f1c2a9e-4a53-4d0e-9d3b-0c3f3c7e2b11")


def register_commands(count: int, area: str) -> list[model.RegisterVeteran]:
    """Valid registrations, each with its own ID number (`area` keeps two sets apart)."""
    commands = []
    for n, number in enumerate(id_numbers(count, area=area)):
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        commands.append(model.RegisterVeteran(
            name="陈志强", id_number=number, township="多湖街道",
            service_station="多湖街道退役军人服务站", enlisted_on=date(born.year + 18, 12, 1),
            branch="陆军", rank="上士", discharge_category="discharged_soldier",
            phone=f"138{n % 10**8:08d}", address="浙江省金华市金东区多湖街道光南路1号",
            discharged_on=date(born.year + 20, 12, 1)))
    return commands


def ours_register(store: PostgresEventStore, commands: list[model.RegisterVeteran]) -> float:
    """handlers.register_veteran as the registry's RPC runs it: decide (every rule), serialise
    (the stored schema), append with the command id and the ID number's unique claim."""
    def work():
        for cmd in commands:
            handlers.register_veteran(store, cmd, Metadata(), command_id=str(uuid.uuid4()),
                                      today=TODAY)

    return rate(len(commands), work)


def eventsourcing_app(dbname: str):
    """An eventsourcing 9.5 Application over PostgreSQL whose aggregate records the same
    decision, with the same durable guarantees: a file id derived from the command id (a retry
    cannot make a second file) and an ID-number claim aggregate saved with it (a second file for
    one ID number is refused), both in one transaction, as our append writes them."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
    from eventsourcing.persistence import Transcoding

    class DateAsISO(Transcoding):
        type = date
        name = "date_iso"

        def encode(self, obj: date) -> str:
            return obj.isoformat()

        def decode(self, data: str) -> date:
            return date.fromisoformat(data)

    class VeteranFile(Aggregate):
        """The veteran file, as the eventsourcing library models an aggregate."""

        @staticmethod
        def create_id(veteran_id: str) -> uuid.UUID:
            return uuid.UUID(veteran_id)

        @event("Registered")
        def __init__(self, veteran_id, name, id_number, sex, birth_date, phone, address,
                     township, service_station, enlisted_on, discharged_on, branch, rank,
                     discharge_category, area_code_known, life_stage, effective_on=None):
            self.name, self.id_number, self.sex = name, id_number, sex
            self.birth_date, self.phone, self.address = birth_date, phone, address
            self.township, self.service_station = township, service_station
            self.enlisted_on, self.discharged_on = enlisted_on, discharged_on
            self.branch, self.rank, self.category = branch, rank, discharge_category
            self.area_code_known, self.life_stage = area_code_known, life_stage
            # The registration's 建档日期 when a file came in from paper (None: the day recorded),
            # stored as ours stores it, so both sides write the same event.
            self.effective_on = effective_on

    class IdNumberClaim(Aggregate):
        """One per ID number: a second one conflicts on (originator id, version 1)."""

        @staticmethod
        def create_id(claim: str) -> uuid.UUID:
            return uuid.uuid5(NAMESPACE, claim)

        @event("Claimed")
        def __init__(self, claim, veteran_id):
            self.veteran_id = veteran_id

    class VeteranFiles(Application):
        def register_transcodings(self, transcoder) -> None:
            super().register_transcodings(transcoder)
            transcoder.register(DateAsISO())

        def register_veteran(self, cmd: model.RegisterVeteran, command_id: str) -> str:
            veteran_id = str(uuid.uuid5(NAMESPACE, command_id))
            (registered,) = model.register(cmd, veteran_id, TODAY)  # the same decision
            fields = asdict(registered)
            self.save(VeteranFile(**fields),
                      IdNumberClaim(claim=f"resident_id_number:{digest(registered.id_number)}",
                                    veteran_id=veteran_id))
            return veteran_id

    os.environ.update({
        "PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "5432", "POSTGRES_USER": "postgres",
        "POSTGRES_PASSWORD": "unused-trust-auth", "CREATE_TABLE": "y",
        # One caller at a time, as ours: one connection is all either side uses.
        "POSTGRES_POOL_SIZE": "1",
    })
    return VeteranFiles()


def eventsourcing_register(app, commands: list[model.RegisterVeteran]) -> float:
    def work():
        for cmd in commands:
            app.register_veteran(cmd, str(uuid.uuid4()))

    return rate(len(commands), work)
