"""make bench: our paths against ceilings measured in the same run; writes bench/results/latest.json."""
from __future__ import annotations

import json
import logging
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
import structlog

from bench import bus, departments, figures, imports, matching, measure, onestop, paths, peer, stack, web
from bench.data import registration_requests
from bench.measure import feed_list
from bench.report import print_table, write_chart
from bench.stats import interleaved, row
from chassis.db import Database
from chassis.processes import COMMANDS, stop
from chassis.relay import Relay
from chassis.store import PostgresEventStore
from contracts import registry as contract
from gateway.tokens import TokenSettings, ensure_signing_key, mint

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PG = os.environ.get("VETLIFE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
AMQP = os.environ.get("VETLIFE_BENCH_AMQP_URI",
                      "amqp://guest:guest@127.0.0.1:5672/vetlife_bench")
# The whole platform's vhost, emptied by `scripts/infra.sh --bench-vhost` before each make bench:
# the services' durable queues must not hold the registry rows' events or an earlier run's.
DEPT_AMQP = os.environ.get("VETLIFE_BENCH_DEPT_AMQP_URI",
                           "amqp://guest:guest@127.0.0.1:5672/vetlife_bench_dept")
# Four ports from VETLIFE_BENCH_PORT (8790): the gateway, the no-op RPC's HTTP entrypoint, the
# bare file read, the no-op command.
_PORT = int(os.environ.get("VETLIFE_BENCH_PORT", "8790"))
GATEWAY_PORT, NOOP_PORT, BARE_READ_PORT, NOOP_COMMAND_PORT = range(_PORT, _PORT + 4)
# The bench's own signing key, JWKS and audit anchors, made afresh each run; under logs/, which
# git ignores, so no key is ever committed.
KEYS = RESULTS / "logs" / "keys"
REPS = int(os.environ.get("VETLIFE_BENCH_REPS", "3"))
# Each repetition alternates this many slices of ours and of the ceiling (stats.interleaved).
SLICES = int(os.environ.get("VETLIFE_BENCH_SLICES", "4"))
WRITER_SECONDS, HTTP_SECONDS = 1.5, 2.0  # per slice
PEER_SLICE = 300  # registrations per slice, each side
RELAY_EVENTS = 10_000  # per slice, each side
BIN = Path(sys.executable).parent
# What VETLIFE_BENCH_ROWS may name, in the order they run.
GROUPS = ("registry", "imports", "departments", "bundle", "overview", "matching", "figures")
# Requests per slice, each side, for the department commands (count-bound: each placement
# report-in and each bundle needs a veteran of its own, registered beforehand).
COMMAND_SLICE = int(os.environ.get("VETLIFE_BENCH_COMMAND_SLICE", "40"))
# The department commands' target against the no-op command, as the registry's POST row's.
COMMAND_TARGET = 0.6


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def fresh(name: str, *services: str, chassis: bool = True) -> str:
    """A new, migrated database; the gateway's holds only its own tables (chassis=False)."""
    return stack.fresh(PG, name, *services, chassis=chassis)


def base_env() -> dict:
    """What every process of the bench is started with: the bench's broker, ports and keys."""
    env = {**os.environ, "AMQP_URI": AMQP,
           "VETLIFE_KEY_DIR": str(KEYS), "AUDIT_ANCHOR_PATH": str(KEYS / "audit-anchors.jsonl"),
           "GATEWAY_PORT": str(GATEWAY_PORT), "GATEWAY_ADDRESS": "127.0.0.1",
           "NOOP_PORT": str(NOOP_PORT), "BARE_READ_PORT": str(BARE_READ_PORT),
           "NOOP_COMMAND_PORT": str(NOOP_COMMAND_PORT),
           # make up's level (every config's default): our processes and the ceilings alike.
           "LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT)}
    # The gateway must trust only the key made here, never one an outer environment names.
    for name in ("VETLIFE_JWKS_URL", "VETLIFE_JWKS_PATH", "VETLIFE_SIGNING_KEY_PATH",
                 "VETLIFE_TOKEN_ISSUER", "VETLIFE_TOKEN_AUDIENCE"):
        env.pop(name, None)
    return env


def empty_database(name: str) -> str:
    admin = paths.connect(f"{PG}/postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return name


def store_for(url: str) -> PostgresEventStore:
    return PostgresEventStore(Database(url), "registry_events", upcast=contract.upcast)


def refuse_taken_ports() -> None:
    """nameko's web server binds with SO_REUSEPORT, so a second server on one of our ports would
    silently take half the requests (and answer 401 to our tokens): stop before measuring."""
    for port in (GATEWAY_PORT, NOOP_PORT, BARE_READ_PORT, NOOP_COMMAND_PORT):
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise RuntimeError(f"port {port} is already served by another process; stop it "
                                   f"first (make bench needs {_PORT}-{_PORT + 3}; "
                                   "VETLIFE_BENCH_PORT moves them)")


def start_processes(env: dict) -> dict[str, subprocess.Popen]:
    refuse_taken_ports()
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    commands = {
        **{name: COMMANDS[name] for name in ("registry", "registry-relay", "gateway",
                                               "hr_department")},
        "noop_rpc": [str(BIN / "nameko"), "run", "--config", "bench/noop.yaml",
                     "bench.noop:NoopRpc"],
        "noop_http": [str(BIN / "nameko"), "run", "--config", "bench/noop.yaml",
                      "bench.noop:NoopHttp"],
        "bare_file_read": [str(BIN / "nameko"), "run", "--config", "bench/bare_read.yaml",
                           "bench.noop:BareFileRead"],
    }
    return {name: subprocess.Popen([str(c) for c in command], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL,
                                   stderr=open(logs / f"{name}.log", "wb"))
            for name, command in commands.items()}


def wait_http(url: str, method: str = "get", body: str | None = None, seconds: int = 60,
              headers: dict | None = None, want: int | None = None) -> None:
    """Until `url` answers `want`, or any status below 500 when `want` is None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            response = getattr(requests, method)(url, data=body, headers=headers, timeout=5)
            if response.status_code == want or (want is None and response.status_code < 500):
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds}s; see bench/results/logs/")


def clerk_credentials(env: dict) -> dict:
    """A fresh signing key in KEYS and a registry clerk's bearer token, as request headers."""
    shutil.rmtree(KEYS, ignore_errors=True)
    settings = TokenSettings.from_env(env)
    ensure_signing_key(settings)
    token = mint(settings, ["registry_clerk"], "bench-clerk", minutes=240)
    return {"Authorization": f"Bearer {token}"}


def same_reply(ours: str, ceiling: str, headers: dict) -> None:
    """The ceiling must answer the very JSON the gateway does, or the row compares unlike work."""
    answers = [requests.get(url, headers=headers, timeout=10) for url in (ours, ceiling)]
    for answer in answers:
        answer.raise_for_status()
    if answers[0].json() != answers[1].json():
        raise RuntimeError(f"the read ceiling answers differently: {answers[1].text[:300]}")


def selected_groups() -> list[str]:
    """VETLIFE_BENCH_ROWS=departments,bundle runs those groups alone (default: every group)."""
    named = [g.strip() for g in os.environ.get("VETLIFE_BENCH_ROWS", "").split(",") if g.strip()]
    unknown = set(named) - set(GROUPS)
    if unknown:
        raise SystemExit(f"VETLIFE_BENCH_ROWS: no such group {sorted(unknown)}; the groups are "
                         f"{', '.join(GROUPS)}")
    return [g for g in GROUPS if g in named] or list(GROUPS)


def main() -> int:
    started = time.monotonic()
    # The relay logs each batch it publishes; here that is noise between the figures.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    RESULTS.mkdir(parents=True, exist_ok=True)
    groups = selected_groups()
    rows, latency, growth, extra = [], {}, {}, {}
    if "registry" in groups:
        latency, growth = registry_rows(rows)
    if "imports" in groups:  # bench/imports.py: vetlife-import's 100,000 rows, peak memory
        rows.append(imports.import_row(PG, say))
    if {"departments", "bundle", "overview"} & set(groups):
        extra.update(one_stop_rows(rows, groups))
    if "matching" in groups:
        extra["matching"] = matching.growth(
            fresh("vetlife_bench_matching_10k", "employment"),
            fresh("vetlife_bench_matching_100k", "employment"), REPS, say)
    if "figures" in groups:  # bench/figures.py: GET /api/v1/figures over a year of 100,000 events
        extra["figures"] = figures.figures_row(
            PG, base_env(), KEYS, DEPT_AMQP, _PORT + 4, REPS, SLICES, RESULTS / "logs", say,
            refuse_taken_ports, wait_http)
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average": [round(x, 1) for x in os.getloadavg()]},
        "repetitions": REPS,
        "groups": groups,
        "rows": rows,
        "latency": latency,
        "growth": growth,
        **extra,
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    print_table(result)
    if groups == list(GROUPS):
        (RESULTS / "latest.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
        write_chart(result, RESULTS / "latest.png")
        say(f"wrote {RESULTS / 'latest.json'} and latest.png in {result['wall_seconds']} s")
    else:  # a part alone never overwrites the whole run's results
        part = RESULTS / "logs" / f"rows-{'-'.join(groups)}.json"
        part.parent.mkdir(parents=True, exist_ok=True)
        part.write_text(json.dumps(result, indent=2, ensure_ascii=False))
        say(f"wrote {part} in {result['wall_seconds']} s")
    return 0


def registry_rows(rows: list[dict]) -> tuple[dict, dict]:
    """The registry's rows: the store, its command, the relay, the rebuild, the HTTP paths, the
    commit-to-subscriber latency and file loads as the store grows."""
    say("preparing databases and data")
    store_url = fresh("vetlife_bench_store", "registry")
    relay_url = fresh("vetlife_bench_relay", "registry")
    registry_url = fresh("vetlife_bench_registry", "registry")
    hr_url = fresh("vetlife_bench_hr", "hr_department")
    gateway_url = fresh("vetlife_bench_gateway", "gateway", chassis=False)
    store = store_for(store_url)
    raw = paths.raw_connection(store_url)
    data = paths.sample_data(10_000)
    bodies = registration_requests(40_000)

    def pair(name, ceiling_name, ours, ceiling, target, unit="events/s", slices=SLICES):
        ours_runs, ceiling_runs = interleaved(ours, ceiling, REPS, slices, say, name, unit)
        rows.append(row(name, ceiling_name, ours_runs, ceiling_runs, target, unit, slices))

    single = lambda k: data[(k % 10) * 600:(k % 10) * 600 + 600]  # noqa: E731
    pair("store append, 1 event per command",
         "psycopg2 autocommit INSERT of the same event and command rows, 1 statement",
         lambda k: paths.ours_append_single(store, single(k)),
         lambda k: paths.raw_insert_single(raw, single(k)), 0.8)
    batch = lambda k: data[(k % 2) * 5000:(k % 2) * 5000 + 5000]  # noqa: E731
    pair("store append, batches of 100",
         "psycopg2 COPY of the same 100 event rows, autocommit (its own transaction)",
         lambda k: paths.ours_append_batch(store, batch(k)),
         lambda k: paths.raw_insert_batch(raw, batch(k)), 0.7)
    pair("store append, 4 writers on different streams together",
         "1 writer, the same appends",
         lambda k: paths.writers_rate(store, data[k % len(data)], 4, WRITER_SECONDS),
         lambda k: paths.writers_rate(store, data[k % len(data)], 1, WRITER_SECONDS), 0.8)
    raw.close()

    app = peer.eventsourcing_app(empty_database("vetlife_bench_eventsourcing"))
    # Each side registers each command once, in its own database.
    commands = peer.register_commands(REPS * SLICES * PEER_SLICE, "330703")
    chunk = lambda k: commands[k * PEER_SLICE:(k + 1) * PEER_SLICE]  # noqa: E731
    pair("registration command (decide, serialise, append: handlers.register_veteran)",
         "eventsourcing 9.5 Application: the same decision, aggregate + ID claim saved",
         lambda k: peer.ours_register(store, chunk(k)),
         lambda k: peer.eventsourcing_register(app, chunk(k)), 2.0, "commands/s")
    app.close()
    store.db.close()  # connections are scarce when other suites share the server

    hr_queue = "evt-registry-VeteranRegistered--hr_department.on_veteran_registered"
    bus.forget_subscribers(AMQP, [hr_queue, f"{hr_queue}.dead-letters"])
    relay_store = store_for(relay_url)
    paths.ours_append_batch(relay_store, data[:RELAY_EVENTS])
    count = relay_store.head()
    bus.bind_sink(AMQP)
    relay = Relay("registry", relay_store, AMQP, contract.public_form, checkpoint="bench-relay")
    messages = bus.outgoing_messages(relay_store, AMQP, count)
    ceiling_conn = bus.checkpoint_connection(relay_url)
    pair("relay publish (store -> RabbitMQ, persistent, confirmed, checkpointed)",
         "pika: the same messages ready-made, batches of 500, unlimited in flight, checkpoint "
         "per confirmed batch",
         lambda k: bus.ours_relay(relay, AMQP, count),
         lambda k: bus.raw_pika_relay(ceiling_conn, AMQP, messages, relay.batch_size), 0.7)
    ceiling_conn.close()
    pair("projection rebuild (veteran list)", "psycopg2 batched read + batched insert",
         lambda k: paths.ours_rebuild(relay_store), lambda k: paths.raw_rebuild(relay_url), 0.5,
         slices=2)

    env = {**base_env(), "REGISTRY_DATABASE_URL": registry_url, "HR_DATABASE_URL": hr_url,
           "GATEWAY_DATABASE_URL": gateway_url}
    auth = clerk_credentials(env)
    # The subscriber's queue must not hold the relay benchmark's events from other databases.
    bus.forget_subscribers(AMQP, [hr_queue, f"{hr_queue}.dead-letters", bus.SINK])
    processes = start_processes(env)
    latency = {}
    try:
        gateway = f"http://127.0.0.1:{GATEWAY_PORT}"
        noop = f"http://127.0.0.1:{NOOP_PORT}/noop"
        bare = f"http://127.0.0.1:{BARE_READ_PORT}/files"
        # A 200 from the list means the token verified and the registry behind answered.
        wait_http(f"{gateway}/api/v1/veterans", headers=auth, want=200)
        wait_http(noop, "post", "{}")
        say("processes up")
        feed = iter(bodies)
        web.warm_up(lambda: web.http_load(f"{gateway}/api/v1/veterans", feed_list(feed, 300), auth,
                                          seconds=1.0))
        pair("POST /api/v1/veterans via gateway -> registry, 8 clients",
             "no-op nameko RPC behind an HTTP entrypoint, 8 clients",
             lambda k: web.http_load(f"{gateway}/api/v1/veterans", feed_list(feed, 1500), auth,
                                     seconds=HTTP_SECONDS),
             lambda k: web.http_load(noop, bodies[:4000], auth, seconds=HTTP_SECONDS),
             0.6, "requests/s")
        say("registering 1000 files to read")
        ids = web.register_files(f"{gateway}/api/v1/veterans", feed_list(feed, 1000), auth)
        random.Random(20201231).shuffle(ids)
        wait_http(f"{bare}/{ids[0]}", want=200)
        same_reply(f"{gateway}/api/v1/veterans/{ids[0]}", f"{bare}/{ids[0]}", auth)
        web.warm_up(lambda: web.http_read_load([f"{gateway}/api/v1/veterans/{v}" for v in ids],
                                               auth, seconds=1.0))
        pair("GET /api/v1/veterans/{id} with audit (gateway: token check, RPC, audit write), "
             "8 clients", "the same read without token check and audit, 8 clients",
             lambda k: web.http_read_load([f"{gateway}/api/v1/veterans/{v}" for v in ids], auth,
                                          seconds=HTTP_SECONDS),
             lambda k: web.http_read_load([f"{bare}/{v}" for v in ids], auth,
                                          seconds=HTTP_SECONDS),
             0.7, "requests/s")
        latency = measure.latency(gateway, registry_url, hr_url, feed, 100, auth, REPS, say)
        latency["below_saturation"] = measure.latency(gateway, registry_url, hr_url, feed, 50,
                                                      auth, REPS, say)
    finally:
        stop(processes.values())
    return latency, measure_growth()


def one_stop_rows(rows: list[dict], groups: list[str]) -> dict:
    """The department services on the whole platform: each one's main command through the
    gateway against the no-op command behind the gateway's entrypoint (departments), a bundle's
    internal matters from submission to done (bundle), the overview with every service up and
    with one stopped (overview)."""
    say("starting every service, its relay and the gateway")
    urls = stack.databases(PG)
    env = {**stack.environment(base_env(), urls, KEYS), "AMQP_URI": DEPT_AMQP}
    auth = clerk_credentials(env)
    settings = TokenSettings.from_env(env)

    def token(role: str, **claims) -> dict:
        return {"Authorization": "Bearer " + mint(settings, [role], f"bench-{role}",
                                                  minutes=240, **claims)}

    desks = {"station_worker": token("station_worker", stations=[stack.STATION]),
             "disputes_officer": token("disputes_officer"),
             "employment_officer": token("employment_officer")}
    refuse_taken_ports()
    processes = stack.start(env, RESULTS / "logs")
    gateway = f"http://127.0.0.1:{GATEWAY_PORT}"
    api = f"{gateway}/api/v1"
    extra = {}
    try:
        wait_http(f"{api}/veterans", headers=auth, want=200, seconds=stack.READY_SECONDS)
        stack.wait_consuming(DEPT_AMQP, processes)
        say("processes up; registering veterans (untimed)")
        per_row = REPS * SLICES * COMMAND_SLICE
        warm = 3 * COMMAND_SLICE  # each warm-up round takes a slice of fresh veterans
        sizes = {"commands": per_row + warm if "departments" in groups else 0,
                 "bundles": per_row + warm if "departments" in groups else 0,
                 "completion": REPS * 40 if {"bundle", "overview"} & set(groups) else 0}
        bodies = iter(registration_requests(sum(sizes.values())))
        pools = {name: stack.register(f"{api}/veterans", feed_list(bodies, size), auth)
                 for name, size in sizes.items()}
        stack.wait_followed(urls, [v for ids in pools.values() for v in ids],
                            ("placement", "benefits", "bundle"))
        if "departments" in groups:
            command_rows(rows, api, desks, pools, ("placement", "benefits", "disputes",
                                                   "employment"))
        if {"bundle", "overview"} & set(groups):
            extra["bundle_completion"] = onestop.bundle_completion(
                gateway, urls["bundle"], pools["completion"], desks["station_worker"], REPS,
                say)
        if "overview" in groups:
            # Disputes is stopped: it has two sections (petitions, proxy cases) and no part in
            # the bundle, so nothing else in the run waits for it.
            def stop_disputes():
                stop([processes["disputes"]])
                say("disputes stopped")

            extra["overview"] = onestop.overview(
                gateway, pools["completion"][:50], desks["station_worker"], REPS, say,
                stop_disputes, "disputes", ("petitions", "proxy_cases"))
        if "departments" in groups:
            # Last: each bundle row's submission starts its internal matters' commands and
            # events (about 6 bundles' worth a second here), which would still be running
            # beside the figures above; disputes, stopped by then, has no part in a bundle.
            command_rows(rows, api, desks, pools, ("bundle",))
    finally:
        stop(processes.values())
    return extra


def command_rows(rows: list[dict], api: str, desks: dict, pools: dict, services) -> None:
    """One row per department service named: its main command against the no-op command."""
    for service, path, operation, desk, make in departments.COMMANDS:
        if service not in services:
            continue
        if service == "employment":
            employers = stack.register_with(f"{api}/employment/employers",
                                            [departments.employer(n) for n in range(20)],
                                            desks["employment_officer"], "employer_id")
            ids = [employers[n % len(employers)] for n in range(len(pools["commands"]))]
        else:
            ids = pools["bundles" if service == "bundle" else "commands"]
        rows.append(command_row(service, api, path, operation,
                                departments.bodies_for(make, ids), desks[desk]))
        time.sleep(3.0)  # the row's events handled downstream before the next row starts


def command_row(service: str, api: str, path: str, operation: str, bodies: list[str],
                headers: dict) -> dict:
    """Ours sends each body once (a report-in or a bundle needs a veteran of its own); the
    ceiling gets the same bodies, slice by slice (it stores nothing)."""
    url, noop = f"{api}{path}", f"http://127.0.0.1:{NOOP_COMMAND_PORT}/commands/{operation}"
    feed = iter(bodies)
    web.warm_up(lambda: departments.count_load(url, feed_list(feed, COMMAND_SLICE), headers))
    web.warm_up(lambda: departments.count_load(noop, bodies[:COMMAND_SLICE], headers))
    name = f"POST /api/v1{path} via gateway -> {service}, 8 clients"
    ours_runs, ceiling_runs = interleaved(
        lambda k: departments.count_load(url, feed_list(feed, COMMAND_SLICE), headers),
        lambda k: departments.count_load(
            noop, bodies[k * COMMAND_SLICE:(k + 1) * COMMAND_SLICE], headers),
        REPS, SLICES, say, name, "requests/s")
    return row(name, "the gateway's entrypoint and log, token check, no-op RPC, audit entry, "
               "8 clients", ours_runs, ceiling_runs, COMMAND_TARGET, "requests/s", SLICES)


def measure_growth() -> dict:
    """File load times in a store of 10 thousand and one of 1 million events, side by side."""
    small_url = fresh("vetlife_bench_growth_10k", "registry")
    large_url = fresh("vetlife_bench_growth_1m", "registry")
    say("growing two stores: 10,000 and 1,000,000 events")
    paths.grow_store(small_url, 10_000)
    paths.grow_store(large_url, 1_000_000)
    small, large = store_for(small_url), store_for(large_url)
    try:
        return measure.growth(small, large, REPS, say)
    finally:
        small.db.close()
        large.db.close()
        admin = paths.connect(f"{PG}/postgres")
        admin.autocommit = True
        with admin.cursor() as cur:  # a gigabyte we no longer need
            cur.execute('DROP DATABASE IF EXISTS "vetlife_bench_growth_1m" WITH (FORCE)')
            cur.execute('DROP DATABASE IF EXISTS "vetlife_bench_growth_10k" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    sys.exit(main())
