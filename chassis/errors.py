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
    """Raised when the service's PostgreSQL cannot be reached."""
