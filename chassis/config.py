"""Where each service finds its database and the broker: environment variables with local defaults."""
from __future__ import annotations

import os

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else a local database named `vetlife_<service>`."""
    return os.environ.get(
        f"{service.upper()}_DATABASE_URL", f"postgresql://postgres@127.0.0.1:5432/vetlife_{service}"
    )


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)
