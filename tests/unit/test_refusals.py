"""Every service answers each kind of failure with the same ServiceError code (chassis/refusals.py)."""
import pytest
from marshmallow import ValidationError

from chassis.deadlines import DeadlineAlreadyPending
from chassis.errors import (
    IdempotencyKeyReused,
    StatementFailed,
    StoreUnavailable,
    StreamVersionConflict,
    TransactionConflict,
)
from chassis.refusals import on_the_wire
from chassis.wire import ServiceError


class Refused(Exception):
    def __init__(self, code, message, fields=None):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields or {}


class TableUnreadable(Exception):
    pass


def answer(exc: Exception, **options) -> ServiceError:
    @on_the_wire(Refused, what="file", **options)
    def method():
        raise exc

    with pytest.raises(ServiceError) as raised:
        method()
    return raised.value


@pytest.mark.parametrize(("failure", "code"), [
    (Refused("wrong_state", "not now", {"x": ["bad"]}), "wrong_state"),
    (ValidationError({"name": ["missing"]}), "invalid_input"),
    (StreamVersionConflict("s", 1, 2), "conflict"),
    (DeadlineAlreadyPending("s", ["intake"]), "conflict"),
    (IdempotencyKeyReused("k"), "idempotency_key_reused"),
    # A lost race is worth retrying (409); a refused statement is not right away (504).
    (TransactionConflict("deadlock detected", "40P01"), "conflict"),
    (StatementFailed("canceling statement due to statement timeout", "57014"),
     "database_refused"),
    (StoreUnavailable("no connection"), "unavailable"),
])
def test_each_failure_has_one_code(failure, code):
    assert answer(failure).code == code


def test_the_service_s_own_refusal_keeps_its_message_and_fields():
    refused = answer(Refused("invalid_input", "say why", {"reason": ["is required"]}))
    assert (refused.message, refused.fields) == ("say why", {"reason": ["is required"]})
    assert answer(ValidationError({"name": ["missing"]})).fields == {"name": ["missing"]}
    assert "file" in answer(TransactionConflict("x", "40001")).message


def test_a_broken_dependency_named_is_unavailable_without_its_detail():
    refused = answer(TableUnreadable("/etc/standards.yaml line 3: secret detail"),
                     unavailable={TableUnreadable: "the standards table cannot be read"})
    assert (refused.code, refused.message) == ("unavailable", "the standards table cannot be read")


def test_anything_else_is_not_dressed_up_as_a_refusal():
    @on_the_wire(Refused)
    def method():
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        method()
