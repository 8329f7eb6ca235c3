"""The chassis's error tree: one root, a shallow tree, each raised for one reason."""
from __future__ import annotations


class ChassisError(Exception):
    """Raised when the chassis cannot do what it was asked."""


class StreamVersionConflict(ChassisError):
    """Raised when an append's expected stream version is stale (someone else wrote first)."""

    def __init__(self, stream_id: str, expected: int, actual: int):
        super().__init__(
            f"stream {stream_id} is at version {actual}, the command expected {expected}"
        )
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


class ClaimTaken(ChassisError):
    """Raised when a unique value (such as a resident ID number) is already claimed by a stream."""

    def __init__(self, kind: str, stream_id: str):
        super().__init__(f"{kind} is already claimed by {stream_id}")
        self.kind, self.stream_id = kind, stream_id


class IdempotencyKeyReused(ChassisError):
    """Raised when a command id is retried with a different request than the first time."""

    def __init__(self, command_id: str):
        super().__init__("this idempotency key was already used for a different request")
        self.command_id = command_id


class StoreUnavailable(ChassisError):
    """Raised when the service's PostgreSQL cannot be reached (or dropped the connection)."""


class StatementFailed(ChassisError):
    """Raised when a PostgreSQL that is up refused or cancelled a statement: a lock not available
    (55P03), a statement timeout (57014), ... The transaction was rolled back and the connection
    kept; running the same work again right away would most likely fail the same way."""

    retryable = False

    def __init__(self, message: str, pgcode: str | None):
        super().__init__(message)
        self.pgcode = pgcode


class TransactionConflict(StatementFailed):
    """Raised when a transaction lost a race with another (deadlock 40P01, serialization failure
    40001) and was rolled back: the same work run again may well succeed, which
    chassis.db.Database.run does a few times before it raises this."""

    retryable = True
