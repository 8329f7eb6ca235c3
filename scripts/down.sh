#!/usr/bin/env bash
# Stops what `make up` started (the processes in .run/*.pid), and only that.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
for pidfile in .run/*.pid; do
  name=$(basename "$pidfile" .pid)
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "down: stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
done
