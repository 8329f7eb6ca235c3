"""The bundle's refusals, each with the stable code the gateway maps to one HTTP status."""
from __future__ import annotations


class BundleError(Exception):
    """Raised when a bundle command cannot be carried out."""

    code = "conflict"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = {name: list(problems) for name, problems in (fields or {}).items()}

    def __str__(self) -> str:
        return self.message


class InvalidBundle(BundleError):
    """Raised when a submission or an answer carries what the rules cannot accept."""

    code = "invalid_input"


class BundleNotFound(BundleError):
    """Raised for a bundle (or matter) that does not exist or is outside the caller's reach."""

    code = "not_found"


class NotYourMatter(BundleError):
    """Raised when a department answers a matter another department owns."""

    code = "forbidden"


class WrongMatterState(BundleError):
    """Raised when a step does not follow from where the matter stands."""


class CatalogueInvalid(ValueError):
    """Raised when the catalogue configuration is not usable (it is read at start)."""
