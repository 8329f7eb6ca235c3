# The one door: make up / make down / make status / make logs / make test / make lint.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up down logs status test unit integration e2e lint infra lock clean bench faults fuzz

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

infra:
	scripts/infra.sh

up: $(STAMP) infra
	scripts/up.sh

down:
	scripts/down.sh

logs:
	tail -n 50 -F $${VETLIFE_RUN_DIR:-.run}/*.log

# Each process of make up and its state (RUNNING, STARTING, BACKOFF...), from supervisord.
status: $(STAMP)
	@$(BIN)/supervisorctl -c $${VETLIFE_RUN_DIR:-.run}/supervisord.conf status || true

test: $(STAMP)
	scripts/infra.sh --test-vhost
	$(BIN)/pytest -q -p no:cacheprovider tests

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(STAMP)
	scripts/infra.sh --test-vhost
	$(BIN)/pytest -q tests/integration

e2e: $(STAMP)
	scripts/infra.sh --test-vhost
	$(BIN)/pytest -q tests/e2e

# schemathesis against the live gateway's OpenAPI document with many examples per operation and a
# fresh seed each run (the report prints it; VETLIFE_FUZZ_SEED=<seed> make fuzz replays it).
# make test runs the same test with a few examples and a fixed seed.
fuzz: $(STAMP)
	scripts/infra.sh --test-vhost
	VETLIFE_FUZZ_EXAMPLES=$${VETLIFE_FUZZ_EXAMPLES:-300} VETLIFE_FUZZ_SEED=$${VETLIFE_FUZZ_SEED:-random} \
	  $(BIN)/pytest -q -s -p no:cacheprovider tests/e2e/test_fuzz.py

lint: $(STAMP)
	$(BIN)/ruff check chassis contracts services gateway tests examples bench faults

lock:
	rm -rf /tmp/vetlife-lock && $(PYTHON) -m venv /tmp/vetlife-lock
	/tmp/vetlife-lock/bin/pip install -q $$(sed -n "s/==.*//p" requirements.txt | grep -v "^\#")
	( echo '# The one place dependencies are pinned (runtime, test and lint). Regenerate with: make lock'; \
	  /tmp/vetlife-lock/bin/pip freeze ) > requirements.txt

clean: down
	rm -rf $(VENV) .run

bench: $(STAMP)
	scripts/infra.sh --bench-vhost
	$(BIN)/python -m bench.run

faults: $(STAMP)
	$(BIN)/python -m faults.run
