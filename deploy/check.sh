#!/usr/bin/env bash
# Validates everything in deploy/ that can be checked without a Docker engine or a cluster; exits non-zero on any real problem.
# Always run: YAML/JSON parsing, cross-file consistency and "does every command exist" (check.py).
# Run when the tool is found (on PATH or in the tools venv made by deploy/install-tools.sh),
# skipped with a message otherwise: compose config, Kubernetes schemas, hadolint, shellcheck.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."   # the repo root: compose and check.py paths are relative to it
TOOLS="${VETLIFE_DEPLOY_TOOLS:-$HOME/.cache/vetlife-deploy-tools}"
# Appended, not prepended: a tool the machine already has wins over the venv's copy.
export PATH="$PATH:$TOOLS/bin"
K8S_VERSION="${K8S_VERSION:-1.30.0}"

failures=()
skipped=()
step() { printf '\n== %s\n' "$1"; }
# Run a check; record its failure instead of stopping, so one run reports every problem.
check() {
  local name="$1"; shift
  if "$@"; then echo "ok: $name"; else echo "FAIL: $name"; failures+=("$name"); fi
}
skip() { echo "SKIP: $1"; skipped+=("$1"); }
have() { command -v "$1" >/dev/null 2>&1; }

# The project's venv has PyYAML; a bare python3 may not.
PY="${PYTHON:-.venv/bin/python}"
[[ -x "$PY" ]] || PY=python3
if ! "$PY" -c 'import yaml, tomllib' 2>/dev/null; then
  echo "FAIL: $PY lacks PyYAML or is older than 3.11 (set PYTHON=...)"; exit 1
fi

step "parsing, consistency and commands (deploy/check.py)"
check "deploy/check.py" "$PY" deploy/check.py

step "compose config"
if docker compose version >/dev/null 2>&1; then
  check "docker compose config" docker compose -f deploy/compose.yaml config -q
elif have docker-compose; then
  # Debian's docker-compose is v1 (1.29); it validates the same compose-spec keys used here.
  check "docker-compose config ($(docker-compose version --short 2>/dev/null))" \
    docker-compose -f deploy/compose.yaml config -q
else
  skip "compose config: neither \`docker compose\` nor docker-compose is installed"
fi

step "Kubernetes schemas (v$K8S_VERSION, strict)"
if have kubeconform; then
  check "kubeconform" kubeconform -strict -summary -kubernetes-version "$K8S_VERSION" deploy/k8s/*.yaml
elif have kubernetes-validate; then
  # Ships the Kubernetes JSON schemas in the package: works offline.
  check "kubernetes-validate" kubernetes-validate --quiet --strict -k "$K8S_VERSION" deploy/k8s/*.yaml
else
  skip "k8s schemas: neither kubeconform nor kubernetes-validate is installed (deploy/install-tools.sh)"
fi

step "Dockerfile lint"
if have hadolint; then
  check "hadolint" hadolint deploy/Dockerfile
else
  skip "Dockerfile lint: hadolint is not installed (deploy/install-tools.sh)"
fi

step "shell lint"
if have shellcheck; then
  check "shellcheck" shellcheck deploy/check.sh deploy/install-tools.sh
else
  skip "shell lint: shellcheck is not installed (apt-get install shellcheck)"
fi

step "summary"
echo "not run here (no Docker engine, no cluster): docker build, containers, kubectl apply"
if ((${#skipped[@]})); then printf 'skipped: %s\n' "${skipped[@]}"; fi
if ((${#failures[@]})); then
  printf 'FAILED: %s\n' "${failures[@]}"
  exit 1
fi
echo "deploy/check.sh: all checks passed"
