#!/usr/bin/env bash
# Starts every service, relay and the gateway under supervisord (which restarts what crashes),
# once: run again, it changes nothing that runs. Then waits until the gateway answers.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${VETLIFE_RUN_DIR:-.run}
BIN=.venv/bin
PORT=${GATEWAY_PORT:-8000}
mkdir -p "$RUN"
# The processes inherit this environment from supervisord: the key the gateway checks tokens
# with is the one vetlife-token signs with.
export VETLIFE_KEY_DIR=${VETLIFE_KEY_DIR:-$RUN/keys}
export AUDIT_ANCHOR_PATH=${AUDIT_ANCHOR_PATH:-$RUN/audit-anchors.jsonl}

for service in $("$BIN/python" -c 'from chassis.processes import SERVICES; print(*SERVICES)') gateway; do
  "$BIN/vetlife-migrate" "$service"
done
# The development signing key is made once (never committed: .run/ is ignored).
"$BIN/vetlife-token" --init
"$BIN/vetlife-supervisor-config" --run-dir "$RUN" >/dev/null
ctl() { "$BIN/supervisorctl" -c "$RUN/supervisord.conf" "$@"; }

set +e
ctl status >/dev/null 2>&1
status=$?
set -e
if [ "$status" -eq 4 ]; then  # supervisorctl: cannot reach supervisord, so it is not running
  "$BIN/supervisord" -c "$RUN/supervisord.conf"
  echo "up: started supervisord (config $RUN/supervisord.conf, logs $RUN/*.log)"
else
  ctl update >/dev/null   # programs added to or removed from the stack since the last make up
  ctl start all >/dev/null 2>&1 || true
  echo "up: supervisord already running; every process started"
fi

for _ in $(seq 90); do
  if curl -fsS "http://localhost:$PORT/health" >/dev/null 2>&1 \
     && ! ctl status | grep -vq RUNNING; then
    ctl status | sed 's/^/up: /'
    echo "vetlife is up: http://localhost:$PORT  (API docs: http://localhost:$PORT/api/v1/docs;"
    echo "  a token to try them with: $BIN/vetlife-token registry_clerk)"
    exit 0
  fi
  sleep 1
done
ctl status >&2 || true
echo "up: the stack did not come up within 90 s; see $RUN/*.log" >&2
exit 1
