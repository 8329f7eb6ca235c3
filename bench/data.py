"""Realistic bench data: veteran registrations as the registry stores and the portals send them."""
from __future__ import annotations

import json
import random
from datetime import date, timedelta

from faker import Faker
from stdnum.cn import ric

fake = Faker("zh_CN")
Faker.seed(20201231)
random.seed(20201231)


def id_numbers(count: int, area: str = "330703"):
    """`count` distinct well-formed resident ID numbers (birth dates 1950-2002)."""
    start = date(1950, 1, 1)
    for n in range(count):
        born = start + timedelta(days=(n * 7919) % 19000)
        body = f"{area}{born:%Y%m%d}{(n // 19000) % 1000:03d}"
        yield body + ric.calc_check_digit(body + "?")


def registration_requests(count: int) -> list[str]:
    """JSON bodies for POST /api/v1/veterans, each with its own ID number."""
    names = [fake.name() for _ in range(200)]
    addresses = [fake.address() for _ in range(200)]
    bodies = []
    for n, number in enumerate(id_numbers(count)):
        born = ric.get_birth_date(number)
        bodies.append(json.dumps({
            "name": names[n % 200], "id_number": number, "phone": f"138{n % 10**8:08d}",
            "address": addresses[n % 200], "township": "多湖街道",
            "service_station": "多湖街道退役军人服务站",
            "enlisted_on": date(born.year + 18, 12, 1).isoformat(),
            "discharged_on": date(born.year + 20, 12, 1).isoformat(),
            "branch": "陆军", "rank": "上士", "discharge_category": "discharged_soldier",
        }, ensure_ascii=False))
    return bodies


def registered_event_data(veteran_id: str, number: str, n: int = 0) -> dict:
    """A stored VeteranRegistered payload, as the registry writes it."""
    born = ric.get_birth_date(number)
    return {
        "veteran_id": veteran_id, "name": "陈志强", "id_number": number,
        "sex": "male" if int(number[16]) % 2 else "female", "birth_date": born.isoformat(),
        "phone": f"138{n % 10**8:08d}", "address": "浙江省金华市金东区多湖街道光南路1号",
        "township": "多湖街道", "service_station": "多湖街道退役军人服务站",
        "enlisted_on": date(born.year + 18, 12, 1).isoformat(),
        "discharged_on": date(born.year + 20, 12, 1).isoformat(), "branch": "陆军",
        "rank": "上士", "discharge_category": "discharged_soldier", "area_code_known": True,
        "life_stage": "discharge",
    }
