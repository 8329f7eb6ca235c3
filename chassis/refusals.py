"""One translation, for every service, of a refusal into the ServiceError code the gateway maps to a status."""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import structlog
from marshmallow import ValidationError

from chassis.deadlines import DeadlineAlreadyPending
from chassis.errors import (
    IdempotencyKeyReused,
    StatementFailed,
    StoreUnavailable,
    StreamVersionConflict,
    TransactionConflict,
)
from chassis.wire import ServiceError

log = structlog.get_logger("vetlife.refusals")


def on_the_wire(domain_error: type[Exception], *, what: str = "case",
                unavailable: Mapping[type[Exception], str] | None = None) -> Callable:
    """A decorator for a service's RPC methods. `domain_error` is the service's own refusal (with
    `code`, `message` and `fields`); `what` names its aggregate in messages ("file", "bundle");
    `unavailable` maps a broken dependency of the service (a configuration file it could not
    read) to the message a caller sees as 503, the detail going to the log only.

    One place, so that every service answers the same failure with the same status: before, each
    kept its own copy and they had drifted (one answered a lost transaction race as a 500).
    """
    broken = tuple((unavailable or {}).items())

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except domain_error as exc:
                raise ServiceError(exc.code, exc.message, exc.fields) from None
            except ValidationError as exc:
                raise ServiceError("invalid_input", "the request is not valid",
                                   exc.messages_dict) from None
            except StreamVersionConflict as exc:
                raise ServiceError("conflict", str(exc)) from None
            except DeadlineAlreadyPending:
                # Two commands racing to start the same clock: the loser decided on stale state.
                raise ServiceError("conflict", f"the {what} changed meanwhile; try again") \
                    from None
            except IdempotencyKeyReused as exc:
                raise ServiceError("idempotency_key_reused", str(exc)) from None
            except TransactionConflict:
                # Still losing races after Database.run's retries: the client may try again.
                raise ServiceError("conflict", f"the {what} is changing too fast; try again") \
                    from None
            except StatementFailed:
                raise ServiceError("database_refused", "the database refused the request (a "
                                   "timeout or a lock); try again later") from None
            except StoreUnavailable as exc:
                raise ServiceError("unavailable", str(exc)) from None
            except Exception as exc:
                for kind, message in broken:
                    if isinstance(exc, kind):
                        log.error("service.dependency_unreadable", reason=message,
                                  error=str(exc)[:500])
                        raise ServiceError("unavailable", message) from None
                raise

        return wrapper

    return decorate
