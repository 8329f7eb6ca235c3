"""Each department service's main command through the gateway, and its bodies (each route's example)."""
from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests

from bench.stack import STATION
from chassis.clock import SYSTEM_CLOCK
from contracts import bundle, disputes, employment, placement


def _today():
    return SYSTEM_CLOCK.today()


def report_in(veteran_id: str) -> dict:
    """报到 ten days after the discharge approval, as placement's example states it."""
    body = copy.deepcopy(placement.ReportInRequest.Meta.example)
    body.update(veteran_id=veteran_id, service_station=STATION, township="多湖街道",
                discharge_approved_on=(_today() - timedelta(days=10)).isoformat())
    return body


def relief(veteran_id: str) -> dict:
    """A hardship relief application at the station (the request has no example: an illness,
    as the e2e flow applies)."""
    return {"veteran_id": veteran_id, "trigger": "illness", "amount_asked_fen": 800_000,
            "circumstances": "妻子患尿毒症，每周透析三次，自付医疗费用较高"}


def petition(veteran_id: str) -> dict:
    body = copy.deepcopy(disputes.LodgePetitionRequest.Meta.example)
    body.update(veteran_id=veteran_id, service_station=STATION)
    return body


def posting(employer_id: str) -> dict:
    body = copy.deepcopy(employment.PublishPostingRequest.Meta.example)
    body["employer_id"] = employer_id
    return body


def submission(veteran_id: str) -> dict:
    """The bundle as the example submits it: self-employment, the reserve registration left
    out, the discharge approved ten days ago."""
    body = copy.deepcopy(bundle.SubmitBundleRequest.Meta.example)
    body.update(veteran_id=veteran_id,
                discharge_approved_on=(_today() - timedelta(days=10)).isoformat())
    return body


def employer(n: int) -> dict:
    """An employer with a well-formed unified social credit code of its own."""
    body = copy.deepcopy(employment.RegisterEmployerRequest.Meta.example)
    base = f"91330703MA{n:07d}"
    body.update(name=f"金华市金东区第{n}号物流有限公司", credit_code=base + _credit_check(base))
    return body


_CODE = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _credit_check(first17: str) -> str:
    """GB 32100-2015's check character for the first 17 of a credit code."""
    total = sum(_CODE.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CODE[(31 - total % 31) % 31]


# (row name, route path, operation, role and claims of the desk that takes it, body for an id)
COMMANDS = (
    ("placement", "/placement/reports", "report_in", "station_worker", report_in),
    ("benefits", "/benefits/relief-applications", "apply_relief", "station_worker", relief),
    ("disputes", "/disputes/petitions", "lodge_petition", "disputes_officer", petition),
    ("employment", "/employment/postings", "publish_posting", "employment_officer", posting),
    ("bundle", "/bundles", "submit_bundle", "station_worker", submission),
)


def count_load(url: str, bodies: list[str], headers: dict, clients: int = 8) -> float:
    """Requests per second for POSTing every body once from `clients` threads, each waiting for
    its answer (a 201), each with an Idempotency-Key of its own."""
    feed = iter(bodies)
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", **headers}

    def client():
        session = requests.Session()
        while True:
            with lock:
                body = next(feed, None)
            if body is None:
                return
            answer = session.post(url, data=body.encode(), timeout=30,
                                  headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
            if answer.status_code != 201:
                raise RuntimeError(f"POST {url}: {answer.status_code} {answer.text[:300]}")

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return len(bodies) / (time.perf_counter() - started)


def bodies_for(make, ids: list[str]) -> list[str]:
    return [json.dumps(make(i), ensure_ascii=False) for i in ids]
