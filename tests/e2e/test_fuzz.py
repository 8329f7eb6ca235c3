"""Schemathesis fuzzes the live gateway from its OpenAPI document: no 5xx, no undocumented reply."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gateway import openapi
from tests.factories import veteran_payload

# `make test` runs a few examples per operation so it stays fast; `make fuzz` runs many more.
EXAMPLES = int(os.environ.get("VETLIFE_FUZZ_EXAMPLES", "25"))
# A fixed seed keeps `make test` reproducible; "random" (what `make fuzz` uses unless told)
# explores new inputs on every run, and the report prints the seed to replay a failure with.
SEED = os.environ.get("VETLIFE_FUZZ_SEED", "20261127")
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CONFIG = Path(__file__).with_name("schemathesis.toml")
PATHS = os.environ.get("VETLIFE_FUZZ_PATHS", "")
STAFF_ROLES = ("registry_clerk", "placement_officer", "benefits_officer", "disputes_officer",
               "employment_officer", "approver", "leader")


# pytest-timeout's default is per test, and this one test holds every operation's examples.
# With the registry alone 25 took about 35 s and 300 about 3 minutes; every department's
# operations now reach their logic (the staff token below), about four times the work, and a
# shared two-core machine is slower still: the limit allows for both. A timeout kills pytest
# before its fixtures stop the system's processes, so it must not be tight.
@pytest.mark.timeout(600 + 16 * EXAMPLES)
def test_every_operation_answers_as_documented(system, tmp_path):
    # The CLI rather than schemathesis.pytest.from_fixture: that lazy loader sets
    # `request.node._nodeid`, which pytest 9 no longer has. The CLI also runs every phase:
    # the document's examples, coverage of each constraint's boundaries, random fuzzing, and
    # stateful sequences (register, then change and read the file) over links it infers.
    command = [
        str(SCHEMATHESIS), "--config-file", str(CONFIG), "run",
        f"{system['base']}/api/v1/openapi.json",
        "--max-examples", str(EXAMPLES), "--no-color",
        # A token with every district-wide staff role: every department's operations are
        # reached (with the registry clerk's alone, theirs would all be 403s); those none of
        # them may run must answer their documented 403, and schemathesis checks a missing
        # token is a 401.
        "--header", "Authorization: Bearer " + system["token"](list(STAFF_ROLES), "fuzzer",
                                                               minutes=240),
        *([] if SEED == "random" else ["--seed", SEED]),
        # VETLIFE_FUZZ_PATHS (a regular expression) fuzzes only the paths it matches, e.g.
        # "^/api/v1/disputes/" while working on one service.
        *(["--include-path-regex", PATHS] if PATHS else []),
    ]
    # Streamed as it runs (visible live under `pytest -s`, as `make fuzz` runs it), and kept in
    # the captured output pytest shows when this fails: every failure with its curl to replay.
    with subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, encoding="utf-8",
                          errors="replace", env={**os.environ, "PYTHONIOENCODING": "utf-8"}
                          ) as run:
        for line in run.stdout:
            print(line, end="", flush=True)
    assert run.returncode == 0, (
        f"schemathesis found failures (report above, in the captured stdout): {' '.join(command)}")
    # The fuzzer registers the document's example: its personal data must stay out of the logs too.
    logs = "".join(log.read_text() for log in system["logs"].glob("*.log"))
    example = openapi.EXAMPLES["RegisterVeteranRequest"]
    assert example["id_number"] not in logs and example["phone"] not in logs


def _send(system, method, path, body: bytes | None = None, **headers):
    return system["http"].request(method, system["base"] + path, data=body, timeout=15,
                                  headers={"Content-Type": "application/json", **headers})


def _registration(address: str, ensure_ascii: bool = True) -> bytes:
    return json.dumps(veteran_payload(address=address), ensure_ascii=ensure_ascii).encode()


@pytest.fixture(scope="module")
def grid_worker_path(system):
    response = _send(system, "POST", "/api/v1/veterans", json.dumps(veteran_payload()).encode())
    assert response.status_code == 201, response.text
    return f"/api/v1/veterans/{response.json()['veteran_id']}/grid-worker"


# Requests no generator working from the document produces (bytes that are not UTF-8, text that
# is not Unicode, JSON nested past the parser, headers with bytes only Latin-1 has), or that the
# fuzzer found once and are worth naming. Each was a 5xx before its fix, except where noted.
CASES = {
    # was a 201 with U+FFFD stored in place of the byte
    "bytes-not-utf8": ("POST", "/api/v1/veterans",
                       _registration("金东区\u0000", ensure_ascii=False).replace(b"\\u0000", b"\xff"),
                       {}, "invalid_json", None),
    "lone-surrogate": ("POST", "/api/v1/veterans", _registration("金东区\ud800"), {},
                       "invalid_json", None),
    "nested-100000-deep": ("POST", "/api/v1/veterans", b"[" * 100_000 + b"]" * 100_000, {},
                           "invalid_json", None),
    # was a 400 for the wrong reason: NaN is not JSON at all
    "nan": ("POST", "/api/v1/veterans", b'{"name": NaN}', {}, "invalid_json", None),
    "nul-in-body": ("POST", "/api/v1/veterans", _registration("金东区\u0000"), {},
                    "invalid_input", "address"),
    "nul-in-query": ("GET", "/api/v1/veterans?service_station=%00", None, {}, "invalid_input",
                     "service_station"),
    "if-match-superscript-two": ("PUT", "{grid_worker}", b'{"grid_worker": "x"}',
                                 {"If-Match": "\xb2"}, "invalid_input", "If-Match"),
    "nul-in-x-purpose": ("GET", "{file}", None, {"X-Purpose": "a\x00b"}, "invalid_input",
                         "X-Purpose"),
}


@pytest.mark.parametrize("case", CASES)
def test_input_that_is_not_text_is_a_400_never_a_5xx(system, grid_worker_path, case):
    method, path, body, headers, error, field = CASES[case]

    path = path.format(grid_worker=grid_worker_path,
                       file=grid_worker_path.removesuffix("/grid-worker"))
    response = _send(system, method, path, body, **headers)

    assert response.status_code == 400, response.text
    reply = json.loads(response.text)
    assert reply["error"] == error and (field is None or field in reply["fields"]), reply


def test_a_query_string_that_is_not_utf8_is_a_400_never_a_5xx(system):
    # A raw byte, which no HTTP client library sends (they percent-encode, and werkzeug reads
    # %FF as U+FFFD), so the request goes over a bare socket.
    address = urlsplit(system["base"])
    with socket.create_connection((address.hostname, address.port), timeout=15) as connection:
        token = system["http"].headers["Authorization"].encode()
        connection.sendall(b"GET /api/v1/veterans?service_station=\xff HTTP/1.0\r\n"
                           b"Authorization: " + token + b"\r\n\r\n")
        reply = b"".join(iter(lambda: connection.recv(65536), b""))
    head, _, body = reply.partition(b"\r\n\r\n")

    assert head.split()[1] == b"400", reply
    assert json.loads(body)["error"] == "invalid_input"
