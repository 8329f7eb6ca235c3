"""A spreadsheet of existing files over HTTP: dry run, import, progress, error file, audit, events."""
import base64
import io
import time
from datetime import date

import pika
import pytest
import requests

from services.registry.sample import Sampler, write
from tests.conftest import wait_until

TODAY = date.today()


def auth(system, roles, subject, **claims):
    return {"Authorization": "Bearer " + system["token"](roles, subject, **claims)}


def wait_done(system, import_id, headers, seen_percent: list | None = None) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        reply = requests.get(f"{system['base']}/api/v1/imports/{import_id}", headers=headers,
                             timeout=10)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        if seen_percent is not None and body["percent"] is not None:
            seen_percent.append(body["percent"])
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.2)
    pytest.fail(f"import {import_id} did not end within 120 s")


@pytest.fixture
def registered_probe(amqp_uri):
    """A queue bound to registry.events, as a department's subscription would be."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare("registry.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "registry.events", routing_key="VeteranRegistered")
    yield channel, queue
    connection.close()


def test_a_clerk_checks_imports_and_downloads_the_error_file(system, tmp_path, registered_probe):
    channel, queue = registered_probe
    path = tmp_path / "veterans.xlsx"
    write(path, Sampler(seed=int(time.time()), today=TODAY).rows(300, 0.1))
    upload = {"file_name": "我区退役军人.xlsx",
              "content": base64.b64encode(path.read_bytes()).decode()}
    clerk = auth(system, ["registry_clerk"], "clerk-import")
    url = f"{system['base']}/api/v1/imports"

    checked = requests.post(url, json={**upload, "dry_run": True}, headers=clerk, timeout=15)
    assert checked.status_code == 202, checked.text
    dry = wait_done(system, checked.json()["import_id"], clerk)
    assert dry["outcome"]["dry_run"] is True and dry["outcome"]["refused"] == 30
    good = dry["outcome"]["imported"]
    assert good == 270

    started = requests.post(url, json=upload, timeout=15,
                            headers={**clerk, "Idempotency-Key": "import-e2e-0001"})
    assert started.status_code == 202 and started.json()["status"] == "waiting"
    retried = requests.post(url, json=upload, timeout=15,
                            headers={**clerk, "Idempotency-Key": "import-e2e-0001"})
    assert retried.json()["import_id"] == started.json()["import_id"]
    percents: list[float] = []
    done = wait_done(system, started.json()["import_id"], clerk, percents)
    assert (done["outcome"]["imported"], done["outcome"]["refused"], done["percent"]) == (
        good, 30, 100.0)
    assert percents == sorted(percents), "progress only grows"

    errors = requests.get(f"{url}/{done['import_id']}/errors", headers=clerk, timeout=10)
    assert errors.status_code == 200
    assert errors.json()["file_name"] == "我区退役军人.错误.xlsx"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(base64.b64decode(errors.json()["content"])),
                          read_only=True).active
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert table[0][-2:] == ["行号", "错误原因"] and len(table) == 31
    assert {r[-2] for r in table[1:]} == {p["row"] for p in done["outcome"]["problems"]}

    # Only the uploader's role sees it; a veteran may not even ask.
    worker = auth(system, ["station_worker"], "worker-import", stations=["多湖街道退役军人服务站"])
    for path_ in ("", "/errors"):
        assert requests.get(f"{url}/{done['import_id']}{path_}", headers=worker,
                            timeout=10).status_code == 404
    veteran = auth(system, ["veteran"], "vet-import", veteran_id=done["import_id"])
    assert requests.get(f"{url}/{done['import_id']}", headers=veteran,
                        timeout=10).status_code == 403

    # The same file again: every good row is already on file, and those files are real files.
    again = requests.post(url, json=upload, headers=clerk, timeout=15)
    rerun = wait_done(system, again.json()["import_id"], clerk)
    assert (rerun["outcome"]["imported"], rerun["outcome"]["already_on_file"]) == (0, good)
    on_file = rerun["outcome"]["on_file"][0]
    assert on_file["status"] == "已在档"
    file = requests.get(f"{system['base']}/api/v1/veterans/{on_file['veteran_id']}",
                        headers=clerk, timeout=10)
    assert file.status_code == 200

    # Each new file went out on registry.events through the relay, as a registration's does.
    received = set()

    def drained():
        while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
            received.add(message[2])
        return len(received) >= good

    wait_until(drained, timeout=60, what=f"{good} VeteranRegistered messages")

    # The audit has each upload as a write (its fields named, never its content).
    auditor = auth(system, ["auditor"], "auditor-import")
    entries = requests.get(f"{system['base']}/api/v1/audit", params={"actor": "clerk-import"},
                           headers=auditor, timeout=10).json()["items"]
    uploads = [e for e in entries if e["action"] == "start_import" and e["outcome"] == "ok"]
    assert len(uploads) == 4 and all({"content", "file_name"} <= set(e["fields"])
                                     for e in uploads)
    downloads = [e for e in entries if e["action"] == "get_import_errors"]
    assert downloads and downloads[0]["fields"] == ["content"]

    # No imported person's ID number or phone in any log.
    people = load_workbook(path, read_only=True).active.iter_rows(min_row=2, values_only=True)
    secrets = {str(v) for row in people for v in (row[1], row[4]) if v}
    logs = "".join(p.read_text(errors="replace") for p in system["logs"].glob("*.log"))
    assert secrets and not [s for s in secrets if s in logs]
