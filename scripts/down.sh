#!/usr/bin/env bash
# Stops what `make up` started (supervisord and its processes), and only that.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${VETLIFE_RUN_DIR:-.run}
BIN=.venv/bin
status=4
if [ -f "$RUN/supervisord.conf" ]; then
  set +e
  "$BIN/supervisorctl" -c "$RUN/supervisord.conf" status >/dev/null 2>&1
  status=$?
  set -e
fi
if [ "$status" -ne 4 ]; then  # 4: supervisorctl cannot reach supervisord (not running)
  "$BIN/supervisorctl" -c "$RUN/supervisord.conf" shutdown >/dev/null
  for _ in $(seq 40); do
    if [ ! -f "$RUN/supervisord.pid" ] || ! kill -0 "$(cat "$RUN/supervisord.pid")" 2>/dev/null; then
      break
    fi
    sleep 0.5
  done
  echo "down: stopped supervisord and every process it ran"
fi
# Processes an older make up started with pid files, before supervisord ran the stack.
shopt -s nullglob
for pidfile in "$RUN"/*.pid; do
  [ "$(basename "$pidfile")" = supervisord.pid ] && continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then kill "$pid"; echo "down: stopped $(basename "$pidfile" .pid)"; fi
  rm -f "$pidfile"
done
