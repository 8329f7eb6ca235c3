"""The bureau's figures over a year of events: GET /api/v1/figures against the same fan-out to no-ops."""
from __future__ import annotations

import importlib
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import requests

from bench import stack
from bench.data import id_numbers, registered_event_data
from bench.stats import percentile
from chassis.checkpoints import save_checkpoint
from chassis.db import Database
from chassis.envelope import Metadata, NewEvent
from chassis.processes import SERVICES, stop
from chassis.projection import ProjectionRunner
from chassis.report_facts import ReportFacts
from chassis.store import PostgresEventStore
from contracts import instance
from gateway.tokens import TokenSettings, ensure_signing_key, mint
from services.registry.handlers import ID_NUMBER_CLAIM

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The year's events, all told, and how they fall: the registry's files and their changes, the
# benefits office's visits (the rest), relief and social care, the petitions and cases, the
# postings and fairs, reports-in and placements, the bundles. Streams as the services write them.
EVENTS = 100_000
VETERANS = 12_000
RELIEF, SOCIAL_CARE = 4_000, 6_000
PETITIONS, PROXY_CASES, DISPUTES = 5_000, 3_000, 2_000
POSTINGS, FAIRS, EMPLOYERS = 8_000, 100, 300
REPORTS_IN, BUNDLES = 4_000, 3_500
# Eight of the district's townships, each with its station: a station worker sees one of them.
TOWNSHIPS = ("多湖街道", "东孝街道", "孝顺镇", "傅村镇", "曹宅镇", "澧浦镇", "岭下镇", "江东镇")
STREAMS_PER_TRANSACTION = 500
# Requests per slice, each side and each caller; the clients that send them, each waiting for
# its answer.
SLICE_REQUESTS = 30
CLIENTS = 4
# The target: a leader or a station worker opening the year's figures waits less than a second
# at the 99th percentile, as for a page they open by hand (docs/figures.md).
TARGET_P99_MS = 1000


def station_of(township: str) -> str:
    return f"{township}退役军人服务站"


def _days(year: int, until: date) -> list[date]:
    """The year's days up to `until` (a year's facts cannot be dated after today)."""
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((min(until, date(year, 12, 31)) - first)
                                                     .days + 1)]


def year_of_events(year: int, today: date, total: int = EVENTS,
                   seed: int = 20261231) -> dict[str, list[tuple[str, list, tuple]]]:
    """Per service, its streams: (stream id, [(event type, data)], claims), `total` events in
    all, the effective days spread over the year, the veterans over eight stations."""
    rng = random.Random(seed)
    days = _days(year, today)
    on = lambda: rng.choice(days).isoformat()  # noqa: E731
    veterans = []  # (veteran id, township)
    registry, numbers = [], id_numbers(VETERANS, area="330703")
    for n in range(VETERANS):
        veteran, township = str(uuid.UUID(int=rng.getrandbits(128))), TOWNSHIPS[n % len(TOWNSHIPS)]
        number = next(numbers)
        veterans.append((veteran, township))
        data = {**registered_event_data(veteran, number, n), "township": township,
                "service_station": station_of(township),
                "address": f"浙江省金华市金东区{township}人民路{n % 300 + 1}号"}
        events = [("VeteranRegistered", data),
                  ("GridWorkerAssigned", {"veteran_id": veteran, "grid_worker": f"网格员{n % 97}",
                                          "effective_on": on()})]
        if n % 3 == 0:
            events.append(("PartyMembershipRecorded", {
                "veteran_id": veteran, "joined_on": f"{1970 + n % 40}-07-01",
                "party_branch": f"{township}退役军人党支部", "effective_on": on()}))
        registry.append((veteran, events, ((ID_NUMBER_CLAIM, number),)))

    def who():
        return veterans[rng.randrange(len(veterans))]

    benefits = []
    for _ in range(RELIEF):
        veteran, township = who()
        application, applied = str(uuid.uuid4()), on()
        paid = min(date.fromisoformat(applied) + timedelta(days=12), days[-1]).isoformat()
        fen = rng.randrange(1, 60) * 10_000
        benefits.append((application, [
            ("ReliefApplied", {"application_id": application, "veteran_id": veteran,
                               "station": station_of(township), "township": township,
                               "trigger": "illness", "amount_asked_fen": fen,
                               "circumstances": "家庭成员患重病，医疗支出大", "applied_on": applied,
                               "handled_by": "bench-worker"}),
            ("ReliefDisbursed", {"application_id": application, "veteran_id": veteran,
                                 "paid_fen": fen, "paid_on": paid,
                                 "reference": f"JDZ-{application[:8]}",
                                 "disbursed_by": "bench-officer"})], ()))
    for _ in range(SOCIAL_CARE):
        veteran, township = who()
        care = str(uuid.uuid4())
        benefits.append((care, [("SocialCareProvided", {
            "care_id": care, "veteran_id": veteran, "station": station_of(township),
            "township": township, "service": rng.choice(("home_care", "health_record",
                                                         "psychological_support")),
            "provided_on": on(), "provider": "金东区社会工作服务中心",
            "recorded_by": "bench-worker"})], ()))

    disputes = []
    for _ in range(PETITIONS):
        veteran, township = who()
        petition, received = str(uuid.uuid4()), on()
        events = [("PetitionLodged", {
            "petition_id": petition, "veteran_id": veteran,
            "service_station": station_of(township), "channel": "in_person",
            "petitioner_kind": "veteran", "petitioner_name": "陈志强", "petitioner_phone": None,
            "petitioner_address": None, "relation": None, "representatives": [],
            "group_size": None, "category": "placement", "request": "请求落实安置待遇",
            "facts": "退役后安置待遇未按政策落实", "received_on": received, "urgent": False,
            "matter_key": f"placement:{veteran}", "first_time": True,
            "earlier_petition_id": None, "closed_matter": False,
            "intake_due_on": (date.fromisoformat(received) + timedelta(days=7)).isoformat(),
            "intake_rule": "working_days"})]
        if rng.random() < 0.1:
            events.append(("PetitionEscalated", {
                "petition_id": petition, "level": "province", "reason_code": "dissatisfied",
                "note": None, "escalated_on": on()}))
        disputes.append((petition, events, ()))
    for _ in range(PROXY_CASES):
        veteran, township = who()
        case, opened = str(uuid.uuid4()), on()
        disputes.append((case, [
            ("ProxyCaseOpened", {"proxy_case_id": case, "veteran_id": veteran,
                                 "service_station": station_of(township),
                                 "matter_kind": "social_insurance", "matter": "代办养老保险接续",
                                 "agent_kind": "staff", "agent": "bench-worker",
                                 "opened_on": opened}),
            ("ProxyCaseClosed", {"proxy_case_id": case, "outcome": "completed",
                                 "closed_on": opened, "note": None})], ()))
    for _ in range(DISPUTES):
        veteran, township = who()
        case, opened = str(uuid.uuid4()), on()
        disputes.append((case, [
            ("DisputeOpened", {"dispute_id": case, "veteran_id": veteran,
                               "service_station": station_of(township), "category": "housing",
                               "parties": "退役军人与邻居", "summary": "宅基地边界纠纷",
                               "opened_on": opened, "petition_id": None}),
            ("DisputeResolved", {"dispute_id": case, "outcome": "resolved",
                                 "resolved_on": opened, "summary": "经调解达成协议"})], ()))

    employers = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(EMPLOYERS)]
    employment = []
    for n in range(POSTINGS):
        posting, township = str(uuid.uuid4()), TOWNSHIPS[n % len(TOWNSHIPS)]
        employment.append((posting, [("PostingPublished", {
            "posting_id": posting, "employer_id": employers[n % EMPLOYERS], "title": "安保主管",
            "kind": "security", "township": township, "pay_min_fen": 500_000,
            "pay_max_fen": 800_000, "requirements": ["驾驶证C1"], "headcount": 2,
            "published_on": on()})], ()))
    for n in range(FAIRS):
        fair, township = str(uuid.uuid4()), TOWNSHIPS[n % len(TOWNSHIPS)]
        attending = rng.sample(employers, 12)
        employment.append((fair, [("JobFairRecorded", {
            "fair_id": fair, "name": f"{township}退役军人专场招聘会", "held_on": on(),
            "township": township, "employer_ids": attending, "employers_attending": 12,
            "posts_offered": 80, "veterans_attending": 150, "intentions_reached": 30})], ()))

    placement = []
    for n in range(REPORTS_IN):
        veteran, township = veterans[n]  # a veteran reports in once
        case, reported = str(uuid.uuid4()), on()
        approved = (date.fromisoformat(reported) - timedelta(days=10)).isoformat()
        kind = ("officer", "soldier", "spouse")[n % 3]
        events = [("ReportedIn", {
            "case_id": case, "veteran_id": veteran,
            "rank_class": {"officer": "officer", "soldier": "senior_nco"}.get(kind, "conscript"),
            "years_of_service": 12, "age_at_discharge": 32, "honours": [], "disability": None,
            "martyr_child": False, "expelled_from_party": False, "criminal_penalty": False,
            "discharged_by_force": False, "seriously_ill_unable_to_work": False,
            "case_kind": kind, "service_station": station_of(township), "township": township,
            "discharge_approved_on": approved, "reported_on": reported,
            "report_in_due_on": (date.fromisoformat(approved) + timedelta(days=30)).isoformat(),
            "late_reason": None})]
        if rng.random() < 0.75:  # three in four placed within the year, at every station
            events.append(("Placed", {"case_id": case, "veteran_id": veteran,
                                      "post_kind": ("administrative", "institution",
                                                    "enterprise")[n % 3],
                                      "unit": "金华市金东区人民政府办公室", "placed_on": on()}))
        placement.append((case, events, ()))

    bundle = []
    for n in range(BUNDLES):
        veteran, township = veterans[-1 - n]
        bundle_id = str(uuid.uuid4())
        bundle.append((bundle_id, [("BundleSubmitted", {
            "bundle_id": bundle_id, "veteran_id": veteran, "station": station_of(township),
            "township": township, "submitted_on": on(),
            "matters": [{"matter": m, "department": d, "applies": True, "chosen": True,
                         "reason_code": None, "reason": None}
                        for m, d in (("reporting_in", "placement"), ("veteran_file", "registry"),
                                     ("card", "benefits"), ("job_seeker", "employment"))],
            "form": {"discharge_approved_on": on(), "placement_mode": "self_employment"},
            "facts": {"discharge_category": "discharged_soldier", "party_member": False,
                      "disabled": False, "placement_mode": "self_employment"}})], ()))

    streams = {"registry": registry, "benefits": benefits, "disputes": disputes,
               "employment": employment, "placement": placement, "bundle": bundle}
    # The visits take the rest, so the year holds exactly `total` events.
    rest = total - sum(len(s[1]) for part in streams.values() for s in part)
    if rest < 0:
        raise ValueError(f"{total} events are fewer than the fixed parts need")
    campaign = str(uuid.uuid4())
    for _ in range(rest):
        veteran, township = who()
        visit = str(uuid.uuid4())
        benefits.append((visit, [("VisitRecorded", {
            "visit_id": visit, "campaign_id": campaign, "veteran_id": veteran,
            "station": station_of(township), "township": township, "visited_on": on(),
            "visitors": "区退役军人事务局慰问组", "amount_fen": rng.choice((50_000, 80_000, 100_000)),
            "goods": "米、油", "goods_value_fen": 20_000, "hardship_found": False, "notes": None,
            "recorded_by": "bench-worker"})], ()))
    return streams


def check_against_contracts(streams: dict) -> None:
    """Every payload as the service's own contract (EVENT_SCHEMAS) accepts it, or no run."""
    for service, part in streams.items():
        schemas = importlib.import_module(f"contracts.{service}").EVENT_SCHEMAS
        for _, events, _ in part:
            for event_type, data in events:
                errors = instance(schemas[event_type]).validate(data)
                if errors:
                    raise ValueError(f"{service} {event_type}: the contract refuses {errors}")


def _store(service: str, url: str) -> PostgresEventStore:
    contract = importlib.import_module(f"contracts.{service}")
    return PostgresEventStore(Database(url), f"{service}_events", upcast=contract.upcast)


def write(urls: dict[str, str], streams: dict) -> dict[str, int]:
    """Each service's streams through its store's append, STREAMS_PER_TRANSACTION streams to a
    transaction; each store's head."""
    heads = {}
    meta = Metadata(actor="bench-figures")
    for service, part in streams.items():
        store = _store(service, urls[service])
        try:
            for i in range(0, len(part), STREAMS_PER_TRANSACTION):
                with store.db.transaction() as cur:
                    for stream_id, events, claims in part[i:i + STREAMS_PER_TRANSACTION]:
                        store.append_in(cur, stream_id, [NewEvent(t, d) for t, d in events], 0,
                                        meta, claims=claims)
            heads[service] = store.head()
        finally:
            store.db.close()
    return heads


def catch_up_facts(urls: dict[str, str], services) -> None:
    """Each service's report_facts projection up to its head (as its first report_figures
    would do, here before the clock runs)."""
    for service in services:
        rule = importlib.import_module(f"services.{service}.report").facts
        store = _store(service, urls[service])
        try:
            ProjectionRunner(store, ReportFacts(rule)).catch_up()
        finally:
            store.db.close()


def heard_already(urls: dict[str, str], heads: dict[str, int]) -> None:
    """The seeded year is history the platform had already published and followed: each
    relay's checkpoint and each subscription's catch-up checkpoint at its producer's head, so
    the timed part does not share two cores with 100,000 events being published and followed.
    (Seeding writes straight into the stores; nothing in the figures depends on the followers.)"""
    from chassis.consumer import Subscription

    for service in SERVICES:
        with Database(urls[service]).transaction() as cur:
            save_checkpoint(cur, "relay", heads.get(service, 0))
            cls = getattr(importlib.import_module(f"services.{service}.service"),
                          f"{service.capitalize()}Service")
            for name, attribute in vars(cls).items():
                for entrypoint in getattr(attribute, "nameko_entrypoints", ()):
                    if isinstance(entrypoint, Subscription):
                        save_checkpoint(cur, f"catch-up:{cls.name}.{name}",
                                        heads.get(entrypoint.source_service, 0))


def _latencies(url: str, headers: dict, count: int, clients: int = CLIENTS) -> list[float]:
    """`count` GETs from `clients` clients, each waiting for its answer; each one's seconds."""
    def one(_):
        started = time.perf_counter()
        answer = requests.get(url, headers=headers, timeout=30)
        elapsed = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"GET {url}: {answer.status_code} {answer.text[:200]}")
        return elapsed

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, range(count)))


def complete(reply: dict) -> None:
    """The figures must be whole (every service answered) and count the seeded year, or the
    row would time a cheaper, broken answer."""
    missing = sorted(s for s, at in reply["positions"].items() if at is None)
    if missing:
        raise RuntimeError(f"figures without {missing}: {reply['reasons']}")
    if not reply["figures"]["visits_people"] or not reply["figures"]["files_total"]:
        raise RuntimeError(f"the figures do not count the seeded year: {reply['figures']}")


def measure(gateway: str, ceiling: str, year: int, callers: dict[str, dict], reps: int,
            slices: int, say: Callable[[str], None]) -> dict:
    """Per caller, ours and the ceiling in alternating slices: p50 and p99 in ms per repetition
    (the median of those, and their min-max), and ceiling p99 / ours p99."""
    query = f"from={year}-01-01&to={year}-12-31"
    out = {}
    for caller, headers in callers.items():
        ours_url, ceiling_url = (f"{gateway}/api/v1/figures?{query}",
                                 f"{ceiling}/figures?{query}")
        reply = requests.get(ours_url, headers=headers, timeout=30)
        reply.raise_for_status()
        complete(reply.json())
        for url in (ours_url, ceiling_url):  # warm: connections, the breakers' first look
            _latencies(url, headers, SLICE_REQUESTS)
        runs = {"ours": [], "ceiling": []}
        for rep in range(reps):
            times = {"ours": [], "ceiling": []}
            for k in range(slices):
                order = ("ours", "ceiling") if k % 2 == 0 else ("ceiling", "ours")
                for side in order:
                    url = ours_url if side == "ours" else ceiling_url
                    times[side] += _latencies(url, headers, SLICE_REQUESTS)
            for side in runs:
                runs[side].append({q: percentile(times[side], q) * 1000 for q in (50, 99)})
            say(f"figures, {caller} #{rep + 1}: ours p50 {runs['ours'][-1][50]:.0f} ms, p99 "
                f"{runs['ours'][-1][99]:.0f} ms; ceiling p50 {runs['ceiling'][-1][50]:.0f} ms, "
                f"p99 {runs['ceiling'][-1][99]:.0f} ms ({slices * SLICE_REQUESTS} requests each)")
        ratios = [c[99] / o[99] for o, c in zip(runs["ours"], runs["ceiling"], strict=True)]
        figure = {}
        for side in runs:
            for q in (50, 99):
                values = [r[q] for r in runs[side]]
                figure[f"{side}_p{q}_ms"] = round(statistics.median(values), 1)
                figure[f"{side}_p{q}_ms_min"] = round(min(values), 1)
                figure[f"{side}_p{q}_ms_max"] = round(max(values), 1)
        out[caller] = {**figure, "ratio": round(statistics.median(ratios), 3),
                       "ratio_min": round(min(ratios), 3), "ratio_max": round(max(ratios), 3),
                       "requests_per_side": reps * slices * SLICE_REQUESTS,
                       "met": figure["ours_p99_ms"] < TARGET_P99_MS}
    return out


def figures_row(pg: str, env: dict, keys: Path, amqp: str, port: int, reps: int, slices: int,
                logs: Path, say: Callable[[str], None], refuse_taken_ports: Callable[[], None],
                wait_http: Callable[..., None]) -> dict:
    """The figures group: fresh databases, a year of events written and counted (untimed), the
    whole platform and the ceiling started, then the timed reads."""
    today = date.today()
    year = today.year
    # Databases of its own (not vetlife_bench_dept_*): the group can run beside another group.
    urls = {service: stack.fresh(pg, f"vetlife_bench_figures_{service}", service)
            for service in SERVICES}
    urls["gateway"] = stack.fresh(pg, "vetlife_bench_figures_gateway", "gateway", chassis=False)
    urls["noop_audit"] = stack.fresh(pg, "vetlife_bench_figures_noop_audit", "gateway",
                                     chassis=False)
    say(f"figures: making a year ({year}) of {EVENTS:,} events")
    started = time.monotonic()
    streams = year_of_events(year, today)
    check_against_contracts(streams)
    made = time.monotonic() - started
    counts = {s: sum(len(e) for _, e, _ in part) for s, part in streams.items()}
    say(f"figures: made and checked against the contracts in {made:.1f} s: "
        + ", ".join(f"{s} {n:,}" for s, n in counts.items()))
    started = time.monotonic()
    heads = write(urls, streams)
    written = time.monotonic() - started
    if sum(heads.values()) != EVENTS:
        raise RuntimeError(f"the stores hold {heads}, not {EVENTS:,} events")
    say(f"figures: written in {written:.1f} s ({EVENTS / written:,.0f} events/s); heads {heads}")
    started = time.monotonic()
    catch_up_facts(urls, streams)
    counted = time.monotonic() - started
    say(f"figures: report_facts caught up in {counted:.1f} s")
    heard_already(urls, heads)

    env = {**stack.environment(env, urls, keys), "AMQP_URI": amqp,
           "NOOP_FIGURES_PORT": str(port)}
    settings = TokenSettings.from_env(env)
    ensure_signing_key(settings)  # made afresh by an earlier group of the run, or here
    station = station_of(TOWNSHIPS[0])
    callers = {
        "leader (district)": {"Authorization": "Bearer " + mint(settings, ["leader"],
                                                                  "bench-leader", minutes=240)},
        "station worker (one station)": {"Authorization": "Bearer " + mint(
            settings, ["station_worker"], "bench-station-worker", stations=[station],
            minutes=240)},
    }
    refuse_taken_ports()
    with socket.socket() as probe:  # the ceiling's port, past the four the run checks
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} is already served by another process")
    processes = stack.start(env, logs)
    processes["noop_figures"] = subprocess.Popen(
        [str(BIN / "nameko"), "run", "--config", "bench/noop_figures.yaml",
         "bench.noop:NoopFigures"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=open(logs / "dept-noop_figures.log", "wb"))
    gateway, ceiling = f"http://127.0.0.1:{env['GATEWAY_PORT']}", f"http://127.0.0.1:{port}"
    try:
        leader = callers["leader (district)"]
        wait_http(f"{gateway}/api/v1/figures?from={year}-01-01&to={year}-12-31", headers=leader,
                  want=200, seconds=stack.READY_SECONDS)
        stack.wait_consuming(amqp, processes)
        wait_http(f"{ceiling}/figures?from={year}-01-01&to={year}-12-31", headers=leader,
                  want=200)
        say("figures: processes up")
        time.sleep(10.0)  # the services' eager timers (terms, clocks) done before the clock runs
        result = measure(gateway, ceiling, year, callers, reps, slices, say)
    finally:
        stop(processes.values())
    return {"events": EVENTS, "events_by_service": counts, "year": year,
            "make_and_check_s": round(made, 1), "write_s": round(written, 1),
            "facts_catch_up_s": round(counted, 1), "clients": CLIENTS,
            "target_p99_ms": TARGET_P99_MS, "callers": result}
