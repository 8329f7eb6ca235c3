"""Realistic test data for the bureau's stories: resident ID numbers and veterans (Faker zh_CN)."""
from __future__ import annotations

import itertools
import random
from datetime import date

from faker import Faker
from stdnum.cn import ric

fake = Faker("zh_CN")
_sequence = itertools.count(random.randrange(1, 400))

JINDONG = "330703"
STATIONS = ("多湖街道退役军人服务站", "东孝街道退役军人服务站", "孝顺镇退役军人服务站",
            "澧浦镇退役军人服务站", "岭下镇退役军人服务站")


def resident_id_number(area: str = JINDONG, born: date = date(1968, 5, 17),
                       sequence: int | None = None, male: bool = True) -> str:
    """A well-formed 18-character number; the sequence's parity gives the sex."""
    seq = next(_sequence) % 499 * 2 if sequence is None else sequence
    seq = seq + 1 if male and seq % 2 == 0 else seq
    seq = seq + 1 if not male and seq % 2 == 1 else seq
    body = f"{area}{born:%Y%m%d}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "?")


def unique_id_number(male: bool = True) -> str:
    """A number not used before in this test run (birth date and sequence drawn at random)."""
    born = fake.date_between(date(1950, 1, 1), date(2002, 12, 31))
    return resident_id_number(born=born, sequence=random.randrange(0, 999), male=male)


def veteran_payload(**overrides) -> dict:
    """A registration request as a portal sends it."""
    number = overrides.pop("id_number", None) or unique_id_number()
    try:
        born = ric.get_birth_date(number)
    except ValueError:  # a deliberately broken number: any plausible dates will do
        born = date(1968, 5, 17)
    enlisted = date(born.year + 18, 12, 1)
    payload = {
        "name": fake.name(),
        "id_number": number,
        "phone": fake.phone_number(),
        "address": fake.address(),
        "township": "多湖街道",
        "service_station": random.choice(STATIONS),
        "enlisted_on": enlisted.isoformat(),
        "discharged_on": date(enlisted.year + 2, 12, 1).isoformat(),
        "branch": "陆军",
        "rank": "上士",
        "discharge_category": "discharged_soldier",
    }
    payload.update(overrides)
    payload["id_number"] = number
    return payload
