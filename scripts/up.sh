#!/usr/bin/env bash
# Starts every service, relay and the gateway in the background (once), then waits for /health.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=.run
BIN=.venv/bin
PORT=${GATEWAY_PORT:-8000}
mkdir -p "$RUN"

alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

start() {  # start <name> <command...>
  local name=$1; shift
  if alive "$name"; then echo "up: $name already running (pid $(cat "$RUN/$name.pid"))"; return; fi
  nohup "$@" >>"$RUN/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
  echo "up: started $name (pid $!, log $RUN/$name.log)"
}

for service in registry; do
  "$BIN/vetlife-migrate" "$service"
  start "$service" "$BIN/nameko" run --config "services/$service/config.yaml" \
    "services.$service.service:${service^}Service"
  start "$service-relay" "$BIN/vetlife-relay" "$service"
done
# The gateway's own database holds the audit log; the development signing key is made once
# (never committed: .run/ is ignored) and vetlife-token mints tokens with it.
"$BIN/vetlife-migrate" gateway
"$BIN/vetlife-token" --init
start gateway "$BIN/nameko" run --config gateway/config.yaml gateway.service:GatewayService

for _ in $(seq 60); do
  if curl -fsS "http://localhost:$PORT/health" >/dev/null 2>&1; then
    echo "vetlife is up: http://localhost:$PORT  (API docs: http://localhost:$PORT/api/v1/docs;"
    echo "  a token to try them with: $BIN/vetlife-token registry_clerk)"
    exit 0
  fi
  sleep 1
done
echo "up: the gateway did not answer /health within 60 s; see $RUN/gateway.log" >&2
exit 1
