#!/usr/bin/env bash
# Makes the local broker's users and permissions: the services' user and one user per department (docs/bus.md).
# Usage: scripts/bus-users.sh [--test-vhost | --bench-vhost | VHOST]...   (vhost "/" always)
# Idempotent, needs no stdin; runs rabbitmqctl as root (through sudo when not root).
#
# Everything is applied with one `rabbitmqctl import_definitions`, because every rabbitmqctl call
# starts an Erlang VM (~0.6 s) and make test runs this each time: two calls instead of thirty.
# deploy/rabbitmq/definitions.json holds the same users and regexes for the compose stack; change
# both together (docs/bus.md says why each regex is what it is).
set -euo pipefail

log() { echo "bus-users: $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

DEPARTMENTS=(public_security hr_social_security medical_insurance party_organisation armed_forces)

vhosts=(/)
for arg in "$@"; do
  case "$arg" in
    --test-vhost) vhosts+=(vetlife_test) ;;   # the names scripts/infra.sh gives these vhosts
    --bench-vhost) vhosts+=(vetlife_bench) ;;
    -*) echo "usage: $0 [--test-vhost | --bench-vhost | VHOST]..." >&2; exit 2 ;;
    *) vhosts+=("$arg") ;;
  esac
done

existing=$(as_root rabbitmqctl -q list_vhosts)
for vhost in "${vhosts[@]}"; do
  if ! grep -qxF -- "$vhost" <<<"$existing"; then
    log "vhost $vhost does not exist (scripts/infra.sh creates vetlife_test and vetlife_bench)"
    exit 1
  fi
done

# RabbitMQ's stored form of a password: base64(salt ++ sha256(salt ++ password)), 4-byte salt.
# Computed here so the cleartext never appears on a command line (ps shows those).
password_hash() {
  local dir
  dir=$(mktemp -d)
  head -c 4 /dev/urandom >"$dir/salt"
  printf '%s' "$1" >"$dir/password"
  cat "$dir/salt" "$dir/password" | openssl dgst -sha256 -binary >"$dir/digest"
  cat "$dir/salt" "$dir/digest" | base64 -w0
  rm -rf "$dir"
}

# Passwords come from the environment when set. The fallbacks are for a developer's own machine
# ONLY (the user's own name, or the compose stack's vetlife/vetlife); deploy/ never uses them.
services_password=${VETLIFE_AMQP_PASSWORD:-vetlife}
dept_password() {
  local var="VETLIFE_DEPT_PASSWORD_${1^^}"   # e.g. VETLIFE_DEPT_PASSWORD_HR_SOCIAL_SECURITY
  printf '%s' "${!var:-dept-$1}"
}

# JSON string escaping for the regexes (backslashes) and vhost names (quotes).
json() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }

users=() permissions=() topic_permissions=()
users+=("{\"name\": \"vetlife\", \"password_hash\": \"$(password_hash "$services_password")\",
  \"hashing_algorithm\": \"rabbit_password_hashing_sha256\", \"tags\": [\"administrator\"]}")
for dept in "${DEPARTMENTS[@]}"; do
  users+=("{\"name\": \"dept-$dept\", \"password_hash\": \"$(password_hash "$(dept_password "$dept")")\",
  \"hashing_algorithm\": \"rabbit_password_hashing_sha256\", \"tags\": []}")
done

for vhost in "${vhosts[@]}"; do
  v=$(json "$vhost")
  permissions+=("{\"user\": \"vetlife\", \"vhost\": $v, \"configure\": \".*\", \"write\": \".*\", \"read\": \".*\"}")
  for dept in "${DEPARTMENTS[@]}"; do
    own="dept\\.$dept\\..+"   # the department's namespace: queues (and exchanges) dept.<dept>.*
    # configure: declare/delete only its own queues. write: bind to its own queues, publish
    # RPC requests. read: consume its own queues, bind from nameko-rpc and any <service>.events.
    permissions+=("{\"user\": \"dept-$dept\", \"vhost\": $v,
  \"configure\": $(json "^$own\$"),
  \"write\": $(json "^($own|nameko-rpc)\$"),
  \"read\": $(json "^($own|nameko-rpc|[a-z][a-z0-9_]*\\.events)\$")}")
    # On nameko-rpc the routing key is the method: publish only <service>.events_after, and bind
    # only keys in its own namespace (its reply queue's), never <service>.* or #.
    topic_permissions+=("{\"user\": \"dept-$dept\", \"vhost\": $v, \"exchange\": \"nameko-rpc\",
  \"write\": $(json '^[a-z][a-z0-9_]*\.events_after$'), \"read\": $(json "^$own\$")}")
    # On bundle.events a matter's request and withdrawal are routed by department
    # (MatterRequested.<dept>): a department binds its own matters' keys only, never #.
    topic_permissions+=("{\"user\": \"dept-$dept\", \"vhost\": $v, \"exchange\": \"bundle.events\",
  \"write\": $(json '^$'), \"read\": $(json "^Matter[A-Za-z]+\\.$dept\$")}")
  done
done

join() { local IFS=,; echo "$*"; }
definitions=$(mktemp)
trap 'rm -f "$definitions"' EXIT
chmod 600 "$definitions"   # holds password hashes
cat >"$definitions" <<EOF
{"users": [$(join "${users[@]}")],
 "permissions": [$(join "${permissions[@]}")],
 "topic_permissions": [$(join "${topic_permissions[@]}")]}
EOF
# From stdin: Debian's rabbitmqctl runs as the rabbitmq user, which cannot read our 0600 file.
as_root rabbitmqctl -q import_definitions <"$definitions" >/dev/null
log "users vetlife and dept-{$(join "${DEPARTMENTS[@]}")} set up on vhost(s) ${vhosts[*]}"
