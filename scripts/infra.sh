#!/usr/bin/env bash
# Makes sure PostgreSQL and RabbitMQ run locally: starts them, installs them from Debian if absent.
set -euo pipefail

log() { echo "infra: $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
rabbit_up() { timeout 2 bash -c '</dev/tcp/127.0.0.1/5672' 2>/dev/null; }

wait_for() {  # wait_for <what> <seconds> <command...>
  local what=$1 seconds=$2; shift 2
  for _ in $(seq "$seconds"); do "$@" && return 0; sleep 1; done
  log "$what did not come up within ${seconds}s"; return 1
}

# The figures' PNG charts label in Chinese (gateway/figures_export.py): a small CJK font.
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
  log "installing a Chinese font for the charts (fonts-wqy-microhei)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei >/dev/null
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  log "installing PostgreSQL from Debian's packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
fi
if ! pg_up; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for PostgreSQL 60 pg_up
fi
# Local development trusts loopback connections (as the CI machine does); a fresh Debian install
# asks for a password, so add the trust line once.
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | sort -V | tail -n 1)
  log "allowing trusted loopback connections in $hba"
  as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main reload
  sleep 1
fi

# Seven services with their relays, runners and pools, the gateway and a test run beside a
# running stack need more than PostgreSQL's default 100 connections. Raised once; the setting
# takes effect at a restart, so PostgreSQL is restarted then (never again after).
want_connections=400
have_connections=$(psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'SHOW max_connections')
if [ "$have_connections" -lt "$want_connections" ]; then
  log "raising PostgreSQL's max_connections from $have_connections to $want_connections"
  psql -h 127.0.0.1 -U postgres -d postgres -qc "ALTER SYSTEM SET max_connections = $want_connections"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main restart
  wait_for PostgreSQL 60 pg_up
fi

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  log "installing RabbitMQ from Debian's packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q rabbitmq-server >/dev/null
fi
if ! rabbit_up; then
  log "starting RabbitMQ"
  as_root rabbitmq-server -detached || true
  wait_for RabbitMQ 120 rabbit_up
  as_root rabbitmqctl -q await_startup >/dev/null 2>&1 || true
fi

# Tests and benchmarks get vhosts of their own, so they never touch what `make up` runs on "/".
ensure_vhost() {
  if ! as_root rabbitmqctl -q list_vhosts | grep -qx "$1"; then
    as_root rabbitmqctl -q add_vhost "$1"
  fi
  as_root rabbitmqctl -q set_permissions -p "$1" guest '.*' '.*' '.*' >/dev/null
}
# make bench's department rows run the whole platform on a vhost emptied each run: the services'
# durable queues would otherwise keep what the registry rows publish (hundreds of thousands of
# registry events) and what an earlier run left, and work through it during the measurements.
fresh_vhost() {
  as_root rabbitmqctl -q delete_vhost "$1" >/dev/null 2>&1 || true
  ensure_vhost "$1"
}
# The portal's browser tests (tests/e2e/test_portal_*.py) drive Debian's chromium through
# Playwright, never a downloaded browser; a machine without it gets it here.
ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    log "installing chromium from Debian's packages (the portal's browser tests)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  fi
}
case "${1:-}" in
  --test-vhost) ensure_vhost vetlife_test; ensure_chromium ;;
  --bench-vhost) ensure_vhost vetlife_bench; fresh_vhost vetlife_bench_dept ;;
esac
"$(dirname "${BASH_SOURCE[0]}")/bus-users.sh" "$@"   # the services' and departments' users (docs/bus.md)
log "PostgreSQL and RabbitMQ are up"
