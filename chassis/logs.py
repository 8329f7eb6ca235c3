"""Structured JSON logs for every process: one line per event, personal data masked, correlation ids bound."""
from __future__ import annotations

import logging
import os
import sys

import structlog

from chassis.pii import mask


def _mask_personal_data(_logger, _method, event_dict):
    return {key: mask(value, key) for key, value in event_dict.items()}


def _process_name(process: str):
    def add(_logger, _method, event_dict):
        event_dict.setdefault("process", process)
        return event_dict
    return add


def json_formatter(process: str = "vetlife") -> logging.Formatter:
    """Configure structlog and return the formatter for the standard library's handlers.

    nameko's LOGGING config names this factory, so nameko's and kombu's own log lines pass
    through the same masking as ours: their messages can quote payloads.
    """
    shared = [
        structlog.contextvars.merge_contextvars,
        _process_name(process),
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # Tracebacks as plain text: structlog's dict_tracebacks would put frame locals (and so
        # personal data) into the line.
        structlog.processors.format_exc_info,
        _mask_personal_data,
    ]
    # pika logs a returned message with a prefix of its body at INFO: keep it to warnings.
    logging.getLogger("pika").setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _mask_personal_data,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )


def configure(process: str, level: str | None = None, stream=None) -> None:
    """JSON lines on stderr (or `stream`) for a process that is not started by nameko."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(json_formatter(process))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or os.environ.get("LOG_LEVEL", "INFO")).upper())


def nameko_logging(process: str) -> dict:
    """The LOGGING section of a nameko config that routes everything through `json_formatter`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "chassis.logs.json_formatter", "process": process}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"level": "INFO", "handlers": ["stderr"]},
    }
