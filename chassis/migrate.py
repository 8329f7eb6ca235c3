"""Database set-up for a service: create its database, apply the chassis's and its own migrations."""
from __future__ import annotations

import argparse
import importlib.resources
import sys
from pathlib import Path

import psycopg2

from chassis.config import database_url
from chassis.db import ensure_database

CHASSIS_MIGRATIONS = Path(__file__).parent / "migrations"


# Top-level packages with a database of their own (the gateway keeps its audit log there).
OWN_DATABASE_PACKAGES = ("gateway",)


def service_migrations(service: str) -> Path:
    """A service's own migrations: `services/<name>/migrations` (or an example's, for demos), or
    `gateway/migrations` for the gateway."""
    packages = [f"services.{service}", f"examples.{service}"]
    if service in OWN_DATABASE_PACKAGES:
        packages.append(service)
    for package in packages:
        try:
            return Path(str(importlib.resources.files(package))) / "migrations"
        except ModuleNotFoundError:
            continue
    raise SystemExit(f"no service called {service!r} (looked in services/, examples/ and "
                     f"{', '.join(p + '/' for p in OWN_DATABASE_PACKAGES)})")


def migrate(url: str, directories: list[Path]) -> list[str]:
    """Apply every *.sql file not yet applied, in name order per directory; return what ran."""
    ensure_database(url)
    applied: list[str] = []
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            # Two services starting at once must not both apply the same file.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('vetlife-migrate'))")
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            for directory in directories:
                for path in sorted(directory.glob("*.sql")):
                    name = f"{directory.parent.name}/{path.name}"
                    cur.execute("SELECT 1 FROM schema_migrations WHERE name = %s", (name,))
                    if cur.fetchone():
                        continue
                    cur.execute(path.read_text())
                    cur.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (name,))
                    applied.append(name)
    finally:
        conn.close()
    return applied


def migrate_service(service: str, url: str | None = None) -> list[str]:
    dirs = [CHASSIS_MIGRATIONS]
    own = service_migrations(service)
    if own.is_dir():
        dirs.append(own)
    return migrate(url or database_url(service), dirs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create and migrate a service's database.")
    parser.add_argument("service", help="the service whose database to migrate, e.g. registry")
    args = parser.parse_args(argv)
    applied = migrate_service(args.service)
    print(f"{args.service}: {len(applied)} migration(s) applied" + "".join(
        f"\n  {name}" for name in applied))
    return 0


if __name__ == "__main__":
    sys.exit(main())
