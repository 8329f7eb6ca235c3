"""File commands on the real store: blind writes survive contention, a no-op still keeps its key."""
import eventlet
import pytest

from chassis.envelope import Metadata
from chassis.errors import IdempotencyKeyReused, StreamVersionConflict
from contracts import registry as contract
from services.registry import handlers
from services.registry.domain import model
from tests.factories import veteran_payload


def _register(store) -> str:
    data = contract.RegisterVeteranRequest().load(veteran_payload())
    cmd = model.RegisterVeteran(declared_sex=data.pop("sex", None),
                                declared_birth_date=data.pop("birth_date", None), **data)
    return handlers.register_veteran(store, cmd, Metadata()).veteran_id


def _amend(store, veteran_id, phone, command_id=None, expected_version=None):
    cmd = model.AmendContact(veteran_id=veteran_id, phone=phone, address=None)
    today = handlers.shanghai_today()
    return handlers.change_file(store, veteran_id, cmd,
                                lambda f: f.amend_contact(cmd, today), Metadata(),
                                command_id=command_id, expected_version=expected_version)


def test_forty_concurrent_blind_amendments_all_succeed_and_none_is_lost(registry_store):
    """No client asked for a version check, so none of them may be told "conflict"."""
    veteran_id = _register(registry_store)
    phones = [f"1385791{n:04d}" for n in range(40)]
    pool = eventlet.GreenPool(40)
    outcomes = list(pool.imap(lambda phone: _try(registry_store, veteran_id, phone), phones))

    assert [o for o in outcomes if o != "ok"] == []
    events = registry_store.read_stream(veteran_id)
    assert len(events) == 41  # the registration and every amendment, each once
    assert sorted(e.data["phone"] for e in events[1:]) == sorted(phones)


def _try(store, veteran_id, phone):
    try:
        _amend(store, veteran_id, phone)
        return "ok"
    except StreamVersionConflict as exc:
        return f"conflict: {exc}"


def test_a_stale_if_match_is_still_a_conflict(registry_store):
    veteran_id = _register(registry_store)
    _amend(registry_store, veteran_id, "13857912301")
    with pytest.raises(StreamVersionConflict):
        _amend(registry_store, veteran_id, "13857912302", expected_version=1)


def test_a_command_that_changes_nothing_still_keeps_its_key(registry_store):
    veteran_id = _register(registry_store)
    first = _amend(registry_store, veteran_id, "13857912345", command_id="k-1")
    again = _amend(registry_store, veteran_id, "13857912345", command_id="k-2")  # a no-op
    assert (first.version, again.version, again.replayed) == (2, 2, False)
    # The same key with a different request is refused, not silently accepted.
    with pytest.raises(IdempotencyKeyReused):
        _amend(registry_store, veteran_id, "13957912345", command_id="k-2")
    assert _amend(registry_store, veteran_id, "13857912345", command_id="k-2").replayed
    assert len(registry_store.read_stream(veteran_id)) == 2
