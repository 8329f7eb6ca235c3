"""Shared fixtures: the real PostgreSQL and RabbitMQ (a missing one fails the run, never skips it)."""
import eventlet

# nameko's pytest plugin no longer patches; our in-process containers and psycopg2 need it.
eventlet.monkey_patch()

import os  # noqa: E402
import time  # noqa: E402

import pika  # noqa: E402
import psycopg2  # noqa: E402
import pytest  # noqa: E402

from chassis.db import Database  # noqa: E402
from chassis.migrate import CHASSIS_MIGRATIONS, migrate, service_migrations  # noqa: E402
from chassis.store import PostgresEventStore  # noqa: E402
from contracts import registry as registry_contract  # noqa: E402

PG = os.environ.get("VETLIFE_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
AMQP = os.environ.get("VETLIFE_TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/vetlife_test")
INFRA_HINT = "run `scripts/infra.sh --test-vhost` (make test does) to start it"


# Two test runs at once (two engineers on one machine) each set their own suffix, so neither
# drops the other's databases; with their own VETLIFE_TEST_AMQP_URI vhost and VETLIFE_E2E_PORT.
DB_SUFFIX = os.environ.get("VETLIFE_TEST_DB_SUFFIX", "")


def fresh_database(name: str, directories) -> str:
    """Drop and recreate a test database, then migrate it; returns its URL."""
    name = f"{name}{DB_SUFFIX}"
    try:
        admin = psycopg2.connect(f"{PG}/postgres", connect_timeout=5)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG}: {exc}; {INFRA_HINT}")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()
    url = f"{PG}/{name}"
    migrate(url, list(directories))
    return url


def truncate(db: Database, *extra_tables: str) -> None:
    with db.transaction() as cur:
        cur.execute(
            "TRUNCATE stored_events, handled_commands, unique_claims, checkpoints, inbox"
            + "".join(f", {t}" for t in extra_tables)
        )
        cur.execute("UPDATE store_head SET position = 0")


@pytest.fixture(scope="session")
def amqp_uri() -> str:
    try:
        pika.BlockingConnection(pika.URLParameters(AMQP)).close()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"RabbitMQ is not reachable at {AMQP}: {exc!r}; {INFRA_HINT}")
    return AMQP


@pytest.fixture(scope="session")
def registry_database_url() -> str:
    return fresh_database("vetlife_registry_test",
                          [CHASSIS_MIGRATIONS, service_migrations("registry")])


@pytest.fixture
def registry_db(registry_database_url):
    db = Database(registry_database_url)
    truncate(db, "veteran_list")
    yield db
    db.close()


@pytest.fixture
def registry_store(registry_db) -> PostgresEventStore:
    return PostgresEventStore(registry_db, "registry_events", upcast=registry_contract.upcast)


@pytest.fixture
def amqp_channel(amqp_uri):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    yield connection.channel()
    if connection.is_open:
        connection.close()


def wait_until(condition, timeout: float = 15.0, interval: float = 0.05, what: str = "condition"):
    """Poll until `condition()` is truthy; fail with `what` if it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        eventlet.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")
